/**
 * The weighted selection behind qualityOfColours' p95 (exactRanks): the window of colours near the
 * approximate rank may cross a bin edge, and the colours across it must take part.
 */
import { describe, expect, it } from 'vitest';
import { exactRanks } from '../../src/core/quality.js';

/** 100 pixels: 'bulk' below, the colours under test, and 4 at the top (top = 65535, so a bin is 1 wide: bin = floor(value)). */
function ranks(test: { approx: number; count: number; exact: number }[]) {
  const colours = [{ approx: 5, count: 100 - 4 - test.reduce((n, c) => n + c.count, 0), exact: 5 }, ...test, { approx: 65535, count: 4, exact: 65535 }];
  const approx = Float32Array.from(colours, (c) => c.approx);
  const counts = Uint32Array.from(colours, (c) => c.count);
  return exactRanks(approx, counts, 95, 65535, (i) => colours[i]!.exact);
}

describe('exactRanks', () => {
  it('takes the window colours in the bin below the approximate rank', () => {
    // 93 pixels at 5, then 9.999995 (bin 9) and 10 (bin 10): the approximate rank is 10, and 9.999995
    // is within its window with an exact value above 10's, so it is the 95th pixel.
    const q = ranks([{ approx: 9.999995, count: 1, exact: 10.000005 }, { approx: 10, count: 1, exact: 10 }, { approx: 30, count: 1, exact: 30 }]);
    expect(q.p95).toBe(10.000005);
    expect(q.max).toBe(65535);
  });

  it('takes the window colours in the bin above the approximate rank', () => {
    // 94 pixels at 5: the approximate rank is 10.999995 (bin 10); 11.000004 (bin 11) is within its
    // window with an exact value below, so it is the 95th pixel.
    const q = ranks([{ approx: 10.999995, count: 1, exact: 10.999995 }, { approx: 11.000004, count: 1, exact: 10.99999 }]);
    expect(q.p95).toBe(10.99999);
  });

  it('counts the colours below the window, and leaves out those above it', () => {
    const q = ranks([{ approx: 9.99, count: 1, exact: 9.99 }, { approx: 20, count: 1, exact: 20 }, { approx: 20.5, count: 1, exact: 19 }]);
    // 93 at 5, 1 at 9.99: the 95th is the colour at 20, whose exact value is 20; 20.5 is out of the window.
    expect(q.p95).toBe(20);
  });

  it('gives 0 and 0 when every colour is its centroid', () => {
    expect(exactRanks(new Float32Array(3), Uint32Array.of(1, 2, 3), 6, 0, () => 1)).toEqual({ p95: 0, max: 0 });
  });
});
