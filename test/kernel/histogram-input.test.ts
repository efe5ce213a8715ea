/**
 * The histogram engine's input area (inputArea): pixels written into the kernel's memory are counted
 * and labelled where they are, on 1 and 2 threads, with the same keys, counts, coverage and labels as
 * the copied path; a session opened afterwards starts past the area (its pixels survive a whole run);
 * a smaller image after a larger one reads only its own pixels; the Node kmeans job reads them there.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildHistogram, labelPixels, type HistogramEngine } from '../../src/core/histogram.js';
import { kmeans } from '../../src/core/kmeans.js';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import { HISTOGRAM, INPUT_BYTE } from '../../src/kernel/wasm/memory.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { inputJob, kmeansJob, type KMeansJobValue } from '../../src/node/kmeans-job.js';
import type { KernelInput } from '../../src/node/staging.js';
import type { RGBAImage } from '../../src/types.js';
import { expectSameResult, levelsImage } from '../helpers.js';

vi.setConfig({ testTimeout: 180_000 });
afterAll(async () => { await terminateWorkers(); });

async function wasmKernel(): Promise<WasmKernel> {
  const { kernel } = await getKernel('wasm', 2);
  (kernel as WasmKernel).histogramThreads = 2;
  return kernel as WasmKernel;
}

/** Keys, counts, coverage and u8 and u16 labels of `data` (w x h) through `engine`. */
function run(data: Uint8Array | Uint8ClampedArray, pixels: number, engine: HistogramEngine | null): string[] {
  const parts: string[] = [];
  for (const k of [251, 60011]) { // one histogram a label width: release clears the map of the width it last laid
    const h = buildHistogram(data, pixels, engine);
    parts.push(Buffer.from(h.keys.buffer, h.keys.byteOffset, h.keys.byteLength).toString('base64'), Buffer.from(h.counts.buffer, h.counts.byteOffset, h.counts.byteLength).toString('base64'), `${h.opaque} ${h.translucent}`);
    const colourLabels = Uint16Array.from({ length: h.n }, (_, i) => ((i * 7919) >>> 2) % k);
    const out = k < 256 ? new Uint8Array(pixels) : new Uint16Array(pixels);
    labelPixels(data, pixels, h, colourLabels, k, out);
    parts.push(Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('base64'));
    h.release();
  }
  return parts;
}

/** `img`'s pixels written into the engine's input area (reserved for `room` bytes at least), as a view there. */
function staged(kernel: WasmKernel, img: RGBAImage, room = img.data.length): Uint8Array {
  const area = kernel.histogramEngine()!.inputArea(room)!;
  expect(area.byteOffset).toBe(INPUT_BYTE);
  const view = new Uint8Array(kernel.memory.buffer, INPUT_BYTE, img.data.length);
  view.set(img.data);
  return view;
}

describe('the histogram engine input area', () => {
  it('counts and labels in place as the copied path does, on 1 and 2 threads, a smaller image after a larger one', async () => {
    const kernel = await wasmKernel();
    const big = levelsImage(1601, Math.ceil((HISTOGRAM.threadedSlicePixels * 1.3) / 1601), 7, 256, 40, true);
    const cases: [RGBAImage, number][] = [[big, 0], [levelsImage(333, 77, 3, 64, 9, true), 0], [levelsImage(1, 1, 1, 2, 0, false), 0], [big, 1 << 30]];
    for (const [img, minPixels] of cases) {
      const pixels = img.width * img.height;
      const want = run(img.data, pixels, null);
      for (const threads of [1, 2]) {
        const engine = kernel.histogramEngine(threads, minPixels)!;
        expect(run(img.data, pixels, engine), `copied, ${threads} threads, ${img.width} x ${img.height}`).toEqual(want);
        const view = staged(kernel, img, big.data.length);
        expect(run(view, pixels, kernel.histogramEngine(threads, minPixels)), `in place, ${threads} threads, ${img.width} x ${img.height}`).toEqual(want);
      }
    }
  });

  it('reads the input area where it is: the pixel slice is not written by an in-place count', async () => {
    const kernel = await wasmKernel();
    const img = levelsImage(700, 500, 11, 256, 0, false);
    const view = staged(kernel, img);
    const slice = new Uint32Array(kernel.memory.buffer, HISTOGRAM.slice, 64).fill(0xdeadbeef);
    const engine = kernel.histogramEngine(1)!;
    engine.count(new Uint32Array(view.buffer, view.byteOffset, 700 * 500));
    expect(slice.every((v) => v === 0xdeadbeef), 'the slice untouched').toBe(true);
    engine.collect();
    engine.clear(0);
  });

  it('a whole run over pixels in the area gives the copied run\'s bits: sessions start past the area', async () => {
    const kernel = await wasmKernel();
    const img = levelsImage(1283, 911, 5, 48, 4, false);
    const opts = { k: 12, seed: 3, maxIterations: 12, backend: 'wasm' } as const;
    const want = await kmeans(img, { ...opts, threads: 2 });
    const data = staged(kernel, img);
    const copy = Uint8Array.from(data);
    for (const threads of [1, 2]) {
      expectSameResult(await kmeans({ ...img, data }, { ...opts, threads }), want, `in place, ${threads} threads`);
      expect(Buffer.from(data).equals(Buffer.from(copy)), 'the pixels in the area are intact after the run').toBe(true);
    }
  });

  it('the input job offers the area (none for the TS backend), and the kmeans job reads pixels there when told', async () => {
    await wasmKernel();
    const img = levelsImage(640, 480, 21, 200, 30, true);
    const opts = { k: 9, seed: 5, maxIterations: 8, backend: 'wasm' } as const;
    const want = await kmeans(img, opts);
    expect((await inputJob({ bytes: 100, backend: 'js' })).value).toBeNull();
    const input = (await inputJob({ bytes: img.data.length, backend: 'wasm' })).value as KernelInput;
    expect(input).toMatchObject({ offset: INPUT_BYTE });
    expect(input.bytes).toBeGreaterThanOrEqual(img.data.length);
    // As the calling thread sees the area: a SharedArrayBuffer object of its own over the same bytes.
    const data = new Uint8Array(input.buffer, input.offset, img.data.length);
    data.set(img.data);
    const out = await kmeansJob({ image: { ...img, data }, options: opts, quality: false, giveBack: false, inKernel: true }, 1, undefined, undefined);
    const value = out.value as KMeansJobValue;
    expect(value.unpainted.result.labels).toEqual(want.labels);
    expect(value.unpainted.result.centroids).toEqual(want.centroids);
    expect(value.unpainted.result.iterations).toBe(want.iterations);
  });
});
