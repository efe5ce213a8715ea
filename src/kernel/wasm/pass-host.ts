/**
 * The host's per-pass writes into the kernel's shared memory: the centroids splatted for the SIMD
 * loops and the zeroed sums and outcome slots. Plain stores, as TypedArray fill on shared memory has
 * a slow path (Node 20): a pass made k * dims fill calls of four floats each.
 */

/** Centroid j as `dims` splatted vectors, so the kernel's inner loop loads without shuffles. */
export function splatCentroids(splat: Float32Array, centroids: Float32Array, k: number, dims: number, floats: number): void {
  // Plain stores: TypedArray fill on shared memory costs microseconds a call (Node 20), and a pass makes k * dims of them.
  for (let j = 0; j < k; j++) {
    for (let d = 0; d < dims; d++) {
      const v = centroids[j * dims + d]!, o = j * floats + d * 4;
      splat[o] = v; splat[o + 1] = v; splat[o + 2] = v; splat[o + 3] = v;
    }
  }
}

/** a.fill(0) for the small shared arrays of every pass, by plain stores (see splatCentroids). */
export function zero(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = 0;
}
