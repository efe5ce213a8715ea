/**
 * Initial centroids from a seeded PRNG: 'random' and greedy k-means++. Draws depend only on the seed
 * and the points, so the pixel path and the histogram path seed alike on every backend.
 */
import { jsSeeding } from '../kernel/js.js';
import { planesOf, type Points, type Seeding } from '../kernel/kernel.js';
import type { Random } from './random.js';

/**
 * 'random', the classic initialisation: k distinct points drawn uniformly without replacement
 * (a partial Fisher-Yates shuffle over indices, kept sparse in a Map so it costs O(k), not O(n)).
 * Over the histogram the points are the distinct colours, so the k centroids are distinct colours.
 */
export function initRandom(points: Points, k: number, rng: Random): Float32Array {
  const swapped = new Map<number, number>();
  const planes = planesOf(points);
  const out = new Float32Array(k * planes.length);
  for (let j = 0; j < k; j++) {
    const r = j + rng.nextInt(points.n - j);
    const pick = swapped.get(r) ?? r;
    swapped.set(r, swapped.get(j) ?? j);
    copyPoint(planes, pick, out, j);
  }
  return out;
}

function copyPoint(planes: Float32Array[], i: number, out: Float32Array, j: number): void {
  for (let q = 0; q < planes.length; q++) out[j * planes.length + q] = planes[q]![i]!;
}

/**
 * Greedy k-means++ as scikit-learn does it (sklearn.cluster._kmeans._kmeans_plusplus): the first
 * centre drawn with probability proportional to weight, each next one the best of 2 + floor(ln k)
 * candidates drawn proportionally to weight x squared distance, "best" meaning the lowest total
 * potential. Distances in f32 like the kernel; a potential sums floor(d * 256) * weight, integers,
 * so the kernel may add them in any order. `seeding` runs the candidates' hot loop (the SIMD kernel
 * when the points are in wasm memory).
 */
export function initKMeansPlusPlus(points: Points, k: number, rng: Random, seeding: Seeding = jsSeeding(points)): Float32Array {
  const { n } = points;
  const planes = planesOf(points);
  const w = points.w ?? new Uint32Array(n).fill(1);
  const { closest, candidate } = seeding;
  const out = new Float32Array(k * planes.length);
  const trials = 2 + Math.floor(Math.log(k));

  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) { total += w[i]!; cumulative[i] = total; }
  const first = search(cumulative, rng.nextFloat() * total);
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
      const id = search(cumulative, rng.nextFloat() * total);
      const potential = seeding.minDistances(id);
      if (potential < bestPotential) { bestPotential = potential; bestId = id; best.set(candidate); }
    }
    closest.set(best);
    copyPoint(planes, bestId, out, c);
  }
  return out;
}

/**
 * First index whose cumulative value exceeds v (strictly, so a point of zero weight or zero distance,
 * e.g. an existing centre, is never drawn); clamped to the last index with a positive step.
 */
function search(cumulative: Float64Array, v: number): number {
  let lo = 0, hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > v) hi = mid; else lo = mid + 1;
  }
  // Rounding can leave v at or above the total: step back to the last point that adds weight.
  while (lo > 0 && cumulative[lo]! === cumulative[lo - 1]!) lo--;
  return lo;
}
