/**
 * Lloyd's iterations over a kernel session, and the relocation of empty clusters. Invariant: the
 * labels returned are always the nearest-centroid labels of the centroids returned.
 */
import { distN } from '../kernel/f32.js';
import { dimsOf, planesOf, type KernelSession, type Points } from '../kernel/kernel.js';

export interface LloydResult {
  centroids: Float32Array;
  /** Weight (pixels) per cluster after the last assignment pass. */
  counts: Float64Array;
  inertia: number;
  iterations: number;
  converged: boolean;
  history: number[];
}

/**
 * Lloyd's iterations: assign, then move each centroid to the mean of its points. Stops at the first
 * pass that changes no label, after the pass that follows a move of at most `tolerance` (so the labels
 * returned are always the nearest-centroid labels of the centroids returned), or at `maxIterations`
 * passes. Iterations count assignment passes, the last one included, as the reference does.
 */
export function lloyd(
  session: KernelSession, points: Points, initial: Float32Array, k: number,
  maxIterations: number, tolerance: number,
  onPass?: (iteration: number, inertia: number, changed: number) => void,
): LloydResult {
  let centroids: Float32Array = Float32Array.from(initial);
  const dims = dimsOf(points);
  const history: number[] = [];
  let converged = false;
  let finalPass = false;
  let iterations = 0;
  const tol2 = tolerance * tolerance;
  for (let it = 1; ; it++) {
    const { inertiaQ, changed } = session.assign(centroids);
    iterations = it;
    history.push(inertiaQ / 256);
    onPass?.(it, inertiaQ / 256, changed);
    // Pass 1 compares with labels of nothing (or of an earlier attempt): its count means nothing.
    if (it > 1 && changed === 0) { converged = true; break; }
    if (finalPass || it >= maxIterations) break;
    relocateEmptyClusters(session, points, centroids, k);
    const next = means(session.sums, centroids, k, dims);
    let shift2 = 0;
    for (let j = 0; j < k * dims; j += dims) {
      let d = 0;
      for (let q = 0; q < dims; q++) d += (next[j + q]! - centroids[j + q]!) ** 2;
      if (d > shift2) shift2 = d;
    }
    centroids = next;
    if (shift2 <= tol2) { converged = true; finalPass = true; }
  }
  const counts = new Float64Array(k);
  for (let j = 0; j < k; j++) counts[j] = session.sums[j * (dims + 1) + dims]!;
  return { centroids, counts, inertia: history[history.length - 1]!, iterations, converged, history };
}

/** Mean of each cluster, rounded once to f32; a cluster with no weight keeps its centroid. */
function means(sums: Float64Array, previous: Float32Array, k: number, dims: number): Float32Array {
  const next = new Float32Array(k * dims);
  const stride = dims + 1;
  for (let j = 0; j < k; j++) {
    const w = sums[j * stride + dims]!;
    for (let d = 0; d < dims; d++) next[j * dims + d] = w > 0 ? sums[j * stride + d]! / w : previous[j * dims + d]!;
  }
  return next;
}

/**
 * An empty cluster takes the colour farthest from its centroid (scikit-learn's rule), with all its
 * points, so the pixel path and the histogram path move the same weight. Ties go to the smaller colour
 * (x, then y, then z), an order both paths share. A colour is taken only from a cluster that keeps
 * another colour, so no cluster is emptied in turn. Labels and sums are updated in place.
 */
export function relocateEmptyClusters(session: KernelSession, points: Points, centroids: Float32Array, k: number): void {
  const { sums } = session;
  const { n } = points;
  const dims = dimsOf(points);
  const stride = dims + 1;
  // Read only when a cluster is empty: a session may have to gather its labels into the caller's
  // order, and histogram points build their planes on first access (core/points.ts).
  let planes: Float32Array[] = [];
  const same = (i: number, j: number): boolean => planes.every((p) => p[i] === p[j]);
  let dist: Float64Array | undefined;
  let labels: Uint16Array | undefined;
  for (let e = 0; e < k; e++) {
    if (sums[e * stride + dims]! !== 0) continue;
    labels ??= session.labels;
    if (!dist) {
      planes = planesOf(points);
      dist = new Float64Array(n);
      for (let i = 0; i < n; i++) dist[i] = distN(planes, i, centroids, labels[i]! * dims);
    }
    for (;;) {
      let best = -1;
      for (let i = 0; i < n; i++) {
        if (dist[i]! < 0) continue;
        if (best < 0 || dist[i]! > dist[best]! || (dist[i] === dist[best] && lessPoint(planes, i, best))) best = i;
      }
      if (best < 0) break; // nothing movable: the cluster stays empty, its centroid unchanged
      const from = labels[best]!;
      let keepsAnother = false;
      for (let i = 0; i < n && !keepsAnother; i++) keepsAnother = labels[i] === from && !same(i, best);
      let moved = 0;
      for (let i = 0; i < n; i++) {
        if (labels[i] !== from || !same(i, best)) continue;
        // Either way this colour is settled for this pass: it becomes a centroid, or it cannot move.
        dist[i] = -1;
        if (!keepsAnother) continue;
        labels[i] = e;
        moved += points.w === null ? 1 : points.w[i]!;
      }
      if (!keepsAnother) continue;
      for (let q = 0; q < dims; q++) {
        const v = planes[q]![best]! * moved;
        sums[from * stride + q] -= v;
        sums[e * stride + q] = v;
      }
      sums[from * stride + dims] -= moved;
      sums[e * stride + dims] = moved;
      session.labelsChanged();
      break;
    }
  }
}

/** The order that breaks distance ties: coordinates compared left to right. */
function lessPoint(planes: Float32Array[], i: number, j: number): boolean {
  for (const p of planes) if (p[i] !== p[j]) return p[i]! < p[j]!;
  return false;
}
