/**
 * Sampling where every pixel is a point: a seeded subset of the points to cluster, then one
 * assignment pass of every point to the final centroids. Invariant: the subset depends only on the
 * seed, the size and the number of points, so every backend and thread count clusters the same one.
 */
import type { KernelSession, Points } from '../kernel/kernel.js';
import { Random } from './random.js';

/** What `result.sample` says of a sampled run. */
export interface SampleInfo {
  /** Points clustered: the sample. */
  size: number;
  /** Points in all (visible pixels), every one assigned to the final centroids. */
  of: number;
}

// The sample's PRNG is seeded apart from the initialisation's (same seed, another stream), so the
// draws of the two do not move together.
const SAMPLE_STREAM = 0x5a3e1d07;

/**
 * `size` distinct indices in [0, n), in increasing order: Floyd's algorithm (size draws, no
 * rejection), marked in a byte map and read back in order, so the points keep their raster order.
 */
export function sampleIndices(n: number, size: number, seed: number): Uint32Array {
  const rng = new Random((seed ^ SAMPLE_STREAM) >>> 0);
  const taken = new Uint8Array(n);
  for (let j = n - size; j < n; j++) {
    const t = rng.nextInt(j + 1);
    taken[taken[t] === 0 ? t : j] = 1;
  }
  const out = new Uint32Array(size);
  for (let i = 0, o = 0; i < n; i++) if (taken[i] !== 0) out[o++] = i;
  return out;
}

/** The points at `indices`, unweighted like their source (sampling only applies where w is null). */
export function subsetPoints(points: Points, indices: Uint32Array): Points {
  const pick = (plane: Float32Array): Float32Array => {
    const out = new Float32Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = plane[indices[i]!]!;
    return out;
  };
  const subset: Points = { x: pick(points.x), y: pick(points.y), z: pick(points.z), w: null, n: indices.length };
  if (points.u && points.v) { subset.u = pick(points.u); subset.v = pick(points.v); }
  return subset;
}

/** The sample to cluster, or null when `size` (0: none) does not leave out any point. */
export function samplePoints(points: Points, size: number, seed: number): Points | null {
  if (size === 0 || size >= points.n || points.w !== null) return null;
  return subsetPoints(points, sampleIndices(points.n, size, seed));
}

/** One assignment pass of every point to `centroids`: their labels (a copy), counts and inertia. */
export function assignAll(session: KernelSession, centroids: Float32Array, k: number, dims: number): { labels: Uint16Array; counts: Float64Array; inertia: number } {
  session.reset();
  const { inertiaQ } = session.assign(centroids);
  const counts = new Float64Array(k);
  for (let j = 0; j < k; j++) counts[j] = session.sums[j * (dims + 1) + dims]!;
  return { labels: session.takeLabels(), counts, inertia: inertiaQ / 256 }; // the session runs no more passes
}

/** The warning a sampled run always carries, so a sample is never silent. */
export function sampleWarning({ size, of }: SampleInfo): string {
  return `clustered a seeded sample of ${size} of the ${of} visible pixels, then assigned every pixel to the final centroids ` +
    '(labels, counts and inertia cover every pixel; iterations and history are the sample\'s): pass sample: 0 (--sample 0) for an exact run';
}
