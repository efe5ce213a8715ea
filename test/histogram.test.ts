/**
 * The exact colour histogram reuses one 64 MiB table across calls and lends its bytes to labelling:
 * every call must nonetheless see a clean table. Checked against a Map-based count, call after call,
 * through both labelling widths (u8 and u16 maps) and both ways of ordering the colours (sort and scan).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildHistogram, keyOf, labelPixels } from '../src/histogram.js';
import { imageArb, noiseImage } from './helpers.js';
import type { RGBAImage } from '../src/types.js';

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

function check(img: RGBAImage, labelWidth: 8 | 16): number {
  const pixels = img.width * img.height;
  const h = buildHistogram(img.data, pixels);
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
    const k = labelWidth === 8 ? 7 : 300;
    const colourLabels = Uint16Array.from(h.keys, (_, i) => i % k);
    const out = labelWidth === 8 ? new Uint8Array(pixels) : new Uint16Array(pixels);
    const position = new Map(keys.map((key, i) => [key, i]));
    labelPixels(img.data, pixels, h, colourLabels, k, out);
    for (let p = 0; p < pixels; p++) {
      const o = p * 4;
      const expected = img.data[o + 3] === 0 ? k : position.get(keyOf(img.data[o]!, img.data[o + 1]!, img.data[o + 2]!))! % k;
      if (out[p] !== expected) expect(out[p], `pixel ${p}`).toBe(expected);
    }
    return h.n;
  } finally {
    h.release();
  }
}

describe('the colour histogram', () => {
  it('counts exactly and labels every pixel, call after call on one reused table (200 images)', () => {
    fc.assert(fc.property(imageArb({ maxWidth: 30, maxHeight: 20 }), fc.constantFrom(8 as const, 16 as const), (img, width) => {
      check(img, width);
    }), { seed: 11, numRuns: 200 });
  });

  it('orders many colours by scanning the table and stays clean for the next call', () => {
    // Over 2^21 distinct colours switch from sorting to scanning the table.
    const many = noiseImage(2048, 1300, 5);
    expect(check(many, 16)).toBeGreaterThan(1 << 21);
    check(noiseImage(40, 30, 6, 5), 8);
  }, 120_000);
});
