/**
 * The seeded PRNG behind every draw (k-means++, random init, restarts). Its sequence is part of the
 * reproducibility promise ("same seed, same result"), so it is pinned against an independent BigInt
 * implementation and the published xoshiro128** test vector; its derived draws are checked for range
 * and uniformity (chi-square with loose, seeded bounds: deterministic, so never flaky).
 */
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';

const M = 0xffffffffn;
const rotl = (x: bigint, k: number): bigint => ((x << BigInt(k)) | (x >> BigInt(32 - k))) & M;

/** xoshiro128** (https://prng.di.unimi.it/xoshiro128starstar.c) seeded as src/random.ts documents, in BigInt. */
class ReferenceRandom {
  s: bigint[];
  constructor(seed: number | bigint[]) {
    if (Array.isArray(seed)) { this.s = seed; return; }
    // splitmix32: add the golden gamma, then a murmur3-style finaliser (shifts 16, 13, 16).
    let x = BigInt(seed >>> 0);
    const next = (): bigint => {
      x = (x + 0x9e3779b9n) & M;
      let z = x;
      z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M;
      z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M;
      return z ^ (z >> 16n);
    };
    this.s = [next(), next(), next(), next()];
  }
  nextU32(): number {
    const s = this.s;
    const result = (rotl((s[1]! * 5n) & M, 7) * 9n) & M;
    const t = (s[1]! << 9n) & M;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!; s[2]! ^= t; s[3] = rotl(s[3]!, 11);
    return Number(result);
  }
}

/** Pearson's chi-square statistic of counts against a uniform expectation. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}
// Upper 1e-4 tail of chi-square with 9 degrees of freedom is 33.7; 6 degrees: 27.9.
const CHI2_9 = 33.7;
const CHI2_6 = 27.9;

describe('Random', () => {
  it('is xoshiro128**: the published first outputs from state (1, 2, 3, 4)', () => {
    const r = new Random(0);
    Object.assign(r as unknown as Record<string, number>, { s0: 1, s1: 2, s2: 3, s3: 4 });
    const got = Array.from({ length: 10 }, () => r.nextU32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it('matches an independent BigInt implementation, seeding included', () => {
    for (const seed of [0, 1, 2, 42, 123456789, 0x7fffffff, 0x80000000, 0xffffffff]) {
      const r = new Random(seed), ref = new ReferenceRandom(seed);
      for (let i = 0; i < 200; i++) expect(r.nextU32(), `seed ${seed}, draw ${i}`).toBe(ref.nextU32());
    }
  });

  it('is deterministic per seed, and different seeds give different streams', () => {
    const firsts = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const a = new Random(seed), b = new Random(seed);
      const draw = (r: Random) => [r.nextU32(), r.nextFloat(), r.nextInt(1000), r.nextInt(3e9), r.nextFloat()];
      const da = draw(a);
      expect(draw(b)).toEqual(da);
      firsts.add(JSON.stringify(da));
    }
    expect(firsts.size).toBe(200);
    // Neighbouring seeds are decorrelated: their first outputs share about half their bits.
    let differing = 0;
    for (let seed = 0; seed < 1000; seed++) {
      let x = (new Random(seed).nextU32() ^ new Random(seed + 1).nextU32()) >>> 0;
      for (; x; x &= x - 1) differing++;
    }
    expect(differing / 1000).toBeGreaterThan(15);
    expect(differing / 1000).toBeLessThan(17);
  });

  it('nextU32 gives unsigned 32-bit integers with balanced bits', () => {
    const r = new Random(7);
    const ones = new Array<number>(32).fill(0);
    const N = 50_000;
    for (let i = 0; i < N; i++) {
      const v = r.nextU32();
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
      for (let b = 0; b < 32; b++) if ((v >>> b) & 1) ones[b]!++;
    }
    for (let b = 0; b < 32; b++) expect(Math.abs(ones[b]! / N - 0.5), `bit ${b}`).toBeLessThan(0.01);
  });

  it('nextInt(n) stays in [0, n) for small, odd, huge and power-of-two n', () => {
    const r = new Random(11);
    for (const n of [1, 2, 3, 7, 10, 255, 256, 1000, 65537, 2 ** 31, 2 ** 31 + 1, 3e9, 2 ** 32 - 1, 2 ** 32]) {
      const seen = new Set<number>();
      for (let i = 0; i < 2000; i++) {
        const v = r.nextInt(n);
        if (!(Number.isInteger(v) && v >= 0 && v < n)) expect.fail(`nextInt(${n}) gave ${v}`);
        seen.add(v);
      }
      if (n === 1) expect([...seen]).toEqual([0]);
      // Expected distinct values among 2000 uniform draws: n (1 - (1 - 1/n)^2000).
      else expect(seen.size, `nextInt(${n}) distinct values`).toBeGreaterThanOrEqual(0.95 * n * (1 - (1 - 1 / n) ** 2000));
    }
  });

  it('nextInt is uniform (chi-square), with no modulo bias for n near 2^32', () => {
    const r = new Random(12345);
    const N = 100_000;
    for (const n of [10, 7]) {
      const counts = new Array<number>(n).fill(0);
      for (let i = 0; i < N; i++) counts[r.nextInt(n)]!++;
      expect(chiSquare(counts), `n = ${n}: ${counts}`).toBeLessThan(n === 10 ? CHI2_9 : CHI2_6);
    }
    // 3e9 does not divide 2^32: plain `u32 % n` would make [0, 2^32 - 3e9) twice as likely (a share
    // of 0.60 instead of 0.43 of the draws). Rejection sampling keeps ten equal buckets equal.
    const n = 3e9;
    const counts = new Array<number>(10).fill(0);
    let low = 0;
    for (let i = 0; i < N; i++) {
      const v = r.nextInt(n);
      counts[Math.floor(v / (n / 10))]!++;
      if (v < 2 ** 32 - n) low++;
    }
    expect(chiSquare(counts), `${counts}`).toBeLessThan(CHI2_9);
    expect(Math.abs(low / N - (2 ** 32 - n) / n)).toBeLessThan(0.01);
  });

  it('nextFloat is in [0, 1), uniform, and uses 53 bits', () => {
    const r = new Random(99);
    const N = 100_000;
    const counts = new Array<number>(10).fill(0);
    let sum = 0, min = 1, max = 0, oddUnits = 0, tiny = 0;
    for (let i = 0; i < N; i++) {
      const v = r.nextFloat();
      counts[Math.floor(v * 10)]!++;
      sum += v; min = Math.min(min, v); max = Math.max(max, v);
      const units = v * 2 ** 53;
      if (!Number.isInteger(units)) expect.fail(`${v} is not a multiple of 2^-53`);
      if (units % 2 === 1) oddUnits++;
      if (v < 2 ** -10) tiny++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(chiSquare(counts), `${counts}`).toBeLessThan(CHI2_9);
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(0.005);
    // The lowest bit is set in about half the draws (a 32-bit float would never set it).
    expect(Math.abs(oddUnits / N - 0.5)).toBeLessThan(0.01);
    expect(tiny).toBeGreaterThan(0);
  });

  it('nextFloat is built from two consecutive u32 draws (27 + 26 bits)', () => {
    const a = new Random(5), b = new Random(5);
    for (let i = 0; i < 100; i++) {
      const hi = b.nextU32() >>> 5, lo = b.nextU32() >>> 6;
      expect(a.nextFloat()).toBe((hi * 2 ** 26 + lo) / 2 ** 53);
    }
  });
});
