/**
 * kmeans() on pixels in memory: known answers on tiny inputs, invariants on random inputs (seeded
 * property tests), and seeds / restarts. Parity between backends lives in contracts/parity.test.ts, figures on
 * real images in contracts/reference.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import type { KMeansOptions } from '../../src/core/options.js';
import type { KMeansResult, RGBAImage } from '../../src/types.js';
import {
  clusterMeans, countColours, expectSameResult, image, imageArb, nearest, noiseImage, optionsArb, type Pixel,
} from '../helpers.js';

const BACKENDS = ['wasm', 'js'] as const;
const PATHS = [true, false] as const; // histogram on / off
const f = Math.fround;

/** Run one case on every backend x histogram combination. */
function eachWay(title: string, fn: (o: { backend: 'wasm' | 'js'; histogram: boolean }) => Promise<void>): void {
  for (const backend of BACKENDS) {
    for (const histogram of PATHS) {
      it(`${title} (${backend}, histogram ${histogram ? 'on' : 'off'})`, () => fn({ backend, histogram }));
    }
  }
}

function labelCounts(r: KMeansResult): number[] {
  const counts = new Array<number>(r.k).fill(0);
  for (const l of r.labels) if (l < r.k) counts[l]!++;
  return counts;
}

describe('known answers on tiny inputs', () => {
  // Two groups far apart, interleaved so that the split cannot come from position.
  const A: Pixel[] = [[10, 20, 30], [12, 22, 32], [14, 18, 28]]; // mean (12, 20, 30), costs 4 + 8 + 12
  const B: Pixel[] = [[200, 210, 220], [202, 208, 218]]; // mean (201, 209, 219), costs 3 + 3
  const twoGroups = image([A[0]!, B[0]!, A[1]!, B[1]!, A[2]!]);

  eachWay('k = 2 on two separated groups: group means, an exact split, inertia 30', async (o) => {
    const r = await kmeans(twoGroups, { k: 2, seed: 3, ...o });
    expect(r.k).toBe(2);
    expect(r.warnings).toEqual([]);
    const a = r.labels[0]!, b = r.labels[1]!;
    expect(a).not.toBe(b);
    expect(Array.from(r.labels)).toEqual([a, b, a, b, a]);
    expect(r.centroids[a]).toEqual([12, 20, 30]);
    expect(r.centroids[b]).toEqual([201, 209, 219]);
    expect(r.inertia).toBe(30);
    expect(r.converged).toBe(true);
    expect(r.history.at(-1)).toBe(30);
    expect(r.palette[a]).toEqual({ rgb: [12, 20, 30], hex: '#0c141e', count: 3, share: 3 / 5 });
    expect(r.palette[b]).toEqual({ rgb: [201, 209, 219], hex: '#c9d1db', count: 2, share: 2 / 5 });
    expect(r.backend).toBe(o.backend);
  });

  eachWay('a single-colour image: k = 4 becomes 1 with a warning, inertia 0', async (o) => {
    const img = image(Array.from({ length: 6 }, () => [7, 8, 9] as const), 3);
    const r = await kmeans(img, { k: 4, ...o });
    expect(r.k).toBe(1);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/k reduced from 4 to 1/);
    expect(r.centroids).toEqual([[7, 8, 9]]);
    expect(r.inertia).toBe(0);
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.palette).toEqual([{ rgb: [7, 8, 9], hex: '#070809', count: 6, share: 1 }]);
    expect(Array.from(r.toRGBA())).toEqual(Array.from(img.data));
  });

  it('k reduction counts distinct opaque colours only (transparent pixels of other colours do not count)', async () => {
    const img = image([[7, 8, 9], [1, 2, 3, 0], [200, 0, 0, 0], [7, 8, 9, 128]]);
    const r = await kmeans(img, { k: 3 });
    expect(r.k).toBe(1);
    expect(r.warnings[0]).toMatch(/k reduced from 3 to 1/);
    expect(r.centroids).toEqual([[7, 8, 9]]);
  });

  eachWay('k = 1 gives the mean colour, rounded once to f32 from the f64 mean', async (o) => {
    const px: Pixel[] = [[0, 0, 1], [255, 3, 1], [17, 99, 2], [31, 4, 200], [5, 6, 7], [8, 9, 10], [250, 251, 253]];
    const img = image(px);
    const r = await kmeans(img, { k: 1, ...o });
    const mean = [0, 1, 2].map((d) => px.reduce((s, p) => s + p[d]!, 0) / px.length);
    expect(r.centroids[0]).toEqual(mean.map(f));
    // The f32 rounding is visible: 566 / 7 is not an f32, so a double mean would differ.
    expect(r.centroids[0]![0]).not.toBe(mean[0]);
    let q = 0;
    for (const p of px) {
      const dx = f(p[0] - f(mean[0]!)), dy = f(p[1] - f(mean[1]!)), dz = f(p[2] - f(mean[2]!));
      q += Math.floor(f(f(f(dx * dx) + f(dy * dy)) + f(dz * dz)) * 256);
    }
    expect(r.inertia).toBe(q / 256);
    expect(Array.from(r.labels)).toEqual(px.map(() => 0));
    // Pass 1 from the drawn pixel, pass 2 from the mean changes no label.
    expect(r.iterations).toBe(2);
    expect(r.converged).toBe(true);
    expect(r.history).toHaveLength(2);
    expect(r.history[0]!).toBeGreaterThan(r.history[1]!);
  });

  eachWay('explicit init centroids are used as given and keep their order', async (o) => {
    const grey = (v: number): Pixel => [v, v, v];
    const img = image([grey(100), grey(0), grey(110), grey(10), grey(120), grey(20)]);
    // One pass only: the centroids returned are the init, labels their nearest.
    const one = await kmeans(img, { init: [[5, 5, 5], [250.5, 0.25, 90]], maxIterations: 1, ...o });
    expect(one.k).toBe(2);
    expect(one.centroids).toEqual([[5, 5, 5], [250.5, 0.25, 90]]);
    expect(one.iterations).toBe(1);
    expect(one.converged).toBe(false);
    expect(Array.from(one.labels)).toEqual(Array.from(nearest(img, one.centroids).labels));
    // Run to the end: the dark cluster stays cluster 0 because it started as centroid 0.
    const r = await kmeans(img, { init: [[0, 0, 0], [255, 255, 255]], tolerance: 0, ...o });
    expect(r.centroids).toEqual([[10, 10, 10], [110, 110, 110]]);
    expect(Array.from(r.labels)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(r.inertia).toBe(4 * 300);
    const swapped = await kmeans(img, { init: [[255, 255, 255], [0, 0, 0]], tolerance: 0, ...o });
    expect(swapped.centroids).toEqual([[110, 110, 110], [10, 10, 10]]);
    expect(Array.from(swapped.labels)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  eachWay('a point equidistant from two centroids goes to the lower index', async (o) => {
    // Every colour with r + g + b = 30 is exactly as far from (0,0,0) as from (20,20,20): the
    // distances are small integers, exact in f32. 11 pixels: a SIMD body of 8 and a scalar tail.
    const ties: Pixel[] = [[10, 10, 10], [30, 0, 0], [0, 30, 0], [0, 0, 30], [5, 10, 15], [0, 15, 15], [15, 15, 0], [29, 1, 0], [10, 10, 10], [1, 1, 28], [2, 2, 26]];
    const img = image(ties);
    for (const init of [[[0, 0, 0], [20, 20, 20]], [[20, 20, 20], [0, 0, 0]]]) {
      const r = await kmeans(img, { init, maxIterations: 1, ...o });
      expect(Array.from(r.labels), JSON.stringify(init)).toEqual(ties.map(() => 0));
    }
    // Not adjacent: 1 and 3 tie, 0 and 2 are farther.
    const r = await kmeans(img, { init: [[100, 100, 100], [0, 0, 0], [200, 0, 0], [20, 20, 20]], maxIterations: 1, ...o });
    expect(Array.from(r.labels)).toEqual(ties.map(() => 1));
    // A tie for every pixel inside a SIMD block and in the tail: 9 identical pixels.
    const nine = image(Array.from({ length: 9 }, () => [10, 10, 10] as const));
    const r9 = await kmeans(nine, { init: [[20, 20, 20], [0, 0, 0], [20, 20, 20]], maxIterations: 1, ...o });
    expect(Array.from(r9.labels)).toEqual(new Array(9).fill(0));
    expect(r9.inertia).toBe(9 * 300);
  });

  eachWay('transparent pixels: label k, outside counts and shares, (0,0,0,0) in toRGBA; partial alpha kept', async (o) => {
    const px: Pixel[] = [
      [10, 10, 10, 255], [255, 0, 0, 0], [12, 12, 12, 128], [240, 240, 240, 255],
      [0, 0, 255, 0], [244, 244, 244, 1], [3, 200, 9, 0], [11, 11, 11, 255],
    ];
    const img = image(px, 4);
    const r = await kmeans(img, { k: 2, seed: 1, ...o });
    expect(r.k).toBe(2);
    const transparent = [1, 4, 6];
    for (const p of transparent) expect(r.labels[p], `pixel ${p}`).toBe(2);
    const dark = r.labels[0]!, light = r.labels[3]!;
    expect(new Set([dark, light])).toEqual(new Set([0, 1]));
    expect([r.labels[2], r.labels[5], r.labels[7]]).toEqual([dark, light, dark]);
    // The transparent pixels' colours take no part in the means.
    expect(r.centroids[dark]).toEqual([11, 11, 11]);
    expect(r.centroids[light]).toEqual([242, 242, 242]);
    expect(r.palette[dark]!.count + r.palette[light]!.count).toBe(5);
    expect(r.palette[dark]).toMatchObject({ count: 3, share: 3 / 5 });
    expect(r.palette[light]).toMatchObject({ count: 2, share: 2 / 5 });
    const rgba = r.toRGBA();
    expect(rgba).toBeInstanceOf(Uint8ClampedArray);
    expect(Array.from(rgba)).toEqual([
      11, 11, 11, 255, 0, 0, 0, 0, 11, 11, 11, 128, 242, 242, 242, 255,
      0, 0, 0, 0, 242, 242, 242, 1, 0, 0, 0, 0, 11, 11, 11, 255,
    ]);
  });

  it('labels are a Uint8Array while every label (k, plus the transparent label) fits in 8 bits', async () => {
    // 272 distinct colours.
    const px: Pixel[] = Array.from({ length: 272 }, (_, i) => [i & 255, i >> 8, (i * 7) & 255]);
    const opaque = image(px, 17);
    const withHole = image([...px.slice(0, 271), [1, 2, 3, 0]], 17);
    const cases: [RGBAImage, number, string, number][] = [
      [opaque, 256, 'Uint8Array', 255],
      [withHole, 255, 'Uint8Array', 255],
      [withHole, 256, 'Uint16Array', 256],
      [opaque, 257, 'Uint16Array', 256],
    ];
    for (const [img, k, type, maxLabel] of cases) {
      const r = await kmeans(img, { k, init: 'random', maxIterations: 1 });
      expect(r.k).toBe(k);
      expect(r.labels.constructor.name, `k = ${k}`).toBe(type);
      expect(Math.max(...r.labels), `k = ${k}`).toBe(maxLabel);
    }
  });

  it('k = 65536 with a transparent pixel: the transparent label 65536 must survive', async () => {
    // k + 1 labels do not fit in 16 bits. Explicit init keeps k at 65536 on a 2-pixel image.
    const init = Array.from({ length: 65536 }, (_, j) => [j & 255, (j >> 8) & 255, 0]);
    const img = image([[10, 20, 30, 255], [99, 99, 99, 0]]);
    const r = await kmeans(img, { init, maxIterations: 1, backend: 'wasm' });
    expect(r.k).toBe(65536);
    expect(r.labels).toBeInstanceOf(Uint32Array);
    expect(r.labels[1], 'the transparent pixel').toBe(65536);
    expect(Array.from(r.toRGBA().subarray(4, 8)), 'the transparent pixel in toRGBA()').toEqual([0, 0, 0, 0]);
    // Without a transparent pixel the largest label is 65535: 16 bits suffice.
    const opaque = await kmeans(image([[10, 20, 30, 255]]), { init, maxIterations: 1, backend: 'wasm' });
    expect(opaque.labels).toBeInstanceOf(Uint16Array);
  });

  it('palette: hex, rgb, count and share agree with centroids and labels', async () => {
    const img = noiseImage(37, 23, 5, 6);
    const { opaque } = countColours(img);
    for (const k of [1, 3, 9, 40]) {
      const r = await kmeans(img, { k, seed: k });
      expect(r.palette).toHaveLength(r.k);
      const counts = labelCounts(r);
      let shares = 0, total = 0;
      r.palette.forEach((e, j) => {
        const expected = r.centroids[j]!.map((v) => Math.min(255, Math.max(0, Math.round(v))));
        expect(e.rgb).toEqual(expected);
        expect(e.hex).toBe('#' + expected.map((v) => v.toString(16).padStart(2, '0')).join(''));
        expect(e.hex).toMatch(/^#[0-9a-f]{6}$/);
        expect(e.count).toBe(counts[j]);
        expect(e.share).toBe(e.count / opaque);
        shares += e.share; total += e.count;
      });
      expect(total).toBe(opaque);
      expect(shares).toBeCloseTo(1, 12);
    }
  });

  eachWay('an empty cluster takes the farthest colour (known answer)', async (o) => {
    const img = image([[0, 0, 0], [10, 10, 10], [100, 100, 100]]);
    // Pass 1: the duplicate centroid 1 loses every tie, so it is empty; it takes (100,100,100).
    const r = await kmeans(img, { init: [[0, 0, 0], [0, 0, 0]], tolerance: 0, ...o });
    expect(r.centroids).toEqual([[5, 5, 5], [100, 100, 100]]);
    expect(Array.from(r.labels)).toEqual([0, 0, 1]);
    expect(r.history).toEqual([300 + 30000, 150]);
    expect(r.iterations).toBe(2);
    expect(r.converged).toBe(true);
    expect(r.palette.map((e) => e.count)).toEqual([2, 1]);
  });

  eachWay('an empty cluster takes, of two equally far colours, the smaller one', async (o) => {
    const grey = (v: number): Pixel => [v, v, v];
    const img = image([grey(60), grey(50), grey(40), grey(60)]);
    // Pass 1: everything on centroid 0; 40 and 60 are both 300 away: (40,40,40) is the smaller colour.
    const r = await kmeans(img, { init: [[50, 50, 50], [50, 50, 50]], tolerance: 0, ...o });
    expect(r.centroids).toEqual([[170 / 3, 170 / 3, 170 / 3].map(f), [40, 40, 40]]);
    expect(Array.from(r.labels)).toEqual([0, 0, 1, 0]);
  });

  eachWay('no empty cluster is left when there are enough distinct colours', async (o) => {
    const img = noiseImage(13, 11, 9, 4); // 143 pixels, up to 64 colours
    const { distinct } = countColours(img);
    expect(distinct).toBeGreaterThan(20);
    const inits: number[][][] = [
      Array.from({ length: 8 }, () => [128, 128, 128]), // all duplicates
      [[-1000, -1000, -1000], [0, 0, 0], [1e4, 1e4, 1e4], [255, 255, 255], [0, 0, 0]], // far away and a duplicate
      [[-50, 300, 128], ...Array.from({ length: 19 }, () => [0, 0, 0])],
    ];
    for (const init of inits) {
      for (const maxIterations of [2, 300]) {
        const r = await kmeans(img, { init, maxIterations, ...o });
        const counts = labelCounts(r);
        expect(counts.every((c) => c > 0), `init ${JSON.stringify(init)} -> counts ${counts}`).toBe(true);
        expect(r.palette.map((e) => e.count)).toEqual(counts);
        expect(Array.from(r.labels)).toEqual(Array.from(nearest(img, r.centroids).labels));
      }
    }
  });

  eachWay('with fewer distinct colours than explicit centroids, the extra cluster stays empty and keeps its centroid', async (o) => {
    const img = image([[0, 0, 0], [100, 100, 100], [0, 0, 0]]);
    const r = await kmeans(img, { init: [[0, 0, 0], [100, 100, 100], [50, 50, 50]], ...o });
    expect(r.k).toBe(3);
    expect(r.warnings).toEqual([]);
    expect(r.centroids).toEqual([[0, 0, 0], [100, 100, 100], [50, 50, 50]]);
    expect(r.palette.map((e) => [e.count, e.share])).toEqual([[2, 2 / 3], [1, 1 / 3], [0, 0]]);
    expect(Array.from(r.labels)).toEqual([0, 1, 0]);
  });

  it("init 'random' and 'kmeans++' draw distinct colours of the image, never a transparent pixel's", async () => {
    // 20 distinct opaque colours, one of them on 80 % of the pixels; transparent pixels of other colours.
    const colours: Pixel[] = Array.from({ length: 20 }, (_, i) => [i * 13, 255 - i * 11, (i * 97) % 256]);
    const px: Pixel[] = [];
    for (let i = 0; i < 100; i++) px.push(colours[0]!);
    for (const c of colours) px.push(c);
    for (let i = 0; i < 5; i++) px.push([i, 1, 2, 0]);
    const img = image(px, 5);
    const key = (c: readonly number[]) => c.slice(0, 3).join(',');
    const present = new Set(colours.map(key));
    for (const init of ['random', 'kmeans++'] as const) {
      for (let seed = 0; seed < 10; seed++) {
        for (const k of [5, 20]) {
          const r = await kmeans(img, { k, init, seed, maxIterations: 1 });
          const drawn = r.centroids.map(key);
          expect(new Set(drawn).size, `${init} seed ${seed} k ${k}: ${drawn}`).toBe(k);
          for (const d of drawn) expect(present.has(d), `${init} drew ${d}`).toBe(true);
        }
      }
    }
  });

  eachWay("the caller's data is not mutated, nor kept by the result", async (o) => {
    const img = noiseImage(9, 7, 2, 5);
    img.data[3] = 0; img.data[7] = 0; img.data[11] = 77; // transparent and partial alpha
    const copy = Uint8Array.from(img.data);
    const r = await kmeans(img, { k: 4, attempts: 2, ...o });
    expect(Array.from(img.data)).toEqual(Array.from(copy));
    const first = r.toRGBA();
    first.fill(1);
    img.data.fill(200);
    const second = r.toRGBA();
    expect(second).not.toBe(first);
    const rerun = await kmeans({ ...img, data: copy }, { k: 4, attempts: 2, ...o });
    expect(Array.from(second)).toEqual(Array.from(rerun.toRGBA()));
    // Alpha comes from the data as it was during the call: transparent, transparent, 77, opaque.
    expect(Array.from(second.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([second[11], second[15]]).toEqual([77, 255]);
  });

  eachWay('a view with a non-zero byteOffset (aligned or odd) gives the same result as a fresh copy', async (o) => {
    const img = noiseImage(19, 5, 4, 7);
    img.data[19] = 0; // pixel 4 transparent
    img.data[23] = 9; // pixel 5 partly transparent
    const want = await kmeans(img, { k: 6, seed: 11, ...o });
    // 4 and 8 keep 32-bit alignment (a core may read pixels as u32 words through a view); 7 does not.
    for (const offset of [4, 7, 8]) {
      const backing = new Uint8Array(offset + img.data.length + 13);
      for (let i = 0; i < backing.length; i++) backing[i] = (i * 151 + 17) & 255; // garbage around the view
      backing.set(img.data, offset);
      const view = new Uint8Array(backing.buffer, offset, img.data.length);
      const clamped = new Uint8ClampedArray(backing.buffer, offset, img.data.length);
      expectSameResult(await kmeans({ ...img, data: view }, { k: 6, seed: 11, ...o }), want, `Uint8Array view at ${offset}`);
      expectSameResult(await kmeans({ ...img, data: clamped }, { k: 6, seed: 11, ...o }), want, `Uint8ClampedArray view at ${offset}`);
      // The garbage around the view is untouched too.
      expect(backing[offset - 1]).toBe(((offset - 1) * 151 + 17) & 255);
      expect(backing[offset + img.data.length]).toBe(((offset + img.data.length) * 151 + 17) & 255);
    }
  });
});

describe('progress and abort', () => {
  it('onProgress sees every pass of every attempt, with the inertia the history records', async () => {
    const img = noiseImage(30, 20, 8, 6);
    const seen: { attempt: number; iteration: number; inertia: number; changed: number }[] = [];
    const r = await kmeans(img, { k: 5, attempts: 3, seed: 2, tolerance: 0, onProgress: (p) => { seen.push({ ...p }); } });
    for (let a = 0; a < 3; a++) {
      const passes = seen.filter((p) => p.attempt === a);
      expect(passes.map((p) => p.iteration)).toEqual(passes.map((_, i) => i + 1));
      // Tolerance 0: an attempt ends on a pass that changed no label (or at 300 passes).
      expect(passes.at(-1)!.changed === 0 || passes.length === 300).toBe(true);
      expect(passes[0]!.changed).toBeGreaterThan(0);
    }
    expect(seen.filter((p) => p.attempt === r.attempt).map((p) => p.inertia)).toEqual(r.history);
  });

  it('an abort during the run stops it with ERR_ABORTED after that pass', async () => {
    const img = noiseImage(30, 20, 8, 6);
    const controller = new AbortController();
    let passes = 0;
    const run = kmeans(img, {
      k: 5, tolerance: 0, signal: controller.signal,
      onProgress: (p) => { passes++; if (p.iteration === 2) controller.abort(); },
    });
    const error = await run.then(() => undefined, (e: unknown) => e);
    expect((error as { code?: string }).code).toBe('ERR_ABORTED');
    expect(passes).toBe(2);
  });
});

describe('invariants on random inputs', () => {
  const caseArb = fc.record({
    img: imageArb({ maxWidth: 23, maxHeight: 9 }),
    options: optionsArb(12),
    backend: fc.constantFrom('wasm' as const, 'js' as const),
    histogram: fc.constantFrom<KMeansOptions['histogram']>('auto', true, false),
  });

  it('labels, history, centroids, inertia and palette hold together', async () => {
    let fixedPoints = 0;
    await fc.assert(fc.asyncProperty(caseArb, async ({ img, options, backend, histogram }) => {
      // onProgress tells how many labels the last pass of the kept attempt changed.
      const lastChanged = new Map<number, number>();
      const r = await kmeans(img, { ...options, backend, histogram, onProgress: (p) => { lastChanged.set(p.attempt, p.changed); } });
      const pixels = img.width * img.height;
      const { opaque, distinct } = countColours(img);
      const hasTransparent = opaque < pixels;

      // k: the requested number, cut to the distinct colours unless init gives the centroids.
      const k = Array.isArray(options.init) ? options.init.length : Math.min(options.k as number, distinct);
      expect(r.k).toBe(k);
      expect(r.centroids).toHaveLength(k);
      expect(r.labels.constructor).toBe(k + (hasTransparent ? 1 : 0) <= 256 ? Uint8Array : Uint16Array);
      expect(r.labels).toHaveLength(pixels);
      for (let p = 0; p < pixels; p++) {
        if (img.data[p * 4 + 3] === 0) expect(r.labels[p]).toBe(k);
        else expect(r.labels[p]).toBeLessThan(k);
      }

      expect(r.history).toHaveLength(r.iterations);
      expect(r.inertia).toBe(r.history.at(-1));
      expect(r.iterations).toBeGreaterThanOrEqual(1);
      expect(r.iterations).toBeLessThanOrEqual(options.maxIterations!);
      if (r.iterations < options.maxIterations!) expect(r.converged).toBe(true);
      expect(r.attempt).toBeLessThan(options.attempts ?? 1);

      // Each pass's inertia is sum_i floor(256 d_i) / 256 (assembly/assign.ts), d_i the f32 squared
      // distance. In exact arithmetic the cost never rises (assignment, relocation and the mean step
      // each lower or keep it), but flooring loses up to 1/256 per pixel, differently on each pass:
      // the pass-to-pass change may be up to opaque/256 above the exact one. On top of that, f32
      // distances carry a relative error of a few ulp (~2^-22), allowed as 1e-6 of the inertia.
      for (let t = 1; t < r.history.length; t++) {
        const eps = opaque / 256 + 1e-6 * r.history[t - 1]!;
        expect(r.history[t]!, `history ${r.history}`).toBeLessThanOrEqual(r.history[t - 1]! + eps);
      }

      // The labels returned are the nearest of the centroids returned, and the inertia is theirs.
      const again = nearest(img, r.centroids);
      for (let p = 0; p < pixels; p++) if (again.labels[p]! >= 0) expect(r.labels[p], `pixel ${p}`).toBe(again.labels[p]);
      expect(r.inertia).toBe(again.inertia);

      const { counts, means } = clusterMeans(img, r.labels, k);
      expect(r.palette.map((e) => e.count)).toEqual(counts);
      expect(r.palette.reduce((s, e) => s + e.count, 0)).toBe(opaque);
      // Converged on a pass that changed no label: the labels are those the centroids were computed
      // from, so each centroid is the mean of its pixels, computed once in f64 and rounded to f32.
      // (Converged by the tolerance, the last pass may still move labels: no such promise then.)
      if (r.converged && r.iterations > 1 && lastChanged.get(r.attempt) === 0) {
        fixedPoints++;
        for (let j = 0; j < k; j++) if (counts[j]! > 0) expect(r.centroids[j], `cluster ${j}`).toEqual(means[j]!.map(f));
      }
    }), { seed: 42, numRuns: 300 });
    // Enough of the cases end at a fixed point for the mean check above to mean something.
    expect(fixedPoints).toBeGreaterThan(100);
  });

  it('tolerance 0 and no iteration cap always ends converged at a fixed point', async () => {
    await fc.assert(fc.asyncProperty(imageArb({ maxWidth: 17, maxHeight: 7, alphabet: 'full' }), fc.integer({ min: 1, max: 9 }), fc.nat(), async (img, k, seed) => {
      const r = await kmeans(img, { k, seed, tolerance: 0, maxIterations: 1000 });
      expect(r.converged).toBe(true);
      const { counts, means } = clusterMeans(img, r.labels, r.k);
      for (let j = 0; j < r.k; j++) if (counts[j]! > 0) expect(r.centroids[j]).toEqual(means[j]!.map(f));
      // A fixed point: one more run from these centroids stops after one unchanged pass.
      const rerun = await kmeans(img, { init: r.centroids, tolerance: 0 });
      expect(rerun.centroids).toEqual(r.centroids);
      expect(rerun.inertia).toBe(r.inertia);
      // Pass 1 assigns, the means do not move, pass 2 confirms (an empty cluster may relocate instead).
      if (counts.every((c) => c > 0)) expect(rerun.iterations).toBe(2);
    }), { seed: 7, numRuns: 60 });
  });
});

describe('seeds and restarts', () => {
  const img = noiseImage(60, 40, 123); // ~2400 distinct colours

  it('the same seed gives identical results twice in a row', async () => {
    for (const options of [{ k: 7, seed: 5 }, { k: 12, seed: 0, init: 'random' as const, attempts: 3 }, { k: 3, seed: 4294967295 }]) {
      const a = await kmeans(img, options);
      const b = await kmeans(img, options);
      expectSameResult(a, b, JSON.stringify(options));
    }
  });

  it('different seeds give different k-means++ and random draws', async () => {
    for (const init of ['kmeans++', 'random'] as const) {
      const draws = new Set<string>();
      const firsts = new Set<string>();
      for (let seed = 0; seed < 10; seed++) {
        const r = await kmeans(img, { k: 8, seed, init, maxIterations: 1 });
        draws.add(JSON.stringify(r.centroids));
        firsts.add(JSON.stringify(r.centroids[0]));
      }
      expect(draws.size, init).toBe(10);
      expect(firsts.size, init).toBeGreaterThanOrEqual(9);
    }
  });

  it('attempts keeps the lowest inertia, and the first of the lowest', async () => {
    for (const seed of [0, 1, 2, 3]) {
      const options = { k: 6, seed, init: 'random' as const, tolerance: 0 };
      const single = await kmeans(img, { ...options, attempts: 1 });
      const best = await kmeans(img, { ...options, attempts: 5 });
      expect(single.attempt).toBe(0);
      expect(best.attempt).toBeGreaterThanOrEqual(0);
      expect(best.attempt).toBeLessThan(5);
      // Attempt 0 of a run is attempt 0 of every run with the same seed (one PRNG stream).
      expect(best.inertia).toBeLessThanOrEqual(single.inertia);
      if (best.attempt === 0) expectSameResult(best, single, `seed ${seed}`);
      // The first attempt+1 attempts already contain the winner: same result, bit for bit...
      expectSameResult(await kmeans(img, { ...options, attempts: best.attempt + 1 }), best, `seed ${seed}, attempts ${best.attempt + 1}`);
      // ...and with fewer attempts every candidate was strictly worse (ties keep the earlier one).
      let previous = Infinity;
      for (let a = 1; a <= 5; a++) {
        const r = await kmeans(img, { ...options, attempts: a });
        expect(r.inertia).toBeLessThanOrEqual(previous);
        if (a <= best.attempt) expect(r.inertia).toBeGreaterThan(best.inertia);
        previous = r.inertia;
      }
    }
  });

  it('attempts are ignored when init gives the centroids', async () => {
    const init = [[0, 0, 0], [255, 255, 255], [128, 0, 255]];
    const one = await kmeans(img, { init });
    const many = await kmeans(img, { init, attempts: 4, seed: 9 });
    expectSameResult(many, one);
  });
});

describe('toRGB and hasAlpha', () => {
  it('toRGB is toRGBA without its alpha; hasAlpha says whether any alpha was below 255', async () => {
    const opaque = await kmeans(image([[10, 20, 30], [200, 100, 0], [10, 20, 31], [0, 0, 255]], 2), { k: 2 });
    expect(opaque.hasAlpha).toBe(false);
    const rgba = opaque.toRGBA();
    expect(Array.from(opaque.toRGB())).toEqual(Array.from(rgba).filter((_, i) => i % 4 !== 3));

    const clear = await kmeans(image([[10, 20, 30], [200, 100, 0, 0], [10, 20, 31, 128], [0, 0, 255]], 2), { k: 2 });
    expect(clear.hasAlpha).toBe(true);
    const rgb = clear.toRGB();
    expect(Array.from(rgb.subarray(3, 6)), 'the transparent pixel is black').toEqual([0, 0, 0]);
    expect(Array.from(rgb.subarray(6, 9))).toEqual(clear.palette[clear.labels[2]!]!.rgb);
    expect(clear.toRGBA()[11], 'toRGBA keeps the partial alpha').toBe(128);
  });
});
