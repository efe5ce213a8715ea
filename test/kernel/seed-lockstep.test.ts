/**
 * k-means++ over the box tree (assembly/seed.ts), step by step against the TS twin (kernel/js.ts
 * jsSeeding): after every centre added, the total, the draws and candidates' potentials agree
 * exactly. Reading the labels in between (gathered in the kernel, into a region of their own) must
 * not disturb the seeding's state.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoKernels } from './kernels.js';
import type { Points } from '../../src/kernel/kernel.js';
import { jsSeeding } from '../../src/kernel/js.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { terminateWorkers } from '../../src/kernel/select.js';
import { initKMeansPlusPlus } from '../../src/core/seeding.js';
import { Random } from '../../src/core/random.js';
import { pointCoordinateArb, pointPlanes, weightsArb } from '../helpers.js';

let wasm: WasmKernel;
let pooled: WasmKernel;
beforeAll(async () => {
  ({ wasm, pooled } = await twoKernels());
  pooled.treeSeedThreads = true; // the candidates side by side are what is checked here, whatever the default
});
afterAll(async () => { await terminateWorkers(); });

/** Lockstep: the same centres added to both, every figure compared after each. */
function expectLockstep(points: Points, k: number, centres: number[], trials: number[][], draws: number[], threads = 1): void {
  const session = (threads > 1 ? pooled : wasm).open(points, k, threads, { tree: true });
  expect(session.threads).toBe(threads);
  try {
    const got = session.seeding, want = jsSeeding(points);
    got.reset(); want.reset();
    expect([got.potential(0), got.potential(points.n - 1)], 'before any centre').toEqual([want.potential(0), want.potential(points.n - 1)]);
    for (let step = 0; step < centres.length; step++) {
      got.add(centres[step]!); want.add(centres[step]!);
      if (step % 2 === 0) void session.labels; // the labels' gather uses its own region
      const total = want.total();
      expect(got.total(), `total after ${step + 1} centres`).toBe(total);
      for (const f of draws) expect(got.draw(f * total), `draw ${f} after ${step + 1} centres`).toBe(want.draw(f * total));
      const ids = trials[step % trials.length]!;
      const one = ids.map((id) => want.potential(id));
      expect(ids.map((id) => got.potential(id)), `potentials of ${ids} after ${step + 1} centres`).toEqual(one);
      expect(got.potentials?.(ids) ?? one, `potentials of ${ids} at once after ${step + 1} centres`).toEqual(one);
    }
  } finally {
    session.dispose();
  }
}

describe('k-means++ over the box tree, centre by centre', () => {
  it('agree with the TS twin after every centre: random points on and off the grid, ties, duplicates, zero weights', () => {
    const caseArb = fc.record({
      n: fc.integer({ min: 2, max: 400 }),
      k: fc.integer({ min: 2, max: 40 }),
      weights: fc.constantFrom('small', 'zeros', 'large'),
      offGrid: fc.boolean(),
      clustered: fc.boolean(),
    }).chain((c) => fc.record({
      c: fc.constant(c),
      planes: fc.array(fc.array(c.clustered ? fc.integer({ min: 0, max: 7 }).map((v) => v * 32) : pointCoordinateArb, { minLength: c.n, maxLength: c.n }), { minLength: 3, maxLength: 3 }),
      w: weightsArb(c.weights, c.n),
      centres: fc.array(fc.nat({ max: c.n - 1 }), { minLength: 1, maxLength: 12 }),
      trials: fc.array(fc.array(fc.nat({ max: c.n - 1 }), { minLength: 1, maxLength: Math.min(c.k, 13) }), { minLength: 1, maxLength: 4 }),
      draws: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
    }));
    fc.assert(fc.property(caseArb, ({ c, planes, w, centres, trials, draws }) => {
      const [x, y, z] = pointPlanes(planes, c.offGrid);
      expectLockstep({ x: x!, y: y!, z: z!, w: Uint32Array.from(w), n: c.n }, c.k, centres, trials, [...draws, 0, 0.999999]);
    }), { seed: 412, numRuns: 300 });
  });

  it('on a lattice where many points sit at the same distance from a candidate as from their centre', () => {
    // Integer lattice points, centres and candidates on it: d(x, candidate) == closest(x) for many x.
    const side = 18, n = side ** 3;
    const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n), w = new Uint32Array(n);
    for (let i = 0; i < n; i++) { x[i] = (i % side) * 2; y[i] = (Math.floor(i / side) % side) * 2; z[i] = Math.floor(i / side / side) * 2; w[i] = 1 + (i % 5); }
    const at = (a: number, b: number, c: number) => a + side * (b + side * c);
    const centres = [at(0, 0, 0), at(17, 17, 17), at(8, 8, 8), at(9, 8, 8), at(0, 17, 0), at(4, 4, 13)];
    const trials = [[at(1, 0, 0), at(0, 1, 0), at(17, 16, 17), at(9, 9, 8)], [at(8, 9, 8), at(8, 8, 9), at(2, 2, 2), at(2, 2, 2), at(16, 0, 16)]];
    expectLockstep({ x, y, z, w, n }, 16, centres, trials, [0.1, 0.5, 0.9]);
  });

  it('over a pool of 2 threads, candidates side by side (SEED_TRIAL_JOB): 300 001 colours, clustered and spread', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
    const n = 300_001;
    // Half the colours in a few tight clusters (many boxes skipped, ties), half spread over the cube.
    const coord = (i: number) => (i & 1 ? next() % 256 : 40 * (next() % 6) + (next() % 3));
    const points: Points = {
      x: Float32Array.from({ length: n }, (_, i) => coord(i)), y: Float32Array.from({ length: n }, (_, i) => coord(i)),
      z: Float32Array.from({ length: n }, (_, i) => coord(i)), w: Uint32Array.from({ length: n }, () => 1 + (next() % 90)), n,
    };
    const ids = (m: number) => Array.from({ length: m }, () => next() % n);
    expectLockstep(points, 16, ids(7), [ids(4), [...ids(2), 5, 5], ids(6), ids(13)], [0.3, 0.7], 2);
    for (const k of [16, 64]) {
      const session = pooled.open(points, k, 2, { tree: true });
      try {
        expect(Array.from(initKMeansPlusPlus(points, k, new Random(k), session.seeding)), `k = ${k}`).toEqual(Array.from(initKMeansPlusPlus(points, k, new Random(k))));
      } finally {
        session.dispose();
      }
    }
  }, 120_000);
});
