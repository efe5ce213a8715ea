/**
 * The pure-TS twin of the wasm kernel, whole: assignment (assembly/assign.ts, assign/assign5.ts) and
 * k-means++ distances (assembly/distances.ts). Same bits as the kernel; the parity tests' reference.
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

/** The TS twin of the kernel's `mindist` and `mindist5`: same f32 distances, same floor(d * 256) potential. */
export function jsSeeding(p: Points): Seeding {
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
      reset() { labels.fill(UNASSIGNED); sums.fill(0); },
      labelsChanged() {},
      dispose() {},
    };
  },
};
