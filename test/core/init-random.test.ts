/**
 * init 'random' is the classic method: colours drawn in proportion to their pixels, distinct, the same
 * draws on the pixel path, the histogram path and every backend; 'random-colours' is the uniform draw.
 * With maxIterations: 1 the centroids returned are the draw itself (lloyd moves nothing after its one pass).
 */
import { describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { initRandom, initRandomColours } from '../../src/core/init-random.js';
import { Random } from '../../src/core/random.js';
import type { Points } from '../../src/kernel/kernel.js';
import { expectSameResult, image, noiseImage, type Pixel } from '../helpers.js';

// One colour on 90 % of the pixels and 100 colours at 0.1 % each (1,000 pixels).
const DOMINANT: Pixel = [200, 30, 40];
const skewed = image([
  ...Array.from({ length: 900 }, () => DOMINANT),
  ...Array.from({ length: 100 }, (_, i): Pixel => [i, 255 - i, (i * 37) % 256]),
], 40);
const isDominant = (c: readonly number[]): boolean => c[0] === 200 && c[1] === 30 && c[2] === 40;

/** How often, over 2,000 seeds, the dominant colour is among the K centroids drawn. */
async function dominantShare(init: 'random' | 'random-colours', k: number): Promise<number> {
  let hits = 0;
  for (let seed = 0; seed < 2000; seed++) {
    const r = await kmeans(skewed, { k, seed, init, maxIterations: 1, backend: 'js' });
    expect(new Set(r.centroids.map(String)).size, `seed ${seed}: the centroids are distinct`).toBe(k);
    if (r.centroids.some(isDominant)) hits++;
  }
  return hits / 2000;
}

describe("init 'random': colours drawn in proportion to their pixels", () => {
  it('K = 1 draws the colour of 90 % of the pixels in 90 ± 2 % of 2,000 seeds', async () => {
    const share = await dominantShare('random', 1);
    expect(share).toBeGreaterThanOrEqual(0.88);
    expect(share).toBeLessThanOrEqual(0.92);
  });

  it('K = 2 has it among the two in 99 ± 1 % (0.9 + 0.1 x 900/999), the second one distinct', async () => {
    const share = await dominantShare('random', 2);
    expect(share).toBeGreaterThanOrEqual(0.98);
    expect(share).toBeLessThanOrEqual(1);
  });

  it("'random-colours' is the uniform draw over the 101 distinct colours (so the test above can fail)", async () => {
    // Expected 1/101 and 2/101: far from the weighted figures.
    expect(await dominantShare('random-colours', 1)).toBeLessThan(0.03);
    expect(await dominantShare('random-colours', 2)).toBeLessThan(0.05);
  });

  it('the same draws over pixels and over the histogram, on the wasm and the TS kernel, on 1 or 2 threads', async () => {
    const img = noiseImage(64, 48, 5, 12); // few levels: colours repeat, counts differ
    for (const seed of [0, 1, 7]) {
      for (const init of ['random', 'random-colours'] as const) {
        const base = { k: 9, seed, init, maxIterations: 1 };
        const ref = await kmeans(img, { ...base, histogram: true, backend: 'js' });
        for (const o of [{ histogram: false, backend: 'js' }, { histogram: true, backend: 'wasm' }, { histogram: false, backend: 'wasm', threads: 2 }] as const) {
          const r = await kmeans(img, { ...base, ...o });
          expect(r.centroids, `${init} seed ${seed} ${JSON.stringify(o)}`).toEqual(ref.centroids);
        }
        // Run to convergence too: the same start gives the same result, bit for bit.
        const full = { k: 9, seed, init };
        expectSameResult(await kmeans(img, { ...full, histogram: false, backend: 'wasm' }), await kmeans(img, { ...full, histogram: true, backend: 'js' }), `${init} seed ${seed}`);
      }
    }
  });

  it('with positions every point is one pixel: the weighted draw is the uniform draw, bit for bit', async () => {
    const img = noiseImage(30, 20, 3, 6);
    for (const seed of [0, 4]) {
      const a = await kmeans(img, { k: 6, seed, init: 'random', spatialWeight: 1, maxIterations: 1 });
      const b = await kmeans(img, { k: 6, seed, init: 'random-colours', spatialWeight: 1, maxIterations: 1 });
      expect(a.centroids).toEqual(b.centroids);
    }
  });

  it('weights all 1 draw exactly as the uniform draw; other weights do not', () => {
    const n = 50;
    const plane = (f: (i: number) => number): Float32Array => Float32Array.from({ length: n }, (_, i) => f(i));
    const points: Points = { x: plane((i) => i), y: plane((i) => 2 * i), z: plane(() => 0), w: new Uint32Array(n).fill(1), n };
    for (const seed of [0, 1, 2]) {
      expect(initRandom(points, 10, new Random(seed))).toEqual(initRandomColours(points, 10, new Random(seed)));
      expect(initRandom({ ...points, w: null }, 10, new Random(seed))).toEqual(initRandomColours(points, 10, new Random(seed)));
    }
    // One point with all the weight but 49: drawn first nearly always.
    const heavy = { ...points, w: Uint32Array.from({ length: n }, (_, i) => (i === 17 ? 1e6 : 1)) };
    let first17 = 0;
    for (let seed = 0; seed < 200; seed++) if (initRandom(heavy, 3, new Random(seed))[0] === 17) first17++;
    expect(first17).toBeGreaterThanOrEqual(198);
  });

  it('draws every point once when K is all of them, whatever the weights (no repeat, none missed)', () => {
    const n = 37;
    const points: Points = {
      x: Float32Array.from({ length: n }, (_, i) => i), y: new Float32Array(n), z: new Float32Array(n),
      w: Uint32Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 1000)), n,
    };
    for (const seed of [0, 9, 123]) {
      const drawn = initRandom(points, n, new Random(seed));
      const xs = Array.from({ length: n }, (_, j) => drawn[j * 3]!).sort((a, b) => a - b);
      expect(xs).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});
