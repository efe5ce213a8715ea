/**
 * The histogram's loops shared over threads (the count into two tables merged by collect, the labels
 * by chunks of pixels, in slices larger than one thread's) against the TS loops: the same keys,
 * counts, coverage and labels on random images of odd sizes,
 * few and many colours, transparent and translucent pixels, and one large enough for several
 * threaded slices; then whole runs on 1 and 2 threads and the TS backend give the same bits.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildHistogram, labelPixels, type Histogram, type HistogramEngine } from '../../src/core/histogram.js';
import { kmeans } from '../../src/core/kmeans.js';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import { HISTOGRAM } from '../../src/kernel/wasm/memory.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import type { RGBAImage } from '../../src/types.js';
import { expectSameResult, levelsImage } from '../helpers.js';

vi.setConfig({ testTimeout: 180_000 });
afterAll(async () => { await terminateWorkers(); });

interface Outcome { keys: Uint32Array; counts: Uint32Array; opaque: number; translucent: boolean; u8: Uint8Array; u16: Uint16Array }

/** Whether the kernel's histogram region (both tables, the flags) is all zero, as every release must leave it. */
function clean(kernel: WasmKernel): boolean {
  const { table, table2, flags } = HISTOGRAM;
  const words = (at: number, bytes: number) => new Uint32Array(kernel.memory.buffer, at, bytes / 4);
  return [words(table, 1 << 26), words(table2, 1 << 26), words(flags, 1 << 20)].every((w) => w.every((v) => v === 0));
}

function outcome(img: RGBAImage, engine: HistogramEngine | null): Outcome {
  const pixels = img.width * img.height;
  const labelled = (width: 1 | 2): { h: Histogram; out: Uint8Array | Uint16Array } => {
    const h = buildHistogram(img.data, pixels, engine);
    try {
      const k = width === 1 ? 251 : 60011;
      const colourLabels = Uint16Array.from({ length: h.n }, (_, i) => ((i * 7919) >>> 2) % k);
      const out = width === 1 ? new Uint8Array(pixels) : new Uint16Array(pixels);
      labelPixels(img.data, pixels, h, colourLabels, k, out);
      return { h, out };
    } finally {
      h.release();
    }
  };
  const a = labelled(1), b = labelled(2);
  return { keys: a.h.keys, counts: a.h.counts, opaque: a.h.opaque, translucent: a.h.translucent, u8: a.out as Uint8Array, u16: b.out as Uint16Array };
}

const same = (x: ArrayBufferView, y: ArrayBufferView): boolean => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));

function expectSame(got: Outcome, want: Outcome, what: string): void {
  expect(got.opaque, `${what}: opaque`).toBe(want.opaque);
  expect(got.translucent, `${what}: translucent`).toBe(want.translucent);
  expect(same(got.keys, want.keys), `${what}: keys`).toBe(true);
  expect(same(got.counts, want.counts), `${what}: counts`).toBe(true);
  expect(same(got.u8, want.u8), `${what}: u8 labels`).toBe(true);
  expect(same(got.u16, want.u16), `${what}: u16 labels`).toBe(true);
}

async function twoThreads(): Promise<WasmKernel | null> {
  const { kernel, threads } = await getKernel('wasm', 2);
  if (threads < 2) { console.warn('histogram-threads.test.ts: no second thread here; the threaded cases are skipped'); return null; }
  (kernel as WasmKernel).histogramThreads = 2; // what a run may then use (off by default: see wasm-kernel.ts)
  return kernel as WasmKernel;
}

describe('the histogram on several threads', () => {
  it('counts and labels as the TS loops do: random images, odd sizes, holes, translucent pixels (threshold lowered)', async () => {
    const kernel = await twoThreads();
    if (!kernel) return;
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 260 }), fc.integer({ min: 1, max: 190 }), fc.integer({ min: 0, max: 2 ** 31 }),
      fc.constantFrom(1, 2, 5, 64, 256), fc.constantFrom(0, 3, 500, 1000), fc.boolean(),
      async (w, h, seed, levels, holes, translucent) => {
        const img = levelsImage(w, h, seed, levels, holes, translucent);
        const want = outcome(img, null);
        if (want.opaque === 0) return;
        expectSame(outcome(img, kernel.histogramEngine(2, 0)), want, `2 threads, ${w} x ${h}`);
        expectSame(outcome(img, kernel.histogramEngine(1)), want, `1 thread, ${w} x ${h}`);
        if (w * h > 40000) expect(clean(kernel), 'tables and flags clean after release').toBe(true);
      },
    ), { numRuns: 60, seed: 12 });
  });

  it('several threaded slices: an image above one threaded slice, every channel value, holes', async () => {
    const kernel = await twoThreads();
    if (!kernel) return;
    const w = 1601, h = Math.ceil((HISTOGRAM.threadedSlicePixels * 1.6) / w);
    for (const [levels, holes] of [[256, 30], [8, 0]] as const) {
      const img = levelsImage(w, h, levels * 31 + holes, levels, holes, true);
      const want = outcome(img, null);
      expectSame(outcome(img, kernel.histogramEngine(2)), want, `2 threads, ${levels} levels`);
      expect(clean(kernel), 'tables and flags clean after release').toBe(true);
    }
  });

  it('leaves both tables clean when a split count is released without collecting (a run that failed in between)', async () => {
    const kernel = await twoThreads();
    if (!kernel) return;
    const engine = kernel.histogramEngine(2, 0)!;
    const img = levelsImage(300, 200, 9, 256, 10, false);
    engine.count(new Uint32Array(img.data.buffer, img.data.byteOffset, 300 * 200));
    expect(clean(kernel)).toBe(false);
    engine.clear(4);
    expect(clean(kernel), 'tables and flags clean').toBe(true);
    expectSame(outcome(img, engine), outcome(img, null), 'the next histogram');
  });

  it('whole runs give the same bits on 1 and 2 threads and on the TS backend (an image above the threaded threshold)', async () => {
    await twoThreads();
    const img = levelsImage(1283, 911, 5, 48, 4, false);
    const opts = { k: 12, seed: 3, maxIterations: 12 } as const;
    const one = await kmeans(img, { ...opts, threads: 1, backend: 'wasm' });
    const two = await kmeans(img, { ...opts, threads: 2, backend: 'wasm' });
    const js = await kmeans(img, { ...opts, backend: 'js' });
    expectSameResult(two, one, '2 threads vs 1');
    expectSameResult(js, one, 'js vs wasm');
  });
});
