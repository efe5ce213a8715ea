/**
 * The host's writes into the kernel's memory: a session's points as it opens, then each pass's
 * centroids splatted for the SIMD loops and zeroed sums and outcome slots. Plain stores, as TypedArray
 * fill on shared memory has a slow path (Node 20): a pass made k * dims fill calls of four floats each.
 */
import { planesOf, rgbPlanesOf, type Points } from '../kernel.js';
import type { SessionLayout } from './memory.js';
import type { WasmExports } from './module.js';

/**
 * Copy the points' planes and weights into the session's memory, in the caller's order. Points that
 * carry their colour keys (Points.rgb) get their r, g, b planes from the keys instead, in wasm where
 * the build has the loop (the keys copied into the closest plane, free until k-means++): their JS
 * planes are never read, so never built (core/points.ts). Same values either way.
 */
export function writePoints(buf: ArrayBufferLike, layout: SessionLayout, points: Points, rgbPlanes: WasmExports['rgbPlanes']): void {
  const { n, rgb } = points;
  const view = (at: number): Float32Array => new Float32Array(buf, at, n);
  const [x, y, z] = layout.planes as [number, number, number];
  if (!rgb) {
    planesOf(points).forEach((plane, q) => view(layout.planes[q]!).set(plane.subarray(0, n)));
  } else if (rgbPlanes) {
    new Uint32Array(buf, layout.closest, n).set(rgb.subarray(0, n));
    rgbPlanes(layout.closest, n, x, y, z);
  } else {
    rgbPlanesOf(rgb.subarray(0, n), view(x), view(y), view(z));
  }
  if (rgb && points.u && points.v) { view(layout.planes[3]!).set(points.u.subarray(0, n)); view(layout.planes[4]!).set(points.v.subarray(0, n)); }
  if (points.w) new Uint32Array(buf, layout.weights, n).set(points.w.subarray(0, n));
}

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
