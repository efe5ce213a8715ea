/**
 * Scanlines packed part by part (packRowsOnDemand, as pngFile asks for them) are packRows' bytes at
 * every depth and map, and adler32 (four bytes a step) is zlib's at every alignment and length.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32, packRows, packRowsOnDemand } from '../../src/io/png-writer.js';

/** A seeded byte source. */
function bytes(n: number, seed: number, below = 256): Uint8Array {
  let a = seed >>> 0;
  return Uint8Array.from({ length: n }, () => { a = (Math.imul(a, 1664525) + 1013904223) >>> 0; return (a >>> 16) % below; });
}

/** zlib's Adler-32 of `data`: the last four bytes of its zlib stream. */
const zlibAdler = (data: Uint8Array): number => zlib.deflateSync(data, { level: 1 }).readUInt32BE(zlib.deflateSync(data, { level: 1 }).length - 4);

describe('packRowsOnDemand', () => {
  const cases = [
    { depth: 4, width: 64, height: 23, identity: true }, // the 4-bit word path
    { depth: 4, width: 62, height: 23, identity: true }, // width % 4 != 0: the general loop
    { depth: 8, width: 37, height: 19, identity: true }, // row copies
    { depth: 8, width: 37, height: 19, identity: false },
    { depth: 2, width: 41, height: 17, identity: false },
    { depth: 1, width: 45, height: 13, identity: true },
  ] as const;
  for (const c of cases) {
    it(`gives packRows' bytes at ${c.depth} bits, width ${c.width}, ${c.identity ? 'identity' : 'permuted'} map, whatever the steps`, () => {
      const levels = 1 << c.depth;
      const values = bytes(c.width * c.height, c.depth * 7 + c.width, levels);
      const map = c.identity ? Uint8Array.from({ length: levels }, (_, i) => i) : Uint8Array.from({ length: levels }, (_, i) => levels - 1 - i);
      const whole = packRows(values, map, c.width, c.height, c.depth);
      for (const step of [1, 7, 100, whole.length]) {
        const rows = packRowsOnDemand(values, map, c.width, c.height, c.depth);
        for (let end = step; end < whole.length + step; end += step) rows.fill(Math.min(end, whole.length));
        expect(Buffer.from(rows.raw).equals(Buffer.from(whole)), `step ${step}`).toBe(true);
      }
      // Asked out of order, a part already packed is not packed again, and nothing past the asked rows is written.
      const rows = packRowsOnDemand(values, map, c.width, c.height, c.depth);
      const stride = whole.length / c.height;
      rows.fill(stride * 3 + 1);
      expect(rows.raw.subarray(stride * 4).every((b) => b === 0)).toBe(true);
      expect(Buffer.from(rows.raw.subarray(0, stride * 4)).equals(Buffer.from(whole.subarray(0, stride * 4)))).toBe(true);
      rows.fill(1);
      rows.fill(whole.length);
      expect(Buffer.from(rows.raw).equals(Buffer.from(whole))).toBe(true);
    });
  }
});

describe('adler32', () => {
  it("is zlib's at every alignment, across its 5552-byte blocks, for any bytes and all 255s", () => {
    const data = bytes(40_000, 3);
    const ones = new Uint8Array(30_000).fill(255); // the largest sums
    for (const source of [data, ones]) {
      for (const offset of [0, 1, 2, 3, 5]) {
        for (const length of [0, 1, 3, 4, 5551, 5552, 5553, 11_109, source.length - offset]) {
          const view = source.subarray(offset, offset + length);
          expect(adler32(view), `offset ${offset}, length ${length}`).toBe(zlibAdler(view));
        }
      }
    }
  });

  it('continues a sum: the Adler-32 of a + b from that of a', () => {
    const data = bytes(20_001, 9);
    for (const cut of [0, 1, 2, 4099, 10_002, 20_001]) {
      expect(adler32(data.subarray(cut), adler32(data.subarray(0, cut)))).toBe(zlibAdler(data));
    }
  });
});
