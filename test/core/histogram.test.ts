/**
 * The exact colour histogram reuses one 64 MiB table across calls, indexed by slotOf(key), and lends
 * its bytes to labelling: every call must nonetheless see a clean table. Checked against a Map-based
 * count, call after call, through the three labelling widths (u8, u16 and u32 maps) and both ways the
 * TS loops order the colours (sort and scan), and by reading the whole table after every release().
 * The wasm engine against these loops: here on gradients and noise, in test/kernel/histogram-engine.test.ts
 * on extreme and real images.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildHistogram, keyOf, labelPixels, slotOf } from '../../src/core/histogram.js';
import { kmeans } from '../../src/core/kmeans.js';
import { paintOver } from '../../src/core/paint.js';
import { imageArb, noiseImage } from '../helpers.js';
import type { RGBAImage } from '../../src/types.js';

/** Whether every entry is zero; an OR over the table, as expect() on 16 M entries would crawl. */
function clean(table: Uint32Array): boolean {
  let any = 0;
  for (let i = 0; i < table.length; i++) any |= table[i]!;
  return any === 0;
}

function reference(img: RGBAImage): Map<number, number> {
  const counts = new Map<number, number>();
  for (let p = 0; p < img.width * img.height; p++) {
    const o = p * 4;
    if (img.data[o + 3] === 0) continue;
    const key = keyOf(img.data[o]!, img.data[o + 1]!, img.data[o + 2]!);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function check(img: RGBAImage, labelWidth: 8 | 16 | 32): number {
  const pixels = img.width * img.height;
  const h = buildHistogram(img.data, pixels);
  let released = false;
  try {
    const want = reference(img);
    expect(h.n).toBe(want.size);
    const keys = [...want.keys()].sort((a, b) => a - b);
    // Compared whole only when small: a diff of millions of entries would swamp the report.
    const keysOk = h.keys.every((key, i) => key === keys[i]);
    const countsOk = h.counts.every((c, i) => c === want.get(keys[i]!));
    expect(keysOk, 'keys ascending, one per distinct colour').toBe(true);
    expect(countsOk, 'counts').toBe(true);
    // Label every colour by its index modulo a k: each pixel must get its own colour's label.
    // 32 bits: the transparent label k = 70000 does not fit 16 (the map is then the table itself).
    const k = labelWidth === 8 ? 7 : labelWidth === 16 ? 300 : 70000;
    const colourLabels = Uint16Array.from(h.keys, (_, i) => i % k);
    const out = labelWidth === 8 ? new Uint8Array(pixels) : labelWidth === 16 ? new Uint16Array(pixels) : new Uint32Array(pixels);
    const position = new Map(keys.map((key, i) => [key, i]));
    labelPixels(img.data, pixels, h, colourLabels, k, out);
    for (let p = 0; p < pixels; p++) {
      const o = p * 4;
      const expected = img.data[o + 3] === 0 ? k : position.get(keyOf(img.data[o]!, img.data[o + 1]!, img.data[o + 2]!))! % k;
      if (out[p] !== expected) expect(out[p], `pixel ${p}`).toBe(expected);
    }
    h.release();
    released = true;
    expect(clean(h.table), 'table all zero after release()').toBe(true);
    return h.n;
  } finally {
    if (!released) h.release();
  }
}

describe('the colour histogram', () => {
  it('places every key in its own slot, and slotOf is its own inverse', () => {
    const hit = new Uint8Array(1 << 24);
    for (let key = 0; key < 1 << 24; key++) {
      const slot = slotOf(key);
      if (slot >>> 24 !== 0 || hit[slot] !== 0 || slotOf(slot) !== key) expect({ key, slot, back: slotOf(slot) }).toBe('a permutation');
      hit[slot] = 1;
    }
    // One 16x16x16 cube of colours shares a 16 KiB block of the table: the locality the layout is for.
    const block = (r: number, g: number, b: number): number => slotOf(keyOf(r, g, b)) >>> 12;
    expect(new Set([block(0x30, 0x40, 0x50), block(0x3f, 0x4f, 0x5f), block(0x35, 0x41, 0x5e)]).size).toBe(1);
    expect(block(0x40, 0x40, 0x50)).not.toBe(block(0x3f, 0x40, 0x50));
  });

  it('counts exactly and labels every pixel, call after call on one reused table (200 images)', () => {
    fc.assert(fc.property(imageArb({ maxWidth: 30, maxHeight: 20 }), fc.constantFrom(8 as const, 16 as const, 32 as const), (img, width) => {
      check(img, width);
    }), { seed: 11, numRuns: 200 });
  });

  it('orders many colours by scanning the table and stays clean for the next call', () => {
    // Over 2^21 distinct colours the TS loops switch from sorting to scanning the table.
    const many = noiseImage(2048, 1300, 5);
    expect(check(many, 16)).toBeGreaterThan(1 << 21);
    check(noiseImage(40, 30, 6, 5), 8);
  }, 120_000);
});

describe('painting a result over its own pixels (save without a second buffer)', () => {
  it('gives the bytes of toRGB() for opaque images and toRGBA() otherwise, at any byte offset', async () => {
    await fc.assert(fc.asyncProperty(imageArb({ maxWidth: 13, maxHeight: 7 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 3 }), async (img, k, offset) => {
      if (!img.data.some((_, o) => o % 4 === 3 && img.data[o] !== 0)) return; // all transparent: nothing to cluster
      const r = await kmeans(img, { k, backend: 'js', threads: 1 });
      const want = r.hasAlpha ? r.toRGBA() : r.toRGB();
      // An unaligned copy takes the byte-wise path, an aligned one the 32-bit stores.
      const copy = new Uint8Array(img.data.length + offset).subarray(offset);
      copy.set(img.data);
      const got = paintOver(r, copy);
      expect(got.buffer).toBe(copy.buffer);
      expect(Array.from(got)).toEqual(Array.from(want));
      // A second save paints the same bytes again over its own output.
      expect(Array.from(paintOver(r, copy))).toEqual(Array.from(want));
    }), { seed: 12, numRuns: 150 });
  });
});

describe('the histogram on the wasm kernel (its counting and labelling loops)', () => {
  /** Histogram and labels through the engine and through the TS loops, which must agree exactly. */
  async function both(img: RGBAImage, labelsOf: (n: number) => number[]) {
    const { getKernel } = await import('../../src/kernel/select.js');
    const { WasmKernel } = await import('../../src/kernel/wasm/wasm-kernel.js');
    const { kernel } = await getKernel('wasm', 2);
    const engine = (kernel as InstanceType<typeof WasmKernel>).histogramEngine();
    expect(engine).not.toBeNull();
    const pixels = img.width * img.height;
    const out: Array<{ keys: number[]; counts: number[]; n: number; opaque: number; labels8: Uint8Array | null; labels16?: Uint16Array }> = [];
    for (const e of [engine, null]) {
      const h = buildHistogram(img.data, pixels, e);
      try {
        const colourLabels = Uint16Array.from(labelsOf(h.n));
        const max = colourLabels.reduce((m, v) => Math.max(m, v), 0);
        const labels8 = max < 255 ? new Uint8Array(pixels) : null;
        const labels16 = new Uint16Array(pixels);
        // u8 first (it lays its map over the table), then a fresh histogram for u16.
        if (labels8) labelPixels(img.data, pixels, h, colourLabels, 255, labels8);
        out.push({ keys: Array.from(h.keys), counts: Array.from(h.counts), n: h.n, opaque: h.opaque, labels8 });
        h.release();
        const h2 = buildHistogram(img.data, pixels, e);
        labelPixels(img.data, pixels, h2, colourLabels, 65535, labels16);
        out[out.length - 1]!.labels16 = labels16;
        h2.release();
        if (e) expect(clean(e.table()), 'the engine leaves a clean table').toBe(true);
      } catch (err) {
        h.release();
        throw err;
      }
    }
    const [a, b] = out;
    expect(a!.n).toBe(b!.n);
    expect(a!.opaque).toBe(b!.opaque);
    expect(a!.keys).toEqual(b!.keys);
    expect(a!.counts).toEqual(b!.counts);
    if (a!.labels8) expect(Buffer.from(a!.labels8).equals(Buffer.from(b!.labels8!))).toBe(true);
    expect(Buffer.from(a!.labels16!.buffer).equals(Buffer.from(b!.labels16!.buffer))).toBe(true);
  }

  it('agrees with the TS loops: gradients with transparency over several slices, u8 and u16 labels', async () => {
    // 700 x 500 = 350,000 pixels: more than one slice the host copies through, some transparent.
    const width = 700, height = 500;
    const data = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      const x = p % width, y = Math.floor(p / width);
      data[p * 4] = (x * 7) & 255; data[p * 4 + 1] = (y * 3) & 255; data[p * 4 + 2] = ((x ^ y) >> 2) & 255;
      data[p * 4 + 3] = (x + y) % 97 === 0 ? 0 : 255;
    }
    await both({ data, width, height }, (n) => Array.from({ length: n }, (_, i) => (i * 7919) % 300));
  }, 60_000);

  it('agrees with the TS loops past 2 M colours (noise: the TS loops then scan the table)', async () => {
    const img = noiseImage(2400, 2000, 12345);
    await both(img, (n) => Array.from({ length: n }, (_, i) => i % 200));
  }, 120_000);
});
