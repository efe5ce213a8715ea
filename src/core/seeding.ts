/**
 * Greedy k-means++ initial centroids from a seeded PRNG ('random' is in init-random.ts). Draws depend
 * only on the seed and the points, so the pixel path and the histogram path seed alike on every backend.
 */
import { jsSeeding } from '../kernel/js.js';
import { copyPoint, dimsOf, type Points, type Seeding } from '../kernel/kernel.js';
import type { Random } from './random.js';

/**
 * Greedy k-means++ as scikit-learn does it (sklearn.cluster._kmeans._kmeans_plusplus): the first
 * centre drawn with probability proportional to weight, each next one the best of 2 + floor(ln k)
 * candidates drawn proportionally to weight x squared distance, "best" meaning the lowest total
 * potential. Distances in f32 like the kernel; a potential sums floor(d * 256) * weight, integers,
 * so the kernel may add them in any order. `seeding` does the work over the points (the SIMD kernel
 * when the points are in wasm memory); every backend draws the same points.
 */
export function initKMeansPlusPlus(points: Points, k: number, rng: Random, seeding: Seeding = jsSeeding(points)): Float32Array {
  // Coordinates by copyPoint: from the colour keys where the points carry them (their planes may never be built).
  const dims = dimsOf(points);
  const out = new Float32Array(k * dims);
  const trials = 2 + Math.floor(Math.log(k));
  seeding.reset();
  const first = seeding.draw(rng.nextFloat() * seeding.total());
  seeding.add(first);
  copyPoint(points, first, out, 0);
  for (let c = 1; c < k; c++) {
    const total = seeding.total();
    let bestPotential = Infinity;
    let bestId = -1;
    // Every draw first (a potential changes nothing a draw reads), then their potentials, at once where the backend can.
    const ids: number[] = [];
    for (let t = 0; t < trials; t++) ids.push(seeding.draw(rng.nextFloat() * total));
    const potentials = seeding.potentials?.(ids) ?? ids.map((id) => seeding.potential(id));
    for (let t = 0; t < trials; t++) {
      if (potentials[t]! < bestPotential) { bestPotential = potentials[t]!; bestId = ids[t]!; }
    }
    seeding.add(bestId);
    copyPoint(points, bestId, out, c * dims);
  }
  return out;
}
