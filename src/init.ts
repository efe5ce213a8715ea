import { dist2 } from './distance.js';
import type { Points } from './kernel.js';
import type { Random } from './random.js';

/**
 * 'random', the classic initialisation: k distinct points drawn uniformly without replacement
 * (a partial Fisher-Yates shuffle over indices, kept sparse in a Map so it costs O(k), not O(n)).
 * Over the histogram the points are the distinct colours, so the k centroids are distinct colours.
 */
export function initRandom(points: Points, k: number, rng: Random): Float32Array {
  const swapped = new Map<number, number>();
  const out = new Float32Array(k * 3);
  for (let j = 0; j < k; j++) {
    const r = j + rng.nextInt(points.n - j);
    const pick = swapped.get(r) ?? r;
    swapped.set(r, swapped.get(j) ?? j);
    out[j * 3] = points.x[pick]!; out[j * 3 + 1] = points.y[pick]!; out[j * 3 + 2] = points.z[pick]!;
  }
  return out;
}

/**
 * Greedy k-means++ as scikit-learn does it (sklearn.cluster._kmeans._kmeans_plusplus): the first
 * centre drawn with probability proportional to weight, each next one the best of 2 + floor(ln k)
 * candidates drawn proportionally to weight x squared distance, "best" meaning the lowest total
 * potential. Distances in f32 like the kernel; potentials summed in f64 in point order.
 */
export function initKMeansPlusPlus(points: Points, k: number, rng: Random): Float32Array {
  const { x, y, z, n } = points;
  const w = points.w ?? new Uint32Array(n).fill(1);
  const out = new Float32Array(k * 3);
  const trials = 2 + Math.floor(Math.log(k));

  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) { total += w[i]!; cumulative[i] = total; }
  const first = search(cumulative, rng.nextFloat() * total);
  const closest = new Float32Array(n);
  for (let i = 0; i < n; i++) closest[i] = dist2(x[i]!, y[i]!, z[i]!, x[first]!, y[first]!, z[first]!);
  out[0] = x[first]!; out[1] = y[first]!; out[2] = z[first]!;

  const candidate = new Float32Array(n);
  const best = new Float32Array(n);
  for (let c = 1; c < k; c++) {
    total = 0;
    for (let i = 0; i < n; i++) { total += closest[i]! * w[i]!; cumulative[i] = total; }
    let bestPotential = Infinity;
    let bestId = -1;
    for (let t = 0; t < trials; t++) {
      const id = search(cumulative, rng.nextFloat() * total);
      const potential = minDistances(points, w, x[id]!, y[id]!, z[id]!, closest, candidate);
      if (potential < bestPotential) { bestPotential = potential; bestId = id; best.set(candidate); }
    }
    closest.set(best);
    out[c * 3] = x[bestId]!; out[c * 3 + 1] = y[bestId]!; out[c * 3 + 2] = z[bestId]!;
  }
  return out;
}

/** out[i] = min(closest[i], d(point i, c)); returns sum of w * out. The hot loop of k-means++, kept flat. */
function minDistances(p: Points, w: Uint32Array, cx: number, cy: number, cz: number, closest: Float32Array, out: Float32Array): number {
  const { x, y, z, n } = p;
  const f = Math.fround;
  let potential = 0;
  for (let i = 0; i < n; i++) {
    const dx = f(x[i]! - cx), dy = f(y[i]! - cy), dz = f(z[i]! - cz);
    let d = f(f(f(dx * dx) + f(dy * dy)) + f(dz * dz));
    const c = closest[i]!;
    if (c < d) d = c;
    out[i] = d;
    potential += d * w[i]!;
  }
  return potential;
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
