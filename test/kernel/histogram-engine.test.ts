/**
 * The histogram's wasm engine against the TS loops and a plain count: the same keys (ascending), counts,
 * table indices and labels, on extreme images (every colour once, one colour, no opaque pixel,
 * transparent pixels of many colours) and a real photo; with the module's per-colour loops and without
 * them (an engine given only the two per-pixel loops runs those as TS over its memory), and as the
 * kernel wires its own. After every release the table and the flags are all zero. Then whole runs: every backend, thread count and the
 * histogram switch give the same labels on a real photo with transparent pixels.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildHistogram, keyOf, labelPixels, slotOf, type HistogramEngine } from '../../src/core/histogram.js';
import { kmeans } from '../../src/core/kmeans.js';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import { openHistogramEngine } from '../../src/kernel/wasm/histogram-engine.js';
import { HISTOGRAM } from '../../src/kernel/wasm/memory.js';
import { instantiateOwnMemory, type WasmExports } from '../../src/kernel/wasm/module.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import type { RGBAImage } from '../../src/types.js';
import { IMAGES_DIR, expectSameResult, loadRGBA, noiseImage } from '../helpers.js';

vi.setConfig({ testTimeout: 120_000 });
afterAll(async () => { await terminateWorkers(); });

const COFFEE = path.join(IMAGES_DIR, 'coffee.png');
const HAVE_COFFEE = existsSync(COFFEE);
if (!HAVE_COFFEE) console.warn(`histogram-engine.test.ts: skipping the photo cases: ${COFFEE} is missing`);

interface Engine { name: string; engine: HistogramEngine | null; memory: WebAssembly.Memory | null }

/**
 * The TS loops; the kernel's own engine, as the kernel wires it; and over memories of their own, an
 * engine given every histogram loop of the module and one given only the two per-pixel loops.
 */
async function engines(): Promise<Engine[]> {
  const { kernel } = await getKernel('wasm', 1);
  const wasm = kernel as WasmKernel;
  const own = wasm.histogramEngine();
  expect(own).not.toBeNull();
  const instance = (): { exports: WasmExports; memory: WebAssembly.Memory } => {
    const made = instantiateOwnMemory(wasm.module);
    expect(made.shared).toBe(true);
    return made;
  };
  const a = instance(), b = instance();
  const loops = ({ countColours, labelColours, collectColours, fillLabelMap, clearColours }: WasmExports) => ({
    countColours: countColours!, labelColours: labelColours!, collectColours, fillLabelMap, clearColours,
  });
  expect(a.exports.collectColours && a.exports.fillLabelMap && a.exports.clearColours, 'the build has the per-colour loops').toBeTruthy();
  return [
    { name: 'ts', engine: null, memory: null },
    { name: 'every loop', engine: openHistogramEngine(a.memory, loops(a.exports)), memory: a.memory },
    { name: 'kernel', engine: own, memory: wasm.memory },
    { name: 'two loops', engine: openHistogramEngine(b.memory, { countColours: b.exports.countColours!, labelColours: b.exports.labelColours! }), memory: b.memory },
  ];
}

/** A view's own bytes (colours may be views of larger arrays: see collect in histogram-engine.ts). */
const bytes = (v: Uint32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Whether every byte of the view is zero. */
function zero(view: Uint8Array | Uint32Array): boolean {
  const words = new Uint32Array(view.buffer, view.byteOffset, view.byteLength / 4);
  let any = 0;
  for (let i = 0; i < words.length; i++) any |= words[i]!;
  return any === 0;
}

/** Histogram, table indices and u8 / u16 labels of `img` on one engine; checks the table (and flags) clean after. */
function run(img: RGBAImage, e: Engine, labelOf: (i: number) => number, widths: readonly (1 | 2)[]) {
  const pixels = img.width * img.height;
  const results: { keys: Uint32Array; counts: Uint32Array; opaque: number; translucent: boolean; indexOk: boolean; labels: Uint8Array | Uint16Array }[] = [];
  for (const width of widths) {
    const h = buildHistogram(img.data, pixels, e.engine);
    try {
      let indexOk = true; // every colour's table entry is its index until labelling
      for (let i = 0; i < h.n; i++) if (h.table[slotOf(h.keys[i]!)] !== i) { indexOk = false; break; }
      const k = width === 1 ? 200 : 60000;
      const colourLabels = new Uint16Array(h.n);
      for (let i = 0; i < h.n; i++) colourLabels[i] = labelOf(i) % k;
      const labels = width === 1 ? new Uint8Array(pixels) : new Uint16Array(pixels);
      labelPixels(img.data, pixels, h, colourLabels, k, labels);
      results.push({ keys: h.keys, counts: h.counts, opaque: h.opaque, translucent: h.translucent, indexOk, labels });
    } finally {
      h.release();
    }
    expect(zero(h.table), `${e.name}: table clean after release`).toBe(true);
    if (e.memory) expect(zero(new Uint8Array(e.memory.buffer, HISTOGRAM.flags, 1 << 20)), `${e.name}: flags clean`).toBe(true);
  }
  return results;
}

/** The plain count: each opaque colour's count, keyed. */
function reference(img: RGBAImage): Map<number, number> {
  const counts = new Map<number, number>();
  for (let p = 0, o = 0; p < img.width * img.height; p++, o += 4) {
    if (img.data[o + 3] === 0) continue;
    const key = keyOf(img.data[o]!, img.data[o + 1]!, img.data[o + 2]!);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Every engine (or the first `only`) gives the reference's histogram, and labels that follow it pixel by pixel. */
async function agree(img: RGBAImage, want = fromMap(reference(img)), widths: readonly (1 | 2)[] = [1, 2], only = 4): Promise<void> {
  const labelOf = (i: number) => (i * 7919) >>> 3;
  const all = (await engines()).slice(0, only).map((e) => ({ e, r: run(img, e, labelOf, widths) }));
  let opaque = 0, translucent = false;
  for (let o = 3; o < img.data.length; o += 4) { opaque += img.data[o] === 0 ? 0 : 1; translucent ||= img.data[o] !== 255; }
  for (const { e, r } of all) {
    for (const got of r) {
      expect(got.opaque, `${e.name}: opaque pixels`).toBe(opaque);
      expect(got.translucent, `${e.name}: some alpha below 255`).toBe(translucent);
      expect(got.keys.length, `${e.name}: distinct colours`).toBe(want.keys.length);
      expect(bytes(got.keys).equals(bytes(want.keys)), `${e.name}: keys ascending`).toBe(true);
      expect(bytes(got.counts).equals(bytes(want.counts)), `${e.name}: counts`).toBe(true);
      expect(got.indexOk, `${e.name}: table holds each colour's index`).toBe(true);
    }
    widths.forEach((width, w) => {
      const mine = r[w]!.labels, ts = all[0]!.r[w]!.labels;
      expect(Buffer.from(mine.buffer).equals(Buffer.from(ts.buffer)), `${e.name}: u${width * 8} labels = the TS loops'`).toBe(true);
    });
  }
  // The TS labels themselves, against the keys: a pixel's label is its colour's, k for alpha 0.
  const first = all[0]!.r[0]!.labels, k = widths[0] === 1 ? 200 : 60000;
  const index = new Int32Array(1 << 24).fill(-1);
  want.keys.forEach((key, i) => { index[key] = i; });
  for (let p = 0, o = 0; p < img.width * img.height; p++, o += 4) {
    const expected = img.data[o + 3] === 0 ? k : labelOf(index[keyOf(img.data[o]!, img.data[o + 1]!, img.data[o + 2]!)]!) % k;
    if (first[p] !== expected) expect(first[p], `pixel ${p}`).toBe(expected);
  }
}

function fromMap(m: Map<number, number>): { keys: Uint32Array; counts: Uint32Array } {
  const keys = Uint32Array.from([...m.keys()].sort((a, b) => a - b));
  return { keys, counts: Uint32Array.from(keys, (key) => m.get(key)!) };
}

/** Alpha 0 over a diagonal band and every 13th pixel, alpha 100 on others: their colours stay as they were. */
function withHoles(img: RGBAImage): RGBAImage {
  const data = Uint8Array.from(img.data);
  for (let p = 0; p < img.width * img.height; p++) {
    const x = p % img.width, y = Math.floor(p / img.width);
    if (Math.abs(x - y) < 5 || p % 13 === 0) data[p * 4 + 3] = 0;
    else if (p % 17 === 0) data[p * 4 + 3] = 100;
  }
  return { data, width: img.width, height: img.height };
}

describe('the histogram engine', () => {
  it('every colour of the cube once (4096 x 4096)', async () => {
    const width = 4096, height = 4096, data = new Uint8Array(width * height * 4);
    // Pixel p holds colour p ^ 0xa5c3e1: every colour exactly once, out of key order but near it
    // (a random order would make every count a cache miss: seconds, not a fraction of one).
    for (let p = 0; p < width * height; p++) {
      const key = p ^ 0xa5c3e1;
      data[p * 4] = key & 255; data[p * 4 + 1] = (key >>> 8) & 255; data[p * 4 + 2] = key >>> 16; data[p * 4 + 3] = 255;
    }
    const keys = new Uint32Array(1 << 24);
    for (let i = 0; i < keys.length; i++) keys[i] = i;
    // u16 labels only, on the TS loops and the wasm loops: each pass over 16 M colours takes a while.
    await agree({ data, width, height }, { keys, counts: new Uint32Array(1 << 24).fill(1) }, [2], 2);
  });

  it('one colour; no opaque pixel; transparent pixels of every shade do not count; one translucent pixel', async () => {
    const one = noiseImage(300, 200, 3, 1); // levels 1: every pixel black
    await agree(one);
    const none = noiseImage(64, 64, 4, 256, 16); // every pixel alpha 0
    await agree(none, { keys: new Uint32Array(0), counts: new Uint32Array(0) });
    await agree(noiseImage(700, 500, 5, 256, 7)); // 7 of every 16 pixels alpha 0, in random colours
    const almost = noiseImage(300, 300, 6);
    almost.data[4 * 89_999 + 3] = 254; // one translucent pixel, the very last: the result keeps the alpha
    await agree(almost);
  });

  it.skipIf(!HAVE_COFFEE)('a real photo with transparent pixels', async () => {
    await agree(withHoles(await loadRGBA(COFFEE)));
  });

  it.skipIf(!HAVE_COFFEE)('gives the same labels on every backend, thread count and histogram setting', async () => {
    const img = withHoles(await loadRGBA(COFFEE));
    const options = { k: 12, seed: 3, maxIterations: 15, tolerance: 0 };
    const ref = await kmeans(img, { ...options, backend: 'js' });
    for (const variant of [
      { backend: 'wasm', threads: 1 }, { backend: 'wasm', threads: 2 },
      { backend: 'wasm', threads: 2, histogram: false }, { backend: 'js', histogram: false },
    ] as const) {
      expectSameResult(await kmeans(img, { ...options, ...variant }), ref, JSON.stringify(variant));
    }
  });
});
