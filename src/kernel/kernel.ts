/**
 * The contract between the Lloyd loop and a distance-and-assign backend: all backends give the same
 * labels, sums and inertia bit for bit (assembly/assign.ts has the arithmetic). core/ reaches a
 * kernel only through this interface and kernel/select.ts, never through an implementation.
 */
import type { HistogramEngine } from '../core/histogram.js';

/**
 * A session holds one set of points (f32 planes x, y, z and optional integer weights); each `assign`
 * call assigns every point to its nearest centroid, rewrites the labels and per-cluster sums in place,
 * and reports the inertia (in units of 1/256, an exact integer) and how many labels changed.
 *
 * Coordinates must lie on the 1/256 grid (colorspace.ts snaps them) and the sums stay below 2^53:
 * then every sum is exact and the backends agree bit for bit whatever their order of addition.
 * Spatial points (u, v) carry no weights: every pixel is its own point.
 */
export interface Points {
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  /** Scaled position planes, present together for spatial segmentation (five dimensions). */
  u?: Float32Array;
  v?: Float32Array;
  /** Integer weights (pixel counts), or null for weight 1 each. */
  w: Uint32Array | null;
  n: number;
  /**
   * The colour keys (r | g << 8 | b << 16) the points are, when x, y, z are r, g, b of these keys:
   * a backend may write its planes from them (the wasm kernel does, in its memory) and never read
   * x, y, z, which core/points.ts then builds only on first access.
   */
  rgb?: Uint32Array;
}

/** The coordinate planes: x, y, z, and u, v for spatial points. */
export function planesOf(p: Points): Float32Array[] {
  return p.u && p.v ? [p.x, p.y, p.z, p.u, p.v] : [p.x, p.y, p.z];
}

/** How many coordinates a point has (planesOf's length), without touching the planes. */
export const dimsOf = (p: Points): number => (p.u && p.v ? 5 : 3);

/** Point i's coordinates into out[at, at + dims): from its key when the points carry keys (x, y, z unread), else from the planes. */
export function copyPoint(p: Points, i: number, out: Float32Array | Float64Array | number[], at = 0): void {
  if (!p.rgb) { planesOf(p).forEach((plane, q) => { out[at + q] = plane[i]!; }); return; }
  const key = p.rgb[i]!;
  out[at] = key & 255; out[at + 1] = (key >>> 8) & 255; out[at + 2] = key >>> 16;
  if (p.u && p.v) { out[at + 3] = p.u[i]!; out[at + 4] = p.v[i]!; }
}

/** The r, g, b planes of colour keys, the values Points.rgb stands for (integers below 256: exact in f32). */
export function rgbPlanesOf(keys: Uint32Array, x: Float32Array, y: Float32Array, z: Float32Array): void {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    x[i] = key & 255; y[i] = (key >>> 8) & 255; z[i] = key >>> 16;
  }
}

export interface AssignOutcome {
  /** Sum of w * floor(d * 256) over points, d the f32 squared distance. */
  inertiaQ: number;
  changed: number;
}

/**
 * k-means++'s work over the session's points (core/seeding.ts runs the draws): each point's f32
 * distance to its nearest centre so far, `closest`. Every backend gives the same bits: the totals and
 * draws are those of a running f64 sum of closest[i] * w[i] in point order (w[i] alone before the
 * first centre), the potentials sums of integers.
 */
export interface Seeding {
  /** No centre yet: every closest distance +Infinity. */
  reset(): void;
  /** The running sum's last value: of w[i] before the first centre, of closest[i] * w[i] after. */
  total(): number;
  /**
   * The first point whose running sum exceeds v; when none does, the last point that makes it grow
   * (0 if none). Uses the state total() saw: call total() after each add().
   */
  draw(v: number): number;
  /** The potential if point c were a centre: the sum of floor(min(closest[i], d(i, c)) * 256) * w[i]. */
  potential(c: number): number;
  /** potential() of each point of `ids`, where a backend computes several at once (threads); optional. */
  potentials?(ids: number[]): number[];
  /** Make point c a centre: closest[i] = min(closest[i], d(i, c)). */
  add(c: number): void;
}

export interface KernelSession {
  /** Threads each pass runs on (1 below the work threshold, or for the TS backend). */
  readonly threads: number;
  /** Points the last pass proved nearest to their centroid without comparing every centroid (0 without bounds). */
  readonly settled: number;
  /** k-means++ over this session's points. */
  readonly seeding: Seeding;
  /** Labels of the points, 0xffff before the first pass. Views may be replaced after assign(). */
  readonly labels: Uint16Array;
  /**
   * The labels for the caller to keep past dispose(): the session's own array where nothing writes it
   * again (only dispose() may follow this call), else a copy. A caller keeping the last pass's labels
   * spares a copy of them (2.8 MiB for a 12 MP photo's 1.4 M colours, at the CLI's memory peak).
   */
  takeLabels(): Uint16Array;
  /**
   * Per cluster, dims + 1 values: sums of w * each coordinate, then of w (f64), for the current labels.
   * Labels and sums are one state: a caller that moves a point to another label moves its sums too
   * (relocation does), since a backend may update the sums only for the labels a pass changes.
   */
  readonly sums: Float64Array;
  assign(centroids: Float32Array): AssignOutcome;
  /** Back to the state before the first pass: every label UNASSIGNED, every sum 0. */
  reset(): void;
  /** Say that labels (and their sums) were changed outside assign(): whatever the backend derived from them is stale. */
  labelsChanged(): void;
  dispose(): void;
}

export interface Kernel {
  readonly name: 'wasm' | 'js';
  /** threads: an upper bound; a backend may use fewer (the TS one always uses one). */
  open(points: Points, k: number, threads?: number): KernelSession;
  /**
   * The histogram's per-pixel loops run in this backend (the wasm kernel, over its memory), or null
   * or absent where core/histogram.ts runs its own TS loops. Same counts and labels either way, on
   * any number of `threads` (the most its loops may use, 1 by default).
   */
  histogramEngine?(threads?: number): HistogramEngine | null;
}

/** Pixels that share a label share this sentinel before the first pass: no real label equals it for k < 65536. */
export const UNASSIGNED = 0xffff;
