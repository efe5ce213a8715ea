/**
 * RGB histogram points carry their colour keys (Points.rgb) and build their x, y, z planes only when
 * read. The wasm kernel writes its planes from the keys, and k-means++ and Lloyd read coordinates
 * through copyPoint / dimsOf, so the default path never builds the JS planes; with keys or with plain
 * planes, on wasm (tree or flat, one thread or two) and on the TS twin, every draw and pass is the same.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { twoKernels } from './kernels.js';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import { jsKernel } from '../../src/kernel/js.js';
import type { Kernel, Points } from '../../src/kernel/kernel.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { buildHistogram, type Histogram } from '../../src/core/histogram.js';
import { histogramPoints } from '../../src/core/points.js';
import { initKMeansPlusPlus } from '../../src/core/seeding.js';
import { lloyd } from '../../src/core/lloyd.js';
import { runKMeans } from '../../src/core/kmeans.js';
import { resolveOptions } from '../../src/core/options.js';
import { Random } from '../../src/core/random.js';
import { levelsImage, noiseImage } from '../helpers.js';
import type { RGBAImage } from '../../src/types.js';

vi.setConfig({ testTimeout: 120_000 });

let wasm: WasmKernel, pooled: WasmKernel;
beforeAll(async () => { ({ wasm, pooled } = await twoKernels()); });
afterAll(async () => { await terminateWorkers(); });

/** The points with keys only: reading a plane throws, so a run passes only if nothing reads one. */
function keysOnly(p: Points): Points {
  const read = (): never => { throw new Error('a coordinate plane was read: the keys path must not build the planes'); };
  return { get x() { return read(); }, get y() { return read(); }, get z() { return read(); }, w: p.w, n: p.n, rgb: p.rgb! };
}

/** The same points as plain planes (no keys): the way every backend read them before. */
function plainPlanes(p: Points): Points {
  return { x: Float32Array.from(p.x), y: Float32Array.from(p.y), z: Float32Array.from(p.z), w: p.w, n: p.n };
}

interface Run { draws: number[]; initial: number[]; history: number[]; iterations: number; labels: number[]; sums: number[]; centroids: number[] }

/** Run a against run b field by field, naming the first difference (a diff of 300,000 labels would take minutes). */
function expectSame(got: Run, want: Run, what: string): void {
  for (const field of Object.keys(want) as (keyof Run)[]) {
    const a = [got[field]].flat(), b = [want[field]].flat();
    let i = 0;
    while (i < Math.max(a.length, b.length) && Object.is(a[i], b[i])) i++;
    expect(i < Math.max(a.length, b.length) ? `${field}[${i}] = ${a[i]} of ${a.length}` : 'same', `${what}: ${field}`)
      .toBe(i < Math.max(a.length, b.length) ? `${field}[${i}] = ${b[i]} of ${b.length}` : 'same');
  }
}

/** k-means++ on the session's own seeding (or `initial`), then Lloyd: every draw and what the passes leave. */
function run(kernel: Kernel, points: Points, k: number, opts: { threads?: number; tree?: boolean; initial?: Float32Array; passes?: number } = {}): Run {
  const session = (kernel as WasmKernel).open(points, k, opts.threads ?? 1, opts.tree === undefined ? {} : { tree: opts.tree });
  try {
    const draws: number[] = [];
    const add = session.seeding.add.bind(session.seeding);
    session.seeding.add = (c) => { draws.push(c); add(c); };
    const initial = opts.initial ?? initKMeansPlusPlus(points, k, new Random(5), session.seeding);
    session.reset();
    const fit = lloyd(session, points, initial, k, opts.passes ?? 40, 0);
    return {
      draws, initial: [...initial], history: fit.history, iterations: fit.iterations,
      labels: [...session.labels], sums: [...session.sums], centroids: [...fit.centroids],
    };
  } finally {
    session.dispose();
  }
}

/** The histogram of `img` on the shared kernel's engine (rgbPlanes in wasm), released after `body`. */
function withHistogram<T>(img: RGBAImage, body: (h: Histogram) => T): T {
  const h = buildHistogram(img.data, img.width * img.height, pooled.histogramEngine(1));
  try { return body(h); } finally { h.release(); }
}

describe('RGB histogram points with keys', () => {
  it('build their planes once, when first read, with the values of their keys', () => {
    const img = levelsImage(97, 61, 3, 64, 5, true);
    withHistogram(img, (h) => {
      const spy = vi.spyOn(h.engine!, 'rgbPlanes');
      const p = histogramPoints(h, 'rgb');
      expect(p.rgb).toEqual(h.keys.subarray(0, h.n));
      expect(spy).not.toHaveBeenCalled();
      const x = p.x;
      expect(spy).toHaveBeenCalledTimes(1);
      expect(p.x).toBe(x);
      expect([p.y, p.z].every((q) => q.length === h.n)).toBe(true);
      expect(spy).toHaveBeenCalledTimes(1);
      for (let i = 0; i < h.n; i++) {
        const key = h.keys[i]!;
        expect([p.x[i], p.y[i], p.z[i]]).toEqual([key & 255, (key >>> 8) & 255, key >>> 16]);
      }
      spy.mockRestore();
    });
  });

  it('seed and pass on wasm without a plane read, bit for bit as plain planes and the TS twin', () => {
    // Flat points (below the tree's threshold); a tree on 2 threads; enough colours for the pool's k-means++ candidates too.
    const cases = [[40, 40, 256, 6, 1500, 40], [300, 200, 32, 16, 20_000, 40], [640, 480, 256, 8, 270_000, 8]] as const;
    for (const [w, h, levels, k, least, passes] of cases) {
      withHistogram(noiseImage(w, h, w + h, levels), (hist) => {
        const p = histogramPoints(hist, 'rgb');
        const want = run(jsKernel, plainPlanes(p), k, { passes });
        const what = `${w} x ${h}, ${hist.n} colours, K = ${k}`;
        expect(hist.n, what).toBeGreaterThanOrEqual(least);
        expect(want.iterations, what).toBeGreaterThan(2);
        for (const [name, kernel, opts] of [
          ['wasm', wasm, { passes }], ['wasm flat', wasm, { tree: false, passes }], ['wasm, 2 threads', pooled, { threads: 2, passes }],
        ] as const) {
          expectSame(run(kernel, keysOnly(p), k, opts), want, `${name} with keys, ${what}`);
          expectSame(run(kernel, plainPlanes(p), k, opts), want, `${name} with planes, ${what}`);
        }
        expectSame(run(jsKernel, p, k, { passes }), want, `js with keys, ${what}`);
      });
    }
  });

  it('relocate an empty cluster through the lazy planes, as plain planes do', () => {
    withHistogram(noiseImage(200, 150, 9, 32), (hist) => {
      const p = histogramPoints(hist, 'rgb');
      // Centroids 1 and 2 equal: 2 gets no point (ties go to the lower index), so the first pass empties it.
      const initial = Float32Array.from([20, 20, 20, 128, 128, 128, 128, 128, 128, 230, 230, 230]);
      const want = run(jsKernel, plainPlanes(p), 4, { initial });
      const spy = vi.spyOn(hist.engine!, 'rgbPlanes');
      expectSame(run(wasm, histogramPoints(hist, 'rgb'), 4, { initial }), want, 'wasm with keys');
      expect(spy, 'the relocation built the planes').toHaveBeenCalledTimes(1);
      spy.mockRestore();
      expectSame(run(pooled, histogramPoints(hist, 'rgb'), 4, { initial, threads: 2 }), want, 'wasm, 2 threads, with keys');
      expectSame(run(jsKernel, p, 4, { initial }), want, 'js with keys');
    });
  });

  it('are never built by the driver on the default path (colorSpace rgb, the wasm kernel)', async () => {
    const choice = await getKernel('wasm', 2);
    const engine = choice.kernel.histogramEngine!(2)!;
    const spy = vi.spyOn(engine, 'rgbPlanes');
    try {
      const img = noiseImage(300, 200, 11, 32, 1);
      const fast = runKMeans(img, resolveOptions({ k: 12, seed: 3 }), choice);
      expect(spy).not.toHaveBeenCalled();
      // The TS backend reads the planes: the same result.
      const ts = runKMeans(img, resolveOptions({ k: 12, seed: 3, backend: 'js' }), { kernel: jsKernel, threads: 1 });
      expect(fast.labels.length === ts.labels.length && fast.labels.every((v, i) => v === ts.labels[i]), 'the same labels').toBe(true);
      expect(fast.centroids).toEqual(ts.centroids);
      expect(fast.history).toEqual(ts.history);
    } finally {
      spy.mockRestore();
    }
  });
});
