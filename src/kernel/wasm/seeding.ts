/**
 * k-means++ on the wasm kernel (assembly/seed.ts): candidates over the box tree or flat points, and
 * the draws from block sums. Same totals, draws and potentials as the TS twin (kernel/js.ts
 * jsSeeding), whose running sum is the reference: the block sums are used only while they are exact.
 */
import type { Points, Seeding } from '../kernel.js';
import { copyPoint, dimsOf } from '../kernel.js';
import type { WasmExports } from './module.js';
import { GRID_BYTE, type SessionLayout } from './memory.js';

/** seedFlat's and seedTree's modes (assembly/seed.ts). */
export const POTENTIAL = 0, ADD = 1, FIRST = 2, FRESH = 3;
/** seedDraw's modes: by the block sums of w, by the exact block sums of closest * w, by seedChain's running sum. */
const BY_WEIGHT = 0, BY_BLOCKS = 1, BY_CHAIN = 2;

export interface SeedingParts {
  exports: WasmExports;
  header: number;
  /** scanPoints' limit and weight total. */
  limit: number;
  weightTotal: number;
  /** The points as the caller passed them: a candidate's coordinates, by copyPoint (from their keys when they carry them). */
  points: Points;
  closest: Float32Array;
  /** A pass over flat points for candidate c in a mode, on the session's threads; null for the tree. */
  flat: ((centre: number[], mode: number) => number) | null;
  /**
   * With a tree on several threads: candidates' potentials over the pool, one candidate a chunk
   * (SEED_TRIAL_JOB): `table` holds f64 x, y, z, potential per candidate (k of them at most).
   */
  trials?: { table: Float64Array; run(count: number): void };
}

/**
 * What the kernel's loops find in a session's points, in the caller's order in their regions: each
 * plane's lowest and highest value, the total below which k-means++'s block sums are exact, and
 * the weights' block sums (and their total) for the first draw.
 *
 * The limit: distances between points on the 1/256 grid are multiples of 2^-16 (of 1 between integer
 * points) when the coordinates are small enough for their f32 differences to be exact, so every
 * running sum of closest * w below 2^52 of those units is an exact f64, and block sums of it, in any
 * order, give the running sum's very values. 0: no such grid (the running sum is always redone).
 */
export function scanPoints(calls: Required<Pick<WasmExports, 'gridOf' | 'weightBlocks'>>, buf: ArrayBufferLike, layout: SessionLayout, n: number): { bounds: number[][]; limit: number; weightTotal: number } {
  const out = new Float32Array(buf, GRID_BYTE, 2);
  let kind = 2;
  const bounds = layout.planes.map((plane) => {
    kind = Math.min(kind, calls.gridOf(plane, n, GRID_BYTE));
    return [out[0]!, out[1]!];
  });
  const limit = kind === 2 ? 2 ** 52 : kind === 1 ? 2 ** 36 : 0;
  return { bounds, limit, weightTotal: calls.weightBlocks(layout.weights, n, layout.blockWeights) };
}

/** The Seeding of a wasm session. */
export function wasmSeeding(parts: SeedingParts): Seeding {
  const { exports, header, points, closest, flat } = parts;
  const dims = dimsOf(points);
  const { limit, weightTotal } = parts;
  let centres = 0, exact = false, mode = BY_WEIGHT;
  const pass = (c: number, m: number): number => {
    const centre = new Array<number>(dims);
    copyPoint(points, c, centre); // from the keys when the points carry them: their planes may never be built
    return flat ? flat(centre, m) : exports.seedTree!(header, centre[0]!, centre[1]!, centre[2]!, m);
  };
  return {
    reset() {
      // The kernel's loop: a host fill of shared memory takes several times longer.
      if (exports.fillF32) exports.fillF32(closest.byteOffset, closest.length, Infinity); else closest.fill(Infinity);
      centres = 0; exact = false;
    },
    total() {
      if (centres === 0) { mode = BY_WEIGHT; return weightTotal; }
      if (exact) {
        const total = exports.seedSum!(header, 0);
        if (total < limit) { mode = BY_BLOCKS; return total; }
      }
      // The running sum itself, in order; where it is exact, its differences become the block sums.
      const total = exports.seedChain!(header, 1);
      exact = total < limit;
      mode = BY_CHAIN;
      return total;
    },
    draw: (v) => exports.seedDraw!(header, v, mode),
    potential: (c) => pass(c, centres === 0 ? FRESH : POTENTIAL),
    potentials(ids) {
      const { trials } = parts;
      // Each seedTree walk reads the same state and writes none: the candidates can run side by side.
      if (!trials || centres === 0 || ids.length < 2 || ids.length * 4 > trials.table.length) return ids.map((c) => this.potential(c));
      const { table } = trials;
      ids.forEach((c, q) => copyPoint(points, c, table, q * 4));
      trials.run(ids.length);
      return ids.map((_, q) => table[q * 4 + 3]!);
    },
    add(c) {
      // The first centre changes every distance: its block sums come from the next total()'s
      // running sum (seedChain), not from an update per point.
      pass(c, centres === 0 ? FIRST : ADD);
      if (centres === 0) exact = false;
      centres++;
    },
  };
}
