/**
 * histogramPoints looks up what depends on one channel (rgb, linear-rgb, and sRGB's transfer function
 * in lab and oklab) instead of calling pointOf per colour: the points must still be pointOf's, as f32,
 * bit for bit, in every space. Checked on every grey and primary ramp and 200,000 random colours.
 */
import { describe, expect, it } from 'vitest';
import { COLOR_SPACES, pointOf } from '../../src/core/colorspace.js';
import { keyOf, type Histogram } from '../../src/core/histogram.js';
import { histogramPoints } from '../../src/core/points.js';

function histogramOf(keys: Uint32Array): Histogram {
  return { keys, counts: new Uint32Array(keys.length).fill(1), n: keys.length, opaque: keys.length, translucent: false, table: new Uint32Array(0), mapWidth: 0, release() {} };
}

describe('histogramPoints', () => {
  const keys: number[] = [];
  for (let c = 0; c < 256; c++) keys.push(keyOf(c, c, c), keyOf(c, 0, 0), keyOf(0, c, 0), keyOf(0, 0, c), keyOf(255 - c, c, 255));
  let s = 12345;
  for (let i = 0; i < 200_000; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; keys.push(s >>> 8); }
  const h = histogramOf(Uint32Array.from(keys));

  for (const space of COLOR_SPACES) {
    it(`gives pointOf's coordinates in ${space}`, () => {
      const p = histogramPoints(h, space);
      expect(p.n).toBe(h.n);
      expect(p.w).toBe(h.counts);
      let bad = -1;
      for (let i = 0; i < h.n && bad < 0; i++) {
        const key = h.keys[i]!;
        const [x, y, z] = pointOf(space, key & 255, (key >>> 8) & 255, key >>> 16);
        if (!Object.is(p.x[i], Math.fround(x)) || !Object.is(p.y[i], Math.fround(y)) || !Object.is(p.z[i], Math.fround(z))) bad = i;
      }
      if (bad >= 0) {
        const key = h.keys[bad]!;
        expect([p.x[bad], p.y[bad], p.z[bad]], `colour #${key.toString(16)}`).toEqual(pointOf(space, key & 255, (key >>> 8) & 255, key >>> 16).map(Math.fround));
      }
    });
  }
});
