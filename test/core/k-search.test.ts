/**
 * k: 'auto' with a quality target: the smallest K that meets it (as the search defines "smallest"),
 * figures that are the quality figures of the result, determinism across backends and threads, a
 * missed bound, and the options' checks.
 */
import { describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { meets, searchK } from '../../src/core/k-search.js';
import { buildHistogram } from '../../src/core/histogram.js';
import { figuresOf } from '../../src/core/k-figures.js';
import { qualityOf, qualityOfColours } from '../../src/core/quality.js';
import { expectKMeansError, expectSameResult, image, noiseImage, type Pixel } from '../helpers.js';

/** Four flat bands of distinct colours: K = 4 reproduces it exactly, K = 3 cannot. */
function bands(): ReturnType<typeof image> {
  const colours: Pixel[] = [[250, 10, 10], [10, 250, 10], [10, 10, 250], [240, 240, 240]];
  const pixels: Pixel[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) pixels.push(colours[x >> 2]!);
  return image(pixels, 16);
}

describe("k: 'auto'", () => {
  it('finds the K that makes an image of 4 flat colours exact, and reports every K tried', async () => {
    const r = await kmeans(bands(), { k: 'auto', target: { maxDeltaE: 0.5 }, seed: 3 });
    expect(r.k).toBe(4);
    const search = r.kSearch!;
    expect(search.met).toBe(true);
    expect(search.k).toBe(4);
    expect(search.maxK).toBe(4); // the bound falls to the 4 distinct colours
    // Galloping 1, 2, 4, then nothing between 2 and 4 but 3.
    expect(search.tried.map((t) => t.k)).toEqual([1, 2, 4, 3]);
    expect(search.tried.find((t) => t.k === 4)!.deltaE).toBe(0);
    expect(search.tried.find((t) => t.k === 3)!.met).toBe(false);
    expect(r.warnings.some((w) => w.includes('k reduced'))).toBe(false);
  });

  it("the chosen K's figures are the quality figures of the result, and its run is the plain k run's", async () => {
    const img = noiseImage(40, 30, 5, 6);
    const r = await kmeans(img, { k: 'auto', target: { maxDeltaE: 8, minPsnr: 24 }, seed: 9 });
    const chosen = r.kSearch!.tried.find((t) => t.k === r.k)!;
    const q = qualityOf(img, r);
    expect(chosen.psnr).toBe(q.psnr);
    expect(chosen.deltaE).toBeCloseTo(q.deltaE.mean, 9);
    expect(chosen.met).toBe(meets({ maxDeltaE: 8, minPsnr: 24 }, q.psnr, q.deltaE.mean));
    // Each K is a fresh seeded run: the result is bit for bit the fixed-K run's.
    const plain = await kmeans(img, { k: r.k, seed: 9 });
    expectSameResult(r, plain, 'plain k');
  });

  it('reports the smallest K tried that meets the target with K - 1 tried and missing', async () => {
    const img = noiseImage(50, 40, 11, 8);
    const r = await kmeans(img, { k: 'auto', target: { maxDeltaE: 6 }, maxK: 64, seed: 1 });
    const { tried } = r.kSearch!;
    const byK = new Map(tried.map((t) => [t.k, t]));
    expect(byK.get(r.k)!.met).toBe(true);
    if (r.k > 1) expect(byK.get(r.k - 1)!.met).toBe(false);
    for (const t of tried) if (t.met) expect(t.k).toBeGreaterThanOrEqual(r.k);
    expect(new Set(tried.map((t) => t.k)).size).toBe(tried.length); // no K run twice
  });

  it('is bit-identical across backends and threads', async () => {
    const img = noiseImage(160, 120, 2, 12);
    const opts = { k: 'auto' as const, target: { minPsnr: 22 }, maxK: 40, seed: 4, histogram: false }; // pixels: enough work for 2 threads
    const wasm = await kmeans(img, { ...opts, backend: 'wasm', threads: 1 });
    for (const other of [{ backend: 'js' as const }, { backend: 'wasm' as const, threads: 2 }]) {
      const r = await kmeans(img, { ...opts, ...other });
      expectSameResult(wasm, r, JSON.stringify(other));
      expect(r.kSearch).toEqual(wasm.kSearch);
      if (other.backend === 'wasm') expect(r.threads, 'the passes ran on 2 threads').toBe(2);
    }
  });

  it('searches with spatialWeight too, its figures over every pixel', async () => {
    const img = noiseImage(30, 20, 8, 5);
    const r = await kmeans(img, { k: 'auto', target: { maxDeltaE: 10 }, maxK: 32, spatialWeight: 1, seed: 2 });
    const chosen = r.kSearch!.tried.find((t) => t.k === r.k)!;
    expect(chosen.deltaE).toBeCloseTo(qualityOf(img, r).deltaE.mean, 9);
  });

  it('returns the bound with met false and a warning when even the bound misses', async () => {
    const img = noiseImage(40, 30, 5);
    const r = await kmeans(img, { k: 'auto', target: { maxDeltaE: 0.01 }, maxK: 6, seed: 0 });
    expect(r.k).toBe(6);
    expect(r.kSearch!.met).toBe(false);
    expect(r.kSearch!.tried.map((t) => t.k)).toEqual([1, 2, 4, 6]);
    expect(r.warnings.join('\n')).toMatch(/quality target missed.*K = 6/);
  });

  it('figuresOf gives bit for bit the PSNR and mean ΔE of qualityOfColours over the same entries', () => {
    const img = noiseImage(37, 23, 4, 12, 2);
    const pixels = img.width * img.height;
    const hist = buildHistogram(img.data, pixels, null);
    try {
      const palette = [[0, 0, 0], [250, 10, 40], [90, 200, 130], [255, 255, 255], [128, 64, 32]].map((rgb) => ({ rgb: rgb as [number, number, number], hex: '', count: 0, share: 0 }));
      const perColour = Uint16Array.from({ length: hist.n }, (_, i) => (i * 7) % 5);
      const a = figuresOf(hist, null)(perColour, palette);
      const qa = qualityOfColours({ palette }, { keys: hist.keys, counts: hist.counts, labels: perColour, n: hist.n });
      expect([a.psnr, a.deltaE]).toEqual([qa.psnr, qa.deltaE.mean]);
      // Over pixels, whose labels need not follow their colour.
      const keys: number[] = [];
      for (let p = 0; p < pixels; p++) if (img.data[p * 4 + 3] !== 0) keys.push(img.data[p * 4]! | (img.data[p * 4 + 1]! << 8) | (img.data[p * 4 + 2]! << 16));
      const perPixel = Uint16Array.from(keys, (_, i) => (i * 3) % 5);
      const b = figuresOf(hist, img)(perPixel, palette);
      const qb = qualityOfColours({ palette }, { keys: Uint32Array.from(keys), counts: new Uint32Array(keys.length).fill(1), labels: perPixel, n: keys.length });
      expect([b.psnr, b.deltaE]).toEqual([qb.psnr, qb.deltaE.mean]);
    } finally {
      hist.release();
    }
  });

  it('searchK bisects to the first K that meets a monotone target', () => {
    for (const first of [1, 2, 3, 5, 17, 100, 129, 200]) {
      const fitAt = (k: number) => ({ fit: { inertia: 0, iterations: 1 } as never, labels: new Uint16Array(), k });
      const found = searchK(200, { maxDeltaE: 1 }, fitAt, (_fit, k) => ({ psnr: 0, deltaE: k >= first ? 0 : 2 }));
      expect(found.k).toBe(first);
      expect(found.search.met).toBe(true);
      if (first > 1) expect(found.search.tried.some((t) => t.k === first - 1 && !t.met)).toBe(true);
    }
  });

  it('honours signal between the passes of any K, and reports the passes of every K', async () => {
    const img = noiseImage(40, 30, 5, 8);
    const controller = new AbortController();
    let passes = 0;
    const run = kmeans(img, {
      k: 'auto', target: { maxDeltaE: 0.5 }, maxK: 64, seed: 1, signal: controller.signal,
      onProgress: () => { if (++passes === 40) controller.abort(); },
    });
    await expectKMeansError(run, 'ERR_ABORTED');
    expect(passes).toBe(40); // well past K = 1's few passes: later K report too
  });

  it('refuses what contradicts the search', async () => {
    const img = bands();
    await expectKMeansError(kmeans(img, { k: 'auto' }), 'ERR_INVALID_OPTION', 'target');
    await expectKMeansError(kmeans(img, { k: 'auto', target: {} }), 'ERR_INVALID_OPTION', 'target');
    await expectKMeansError(kmeans(img, { k: 'auto', target: { maxDeltaE: -1 } }), 'ERR_INVALID_OPTION', 'target.maxDeltaE');
    await expectKMeansError(kmeans(img, { k: 'auto', target: { maxDeltaE: 1, psnr: 3 } as never }), 'ERR_INVALID_OPTION', 'psnr');
    await expectKMeansError(kmeans(img, { k: 4, target: { maxDeltaE: 1 } }), 'ERR_INVALID_OPTION', "'auto'");
    await expectKMeansError(kmeans(img, { k: 'auto', target: { maxDeltaE: 1 }, init: [[0, 0, 0]] }), 'ERR_INVALID_OPTION', 'init');
    await expectKMeansError(kmeans(img, { k: 'automatic' as never }), 'ERR_INVALID_OPTION', "'auto'");
  });
});
