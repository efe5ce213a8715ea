import { dist2 } from './distance.js';
import type { Points, Seeding } from './kernel.js';
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
 * potential. Distances in f32 like the kernel; a potential sums floor(d * 256) * weight, integers,
 * so the kernel may add them in any order. `seeding` runs the candidates' hot loop (the SIMD kernel
 * when the points are in wasm memory).
 */
export function initKMeansPlusPlus(points: Points, k: number, rng: Random, seeding: Seeding = jsSeeding(points)): Float32Array {
  const { x, y, z, n } = points;
  const w = points.w ?? new Uint32Array(n).fill(1);
  const { closest, candidate } = seeding;
  const out = new Float32Array(k * 3);
  const trials = 2 + Math.floor(Math.log(k));

  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) { total += w[i]!; cumulative[i] = total; }
  const first = search(cumulative, rng.nextFloat() * total);
  closest.fill(Infinity);
  seeding.minDistances(x[first]!, y[first]!, z[first]!);
  closest.set(candidate);
  out[0] = x[first]!; out[1] = y[first]!; out[2] = z[first]!;

  const best = new Float32Array(n);
  for (let c = 1; c < k; c++) {
    total = 0;
    for (let i = 0; i < n; i++) { total += closest[i]! * w[i]!; cumulative[i] = total; }
    let bestPotential = Infinity;
    let bestId = -1;
    for (let t = 0; t < trials; t++) {
      const id = search(cumulative, rng.nextFloat() * total);
      const potential = seeding.minDistances(x[id]!, y[id]!, z[id]!);
      if (potential < bestPotential) { bestPotential = potential; bestId = id; best.set(candidate); }
    }
    closest.set(best);
    out[c * 3] = x[bestId]!; out[c * 3 + 1] = y[bestId]!; out[c * 3 + 2] = z[bestId]!;
  }
  return out;
}

/** The TS twin of the kernel's `mindist`: same f32 distances, same floor(d * 256) potential. */
export function jsSeeding(p: Points): Seeding {
  const { x, y, z, n } = p;
  const w = p.w;
  const closest = new Float32Array(n), candidate = new Float32Array(n);
  return {
    closest, candidate,
    minDistances(cx, cy, cz) {
      let potential = 0;
      for (let i = 0; i < n; i++) {
        let d = dist2(x[i]!, y[i]!, z[i]!, cx, cy, cz);
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
