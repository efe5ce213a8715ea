/**
 * The pure-TS twin of the wasm kernel, whole: assignment (assembly/assign.ts, assign/assign5.ts,
 * filter.ts) and k-means++ (assembly/seed.ts). Same bits as the kernel; the parity tests' reference.
 */
import type { AssignOutcome, Kernel, KernelSession, Points, Seeding } from './kernel.js';
import { UNASSIGNED, planesOf } from './kernel.js';
import { dist2, distN } from './f32.js';

/**
 * The twin of assembly/assign.ts: same f32 operations in the same order (dist2: Math.fround after
 * every operation; a double result of one f32 operation rounds to the correctly rounded f32), the
 * same strict comparison, the same floor(d * 256) inertia. Used where SIMD wasm is missing and as
 * the reference in parity tests.
 */
export function assignJS(p: Points, centroids: Float32Array, k: number, labels: Uint16Array, sums: Float64Array): AssignOutcome {
  if (p.u) return assignNJS(p, centroids, k, labels, sums);
  const { x, y, z, w, n } = p;
  sums.fill(0, 0, k * 4);
  let inertiaQ = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const px = x[i]!, py = y[i]!, pz = z[i]!;
    let best = 0;
    let bi = 0;
    for (let j = 0, c = 0; j < k; j++, c += 3) {
      const d = dist2(px, py, pz, centroids[c]!, centroids[c + 1]!, centroids[c + 2]!);
      if (j === 0 || d < best) { best = d; bi = j; }
    }
    const wi = w === null ? 1 : w[i]!;
    const s = bi * 4;
    sums[s] += px * wi;
    sums[s + 1] += py * wi;
    sums[s + 2] += pz * wi;
    sums[s + 3] += wi;
    if (labels[i] !== bi) { changed++; labels[i] = bi; }
    inertiaQ += Math.floor(best * 256) * wi;
  }
  return { inertiaQ, changed };
}

/** assignJS for spatial points (five planes); kept apart so the common three-plane loop stays flat. */
function assignNJS(p: Points, centroids: Float32Array, k: number, labels: Uint16Array, sums: Float64Array): AssignOutcome {
  const planes = planesOf(p);
  const dims = planes.length;
  sums.fill(0, 0, k * (dims + 1));
  let inertiaQ = 0;
  let changed = 0;
  for (let i = 0; i < p.n; i++) {
    let best = 0;
    let bi = 0;
    for (let j = 0; j < k; j++) {
      const d = distN(planes, i, centroids, j * dims);
      if (j === 0 || d < best) { best = d; bi = j; }
    }
    const wi = p.w === null ? 1 : p.w[i]!;
    const s = bi * (dims + 1);
    for (let q = 0; q < dims; q++) sums[s + q] += planes[q]![i]! * wi;
    sums[s + dims] += wi;
    if (labels[i] !== bi) { changed++; labels[i] = bi; }
    inertiaQ += Math.floor(best * 256) * wi;
  }
  return { inertiaQ, changed };
}

/**
 * The TS twin of k-means++'s kernels (assembly/seed.ts), and the reference for their bits: the
 * running sum is added point after point in f64, as the draws were always made, the distances are
 * the kernel's f32 ones, the potentials sums of floor(d * 256) * w.
 */
export function jsSeeding(p: Points): Seeding {
  const { x, y, z, n } = p;
  const w = p.w;
  const planes = planesOf(p);
  const centre = new Float32Array(planes.length);
  const closest = new Float32Array(n).fill(Infinity);
  const cumulative = new Float64Array(n);
  let centres = 0;
  /** Point i's f32 distance to point c. */
  const distance = (i: number): number => planes.length === 3
    ? dist2(x[i]!, y[i]!, z[i]!, centre[0]!, centre[1]!, centre[2]!) : distN(planes, i, centre, 0);
  const take = (c: number): void => { for (let q = 0; q < planes.length; q++) centre[q] = planes[q]![c]!; };
  return {
    reset() { closest.fill(Infinity); centres = 0; },
    total() {
      let total = 0;
      for (let i = 0; i < n; i++) {
        const wi = w === null ? 1 : w[i]!;
        total += centres === 0 ? wi : closest[i]! * wi;
        cumulative[i] = total;
      }
      return total;
    },
    draw: (v) => search(cumulative, v),
    potential(c) {
      take(c);
      let potential = 0;
      for (let i = 0; i < n; i++) {
        const d = distance(i), old = closest[i]!;
        potential += Math.floor((old < d ? old : d) * 256) * (w === null ? 1 : w[i]!);
      }
      return potential;
    },
    add(c) {
      take(c);
      for (let i = 0; i < n; i++) { const d = distance(i); if (!(closest[i]! < d)) closest[i] = d; }
      centres++;
    },
  };
}

/**
 * First index whose cumulative value exceeds v (strictly, so a point of zero weight or zero distance,
 * e.g. an existing centre, is never drawn); clamped to the last index with a positive step.
 */
export function search(cumulative: Float64Array, v: number): number {
  let lo = 0, hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > v) hi = mid; else lo = mid + 1;
  }
  // Rounding can leave v at or above the total: step back to the last point that adds weight.
  while (lo > 0 && cumulative[lo]! === cumulative[lo - 1]!) lo--;
  return lo;
}

/**
 * The TS backend: one thread, a session in plain arrays.
 * @throws Error from open() when spatial points carry weights (a caller bug).
 */
export const jsKernel: Kernel = {
  name: 'js',
  open(points: Points, k: number): KernelSession {
    if (points.u && points.w) throw new Error('kmeans-seg: spatial points take no weights');
    const labels = new Uint16Array(points.n).fill(UNASSIGNED);
    const sums = new Float64Array(k * (planesOf(points).length + 1));
    return {
      labels,
      sums,
      threads: 1,
      settled: 0,
      seeding: jsSeeding(points),
      assign: (centroids) => assignJS(points, centroids, k, labels, sums),
      takeLabels: () => labels,
      reset() { labels.fill(UNASSIGNED); sums.fill(0); },
      labelsChanged() {},
      dispose() {},
    };
  },
};
