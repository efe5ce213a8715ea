/**
 * k-means++ in the kernel (assembly/seed.ts, kernel/wasm/seeding.ts) and its TS twin draw exactly the
 * centres the original code drew: that code (a running f64 prefix sum, a binary search, full copies
 * of the distance planes) is kept below, verbatim, as the reference. Checked on random point sets,
 * histograms of random and real images in every colour space, over the box tree and flat points, on
 * one thread and two, and on the paths that bypass the block sums (totals too large to be exact,
 * coordinates off the grid).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoKernels } from './kernels.js';
import { terminateWorkers } from '../../src/kernel/select.js';
import { planesOf, type Points } from '../../src/kernel/kernel.js';
import { dist2, distN } from '../../src/kernel/f32.js';
import { jsSeeding } from '../../src/kernel/js.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { bitsFor } from '../../src/kernel/wasm/tree.js';
import { initKMeansPlusPlus } from '../../src/core/seeding.js';
import { buildHistogram } from '../../src/core/histogram.js';
import { histogramPoints } from '../../src/core/points.js';
import { COLOR_SPACES } from '../../src/core/colorspace.js';
import { Random } from '../../src/core/random.js';
import { HAVE_IMAGES, SMALL_ALPHABET, loadRGBA, noiseImage, pointCoordinateArb, pointPlanes, sharedImageNames, weightsArb } from '../helpers.js';
import type { RGBAImage } from '../../src/types.js';

// ---- The reference: core/seeding.ts's initKMeansPlusPlus and kernel/js.ts's jsSeeding as they were. ----

interface OldSeeding { closest: Float32Array; candidate: Float32Array; minDistances(c: number): number }

function oldJsSeeding(p: Points): OldSeeding {
  const { x, y, z, n } = p;
  const w = p.w;
  const planes = planesOf(p);
  const centre = new Float32Array(planes.length);
  const closest = new Float32Array(n), candidate = new Float32Array(n);
  return {
    closest, candidate,
    minDistances(id) {
      for (let q = 0; q < planes.length; q++) centre[q] = planes[q]![id]!;
      const [cx, cy, cz] = centre as unknown as [number, number, number];
      let potential = 0;
      for (let i = 0; i < n; i++) {
        let d = planes.length === 3 ? dist2(x[i]!, y[i]!, z[i]!, cx, cy, cz) : distN(planes, i, centre, 0);
        const c = closest[i]!;
        if (c < d) d = c;
        candidate[i] = d;
        potential += Math.floor(d * 256) * (w === null ? 1 : w[i]!);
      }
      return potential;
    },
  };
}

function oldSearch(cumulative: Float64Array, v: number): number {
  let lo = 0, hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > v) hi = mid; else lo = mid + 1;
  }
  while (lo > 0 && cumulative[lo]! === cumulative[lo - 1]!) lo--;
  return lo;
}

function copyPoint(planes: Float32Array[], i: number, out: Float32Array, j: number): void {
  for (let q = 0; q < planes.length; q++) out[j * planes.length + q] = planes[q]![i]!;
}

function oldKMeansPlusPlus(points: Points, k: number, rng: Random): Float32Array {
  const seeding = oldJsSeeding(points);
  const { n } = points;
  const planes = planesOf(points);
  const w = points.w ?? new Uint32Array(n).fill(1);
  const { closest, candidate } = seeding;
  const out = new Float32Array(k * planes.length);
  const trials = 2 + Math.floor(Math.log(k));
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) { total += w[i]!; cumulative[i] = total; }
  const first = oldSearch(cumulative, rng.nextFloat() * total);
  closest.fill(Infinity);
  seeding.minDistances(first);
  closest.set(candidate);
  copyPoint(planes, first, out, 0);
  const best = new Float32Array(n);
  for (let c = 1; c < k; c++) {
    total = 0;
    for (let i = 0; i < n; i++) { total += closest[i]! * w[i]!; cumulative[i] = total; }
    let bestPotential = Infinity;
    let bestId = -1;
    for (let t = 0; t < trials; t++) {
      const id = oldSearch(cumulative, rng.nextFloat() * total);
      const potential = seeding.minDistances(id);
      if (potential < bestPotential) { bestPotential = potential; bestId = id; best.set(candidate); }
    }
    closest.set(best);
    copyPoint(planes, bestId, out, c);
  }
  return out;
}

// ---- The cases. ----

/**
 * The kernel's rule, recomputed: below this total of closest * w its block sums are exact (2^52
 * for integer coordinates, 2^36 on the 1/256 grid, 0 otherwise), where draws skip the running sum.
 */
function exactLimit(points: Points): number {
  const values = planesOf(points).flatMap((p) => Array.from(p.subarray(0, points.n)));
  if (!values.every((v) => Math.abs(v) < 2 ** 15 && Number.isInteger(v * 256))) return 0;
  return values.every(Number.isInteger) ? 2 ** 52 : 2 ** 36;
}

let wasm: WasmKernel;
let pooled: WasmKernel;
beforeAll(async () => {
  ({ wasm, pooled } = await twoKernels());
});
afterAll(async () => { await terminateWorkers(); });

const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * The centres every backend draws for these points, k and seeds, against the reference: the TS
 * twin, the wasm kernel with and without the box tree, and (for big enough sets) split over 2 threads.
 */
function expectSameCentres(points: Points, k: number, seeds: number[], what: string): void {
  const sessions = [
    { name: 'tree', kernel: wasm, threads: 1, tree: true },
    { name: 'flat', kernel: wasm, threads: 1, tree: false },
    ...(points.n * k >= 1 << 18 ? [{ name: 'tree, 2 threads', kernel: pooled, threads: 2, tree: true }, { name: 'flat, 2 threads', kernel: pooled, threads: 2, tree: false }] : []),
  ].filter((s) => s.tree ? points.w !== null && !points.u : true);
  for (const seed of seeds) {
    const want = oldKMeansPlusPlus(points, k, new Random(seed));
    expect(same(initKMeansPlusPlus(points, k, new Random(seed)), want), `${what}, seed ${seed}: TS twin`).toBe(true);
    for (const s of sessions) {
      const session = s.kernel.open(points, k, s.threads, { tree: s.tree });
      try {
        // Twice on one session: reset() must forget the first run entirely.
        for (let again = 0; again < 2; again++) {
          const got = initKMeansPlusPlus(points, k, new Random(seed), session.seeding);
          expect(same(got, want), `${what}, seed ${seed}: wasm ${s.name} (run ${again + 1})`).toBe(true);
        }
      } finally {
        session.dispose();
      }
    }
  }
}

function histogramOf(img: RGBAImage, space: (typeof COLOR_SPACES)[number]): Points {
  const h = buildHistogram(img.data, img.width * img.height);
  try {
    const p = histogramPoints(h, space);
    return { ...p, w: Uint32Array.from(p.w!) };
  } finally {
    h.release();
  }
}

describe('k-means++ draws the centres the original code drew', () => {
  it('on random weighted point sets with ties, duplicates, zero weights and off-grid coordinates (both backends)', () => {
    const caseArb = fc.record({
      n: fc.integer({ min: 1, max: 300 }),
      k: fc.integer({ min: 1, max: 40 }),
      weights: fc.constantFrom('small', 'zeros', 'large', 'none'),
      offGrid: fc.boolean(),
      seed: fc.nat(),
    // Weights stay small enough for the potentials (sums of floor(256 d) * w) to be exact integers.
    }).chain((c) => fc.record({
      c: fc.constant(c),
      planes: fc.array(fc.array(pointCoordinateArb, { minLength: c.n, maxLength: c.n }), { minLength: 3, maxLength: 3 }),
      w: weightsArb(c.weights, c.n),
    }));
    let chained = 0;
    fc.assert(fc.property(caseArb, ({ c, planes, w }) => {
      const [x, y, z] = pointPlanes(planes, c.offGrid);
      const points: Points = { x: x!, y: y!, z: z!, w: c.weights === 'none' ? null : Uint32Array.from(w), n: c.n };
      if (exactLimit(points) === 0) chained++;
      expectSameCentres(points, c.k, [c.seed], JSON.stringify(c));
    }), { seed: 2026, numRuns: 250 });
    expect(chained, 'cases off the grid, drawn by the running sum alone').toBeGreaterThan(20);
  });

  it('on spatial (five-dimensional) points, flat, on one thread and two', () => {
    const img = noiseImage(97, 61, 5, 6);
    const p = histogramOf(img, 'rgb');
    const n = 97 * 61;
    const points: Points = {
      x: Float32Array.from({ length: n }, (_, i) => p.x[i % p.n]!), y: Float32Array.from({ length: n }, (_, i) => p.y[(i * 7) % p.n]!),
      z: Float32Array.from({ length: n }, (_, i) => p.z[(i * 3) % p.n]!), w: null, n,
      u: Float32Array.from({ length: n }, (_, i) => Math.round((i % 97) * 2.63 * 256) / 256),
      v: Float32Array.from({ length: n }, (_, i) => Math.round(Math.floor(i / 97) * 2.63 * 256) / 256),
    };
    expectSameCentres(points, 9, [1, 2], 'spatial');
    expectSameCentres(points, 64, [3], 'spatial, k 64');
  });

  it('on histograms of noise images in every colour space, k = 2, 16 and 64', () => {
    for (const space of COLOR_SPACES) {
      const points = histogramOf(noiseImage(211, 97, 11, 48), space);
      expect(points.n).toBeGreaterThan(10_000);
      for (const k of [2, 16, 64]) expectSameCentres(points, k, [k, 7], `noise, ${space}, k ${k}`);
    }
  }, 120_000);

  it('when the totals are too large for exact block sums (the running sum is redone in order, then the blocks rebuilt)', () => {
    // Coordinates on the 1/256 grid: block sums are exact below 2^36 (units of 2^-16); heavy weights
    // start the totals above that, and the first centres bring them below. Potentials stay exact.
    const n = 6000;
    let s = 17;
    const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 8; };
    const points: Points = {
      x: Float32Array.from({ length: n }, () => (next() % 65536) / 256), y: Float32Array.from({ length: n }, () => next() % 256),
      z: Float32Array.from({ length: n }, () => (next() % 8192) / 32), w: Uint32Array.from({ length: n }, () => 1000 + (next() % 9000)), n,
    };
    const twin = jsSeeding(points);
    twin.reset();
    twin.add(0);
    expect(twin.total()).toBeGreaterThan(exactLimit(points));
    expectSameCentres(points, 24, [1, 2, 3], 'heavy weights');
  });

  it.skipIf(!HAVE_IMAGES)('on the shared images\' histograms, rgb and lab, k = 16 and 64', async () => {
    for (const name of sharedImageNames().slice(0, 3)) {
      const img = await loadRGBA(name);
      for (const space of ['rgb', 'lab'] as const) {
        const points = histogramOf(img, space);
        for (const k of [16, 64]) expectSameCentres(points, k, [k + 1], `${name}, ${space}, k ${k}`);
      }
    }
  }, 300_000);
});

describe('the Seeding primitives agree with the TS twin step by step', () => {
  it('where an f32 distance rounds below the exact one: a box is skipped only beyond that rounding', () => {
    // Grid points x, p, q (Lab-like ranges, where squares round in f32) with f32 d(x, p) < f32 d(x, q)
    // <= the exact d(x, p): after centre q, the box of x alone is exactly d(x, p) from p, no nearer
    // than x's closest distance, yet p's f32 distance is smaller. A skip without a margin keeps q's.
    const f = Math.fround;
    const d32 = (a: number[], b: number[]) => {
      const dx = f(a[0]! - b[0]!), dy = f(a[1]! - b[1]!), dz = f(a[2]! - b[2]!);
      return f(f(f(dx * dx) + f(dy * dy)) + f(dz * dz));
    };
    const exact = (a: number[], b: number[]) => (a[0]! - b[0]!) ** 2 + (a[1]! - b[1]!) ** 2 + (a[2]! - b[2]!) ** 2;
    const rng = new Random(8);
    const grid = () => Math.round((rng.nextFloat() * 200 - 100) * 256) / 256;
    const triples: number[][][] = [];
    for (let t = 0; t < 400_000 && triples.length < 6; t++) {
      const x = [grid(), grid(), grid()], p = [grid(), grid(), grid()];
      const a = d32(x, p), D = exact(x, p);
      // p (and q, within 4/256 of it) in another leaf than x: with the corners below, 6 points make
      // 8 cells an axis of side 32 from -100 (bitsFor).
      const cell = (v: number[]) => v.map((c) => Math.floor((c + 100) / 32)).join();
      if (!(a < D) || cell(x) === cell(p) || cell(x) === cell(p.map((v) => v + 4 / 256)) || cell(x) === cell(p.map((v) => v - 4 / 256))) continue;
      for (let u = 0; u < 40; u++) {
        const q = p.map((v) => v + (rng.nextInt(9) - 4) / 256);
        const c = d32(x, q);
        if (c > a && c <= D) { triples.push([x, p, q]); break; }
      }
    }
    expect(triples.length).toBeGreaterThanOrEqual(3);
    for (const [x, p, q] of triples) {
      // x alone in its leaf: the corners of [-100, 100]^3 set the grid.
      const pts = [x!, p!, q!, [100, 100, 100], [-100, -100, -100], [100, -100, 100]];
      expect(bitsFor(pts.length)).toBe(3);
      const n = pts.length;
      const points: Points = {
        x: Float32Array.from(pts, (v) => v[0]!), y: Float32Array.from(pts, (v) => v[1]!), z: Float32Array.from(pts, (v) => v[2]!),
        w: Uint32Array.from({ length: n }, (_, i) => 1 + i), n,
      };
      for (const tree of [true, false]) {
        const twin = jsSeeding(points);
        const session = wasm.open(points, 2, 1, { tree });
        try {
          for (const s of [twin, session.seeding]) { s.reset(); s.add(2); s.add(1); }
          expect(Object.is(session.seeding.total(), twin.total()), `tree ${tree}: total after centres q, p`).toBe(true);
          expect(Object.is(session.seeding.potential(0), twin.potential(0))).toBe(true);
        } finally {
          session.dispose();
        }
      }
    }
  });

  it('totals, draws anywhere in [0, total] and past it, potentials, after every centre', () => {
    for (const [n, tree, weighted] of [[5000, true, true], [5000, false, true], [333, false, false], [4099, true, true]] as const) {
      let s = n;
      const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 8; };
      const points: Points = {
        x: Float32Array.from({ length: n }, () => SMALL_ALPHABET[next() % 5]!), y: Float32Array.from({ length: n }, () => next() % 256),
        z: Float32Array.from({ length: n }, () => (next() % 4096) / 16), w: weighted ? Uint32Array.from({ length: n }, () => next() % 4) : null, n,
      };
      const twin = jsSeeding(points);
      const session = wasm.open(points, 8, 1, { tree });
      const seeding = session.seeding;
      try {
        // Twice: the second run starts from reset() after the first one's centres.
        for (let c = 0; c < 24; c++) {
          if (c % 12 === 0) { twin.reset(); seeding.reset(); }
          const total = twin.total();
          expect(Object.is(seeding.total(), total), `n ${n}: total after ${c} centres`).toBe(true);
          for (const f of [0, 1e-9, 0.25, 0.5, 0.999999, 1, 1.5]) expect(seeding.draw(total * f), `draw at ${f} of the total`).toBe(twin.draw(total * f));
          const id = twin.draw(total * ((c * 0.37) % 1));
          for (const probe of [id, (id * 31 + 7) % n]) expect(Object.is(seeding.potential(probe), twin.potential(probe))).toBe(true);
          twin.add(id); seeding.add(id);
        }
      } finally {
        session.dispose();
      }
    }
  });
});
