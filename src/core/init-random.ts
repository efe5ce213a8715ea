/**
 * The random initialisations: 'random' (the classic method, colours drawn in proportion to their pixels)
 * and 'random-colours' (distinct colours drawn uniformly). Invariant: the draws depend only on the seed and
 * the points (weights included), so the pixel path, the histogram path and every backend start alike.
 */
import { copyPoint, dimsOf, type Points } from '../kernel/kernel.js';
import type { Random } from './random.js';

/**
 * 'random', the classic initialisation: what drawing K pixels at random gives, without the duplicate
 * centroids. K distinct points, each next one drawn with probability proportional to its weight among
 * those not drawn yet (successive sampling without replacement). Over the histogram a point is a colour
 * weighted by its pixel count, so a colour on 90 % of the pixels is drawn first 90 % of the time; where
 * every weight is 1 (spatial points: each one pixel) it is exactly the uniform draw of initRandomColours.
 */
export function initRandom(points: Points, k: number, rng: Random): Float32Array {
  const w = points.w;
  if (w === null || w.every((v) => v === 1)) return initRandomColours(points, k, rng);
  const n = points.n;
  // A Fenwick tree of the weights: a draw and a removal cost O(log n) each. Weights are integers, so
  // every partial sum is exact in f64 and the draw does not depend on the order of the additions.
  const tree = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) {
    tree[i]! += w[i - 1]!;
    const up = i + (i & -i);
    if (up <= n) tree[up]! += tree[i]!;
  }
  let remaining = 0;
  for (let i = 0; i < n; i++) remaining += w[i]!;
  let top = 1;
  while (top * 2 <= n) top *= 2;
  const dims = dimsOf(points);
  const out = new Float32Array(k * dims);
  for (let j = 0; j < k; j++) {
    // An integer target in [0, remaining): exact and unbiased while it fits in 32 bits.
    let target = remaining <= 4294967296 ? rng.nextInt(remaining) : Math.floor(rng.nextFloat() * remaining);
    let pos = 0;
    for (let step = top; step > 0; step >>= 1) {
      if (pos + step <= n && tree[pos + step]! <= target) { pos += step; target -= tree[pos]!; }
    }
    // pos is the first point whose cumulative weight exceeds the target; a drawn point has weight 0.
    const weight = w[pos]!;
    for (let i = pos + 1; i <= n; i += i & -i) tree[i]! -= weight;
    remaining -= weight;
    copyPoint(points, pos, out, j * dims);
  }
  return out;
}

/**
 * 'random-colours': k distinct points drawn uniformly without replacement, whatever their weights (a
 * partial Fisher-Yates shuffle over indices, kept sparse in a Map so it costs O(k), not O(n)). Over
 * the histogram that is K distinct colours, a rare one (JPEG noise) as likely as the background.
 */
export function initRandomColours(points: Points, k: number, rng: Random): Float32Array {
  const swapped = new Map<number, number>();
  const dims = dimsOf(points);
  const out = new Float32Array(k * dims);
  for (let j = 0; j < k; j++) {
    const r = j + rng.nextInt(points.n - j);
    const pick = swapped.get(r) ?? r;
    swapped.set(r, swapped.get(j) ?? j);
    copyPoint(points, pick, out, j * dims);
  }
  return out;
}
