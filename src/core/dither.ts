/**
 * Dithering (Floyd-Steinberg, 8 x 8 Bayer) onto the palette in the run's colour space. Invariant: one
 * fixed raster order, float32 values, float64 sums, ties to the lower index: the same bits everywhere.
 */
import { linearToLab, linearToOklab, pointOf, srgbToLinear, toSrgb, type ColorSpace } from './colorspace.js';
import type { LloydResult } from './lloyd.js';
import { KMeansSegError } from '../errors.js';
import type { Labels, RGBAImage } from '../types.js';
import type { DitherMethod } from './roi-dither-options.js';

export interface DitherSettings {
  dither: DitherMethod;
  serpentine: boolean;
  ditherStrength: number;
  signal?: AbortSignal | undefined;
}

/** Rows between two looks at the signal: a few milliseconds of work on a wide photo. */
const ROWS_PER_SLICE = 64;

/**
 * Rewrite `labels` (label `k` marks pixels that take no part: transparent, or outside a roi; they stay
 * `k`) with the dithered mapping of `image` onto `palette` (sRGB), measured in `space`. Returns the
 * pixels per palette colour, or null for dither 'none' (labels untouched).
 * @throws {KMeansSegError} ERR_ABORTED when `signal` aborts between two slices of rows.
 */
export function ditherLabels(
  image: RGBAImage, labels: Labels, palette: readonly (readonly number[])[], space: ColorSpace, settings: DitherSettings,
): Float64Array | null {
  if (settings.dither === 'none') return null;
  const k = palette.length;
  const colour = converter(space);
  const targets = new Float32Array(k * 3);
  palette.forEach((c, j) => colour((c[0]! | (c[1]! << 8) | (c[2]! << 16)) >>> 0, targets, j * 3));
  const counts = new Float64Array(k);
  if (settings.dither === 'ordered') ordered(image, labels, targets, colour, settings, counts);
  else floydSteinberg(image, labels, targets, colour, settings, counts);
  return counts;
}

/**
 * The run's fit with the palette counts of the dithered mapping, which rewrites `labels`; null for
 * dither 'none'. The palette is the fit's, as summarize rounds it to sRGB.
 */
export function ditherRun(image: RGBAImage, labels: Labels, k: number, fit: LloydResult, opts: DitherSettings & { colorSpace: ColorSpace }): LloydResult | null {
  if (opts.dither === 'none') return null;
  const dims = fit.centroids.length / k;
  const palette = Array.from({ length: k }, (_, j) =>
    toSrgb(opts.colorSpace, fit.centroids[j * dims]!, fit.centroids[j * dims + 1]!, fit.centroids[j * dims + 2]!).map((v) => Math.min(255, Math.max(0, Math.round(v)))));
  return { ...fit, counts: ditherLabels(image, labels, palette, opts.colorSpace, opts)! };
}

/** The index of the target nearest to (x, y, z), given a guess (`anchor`: the pixel's own nearest colour). */
export type Nearest = (x: number, y: number, z: number, anchor: number) => number;

/** Above this many colours the pruned search's k x k table (12 bytes an entry: 3 MB at 512) costs more to build and hold than it saves. */
const PRUNED_MAX_K = 512;

/**
 * The nearest target by float64 squared distance, ties to the lower index. Up to PRUNED_MAX_K
 * colours, each target's others sorted by their distance D to it: with r the distance from the point
 * to the anchor and b to the best so far, a target with D > r + b (+ a margin far above rounding) is
 * provably farther than the best, and so are all after it (the triangle inequality), so the scan
 * stops there. Whatever the anchor, the answer is the one a full scan gives.
 */
export function nearestIn(targets: Float32Array): Nearest {
  const k = targets.length / 3;
  const dist2 = (j: number, x: number, y: number, z: number): number => {
    const dx = x - targets[j * 3]!, dy = y - targets[j * 3 + 1]!, dz = z - targets[j * 3 + 2]!;
    return dx * dx + dy * dy + dz * dz;
  };
  if (k > PRUNED_MAX_K) {
    return (x, y, z) => {
      let best = 0, bestD = Infinity;
      for (let j = 0; j < k; j++) { const d = dist2(j, x, y, z); if (d < bestD) { bestD = d; best = j; } }
      return best;
    };
  }
  const order = new Uint32Array(k * k), gap = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    const others = Array.from({ length: k }, (_, j) => j).sort((i, j) =>
      Math.sqrt(dist2(i, targets[a * 3]!, targets[a * 3 + 1]!, targets[a * 3 + 2]!)) - Math.sqrt(dist2(j, targets[a * 3]!, targets[a * 3 + 1]!, targets[a * 3 + 2]!)) || i - j);
    others.forEach((j, i) => { order[a * k + i] = j; gap[a * k + i] = Math.sqrt(dist2(j, targets[a * 3]!, targets[a * 3 + 1]!, targets[a * 3 + 2]!)); });
  }
  return (x, y, z, anchor) => {
    const a = anchor < k ? anchor : 0;
    let best = a, bestD = dist2(a, x, y, z);
    const r0 = Math.sqrt(bestD);
    let reach = 2 * r0 + 1e-6;
    for (let i = a * k; i < a * k + k; i++) {
      if (gap[i]! > reach) break;
      const j = order[i]!, d = dist2(j, x, y, z);
      if (d < bestD || (d === bestD && j < best)) { bestD = d; best = j; reach = r0 + Math.sqrt(d) + 1e-6; }
    }
    return best;
  };
}

function checkSignal(signal: AbortSignal | undefined, y: number, height: number): void {
  if (signal?.aborted) {
    throw new KMeansSegError('ERR_ABORTED', `Aborted while dithering, at row ${y} of ${height}: the signal passed as options.signal was aborted`, { cause: signal.reason });
  }
}

type Colour = (key: number, out: Float32Array, at: number) => void;

/**
 * Floyd-Steinberg: 7/16 of a pixel's error to the next pixel in the row's direction, 3/16, 5/16 and
 * 1/16 to the three below (behind, under, ahead). Odd rows run right to left when serpentine.
 * Errors are scaled by the strength as they are made; they enter no pixel that takes no part, and
 * those that leave the image are dropped.
 */
function floydSteinberg(image: RGBAImage, labels: Labels, targets: Float32Array, colour: Colour, s: DitherSettings, counts: Float64Array): void {
  const { data, width, height } = image;
  const none = targets.length / 3;
  // Row errors with one pad column each side: (x + 1) * 3 is pixel x's.
  let cur = new Float32Array((width + 2) * 3), next = new Float32Array((width + 2) * 3);
  const c = new Float32Array(3), strength = s.ditherStrength, nearest = nearestIn(targets);
  // Each value is held to the palette's bounding box: a colour beyond every palette colour would
  // otherwise pile up error without end and let it bleed far along the row (as libimagequant limits it).
  const lo = new Float32Array(3).fill(Infinity), hi = new Float32Array(3).fill(-Infinity);
  for (let o = 0; o < targets.length; o++) { lo[o % 3] = Math.min(lo[o % 3]!, targets[o]!); hi[o % 3] = Math.max(hi[o % 3]!, targets[o]!); }
  for (let y = 0; y < height; y++) {
    if (y % ROWS_PER_SLICE === 0) checkSignal(s.signal, y, height);
    const back = s.serpentine && (y & 1) === 1;
    const dir = back ? -1 : 1;
    for (let i = 0; i < width; i++) {
      const x = back ? width - 1 - i : i, p = y * width + x, o = p * 4;
      if (data[o + 3] === 0 || labels[p] === none) continue;
      colour((data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16)) >>> 0, c, 0);
      const e = (x + 1) * 3;
      const vx = clamp(Math.fround(c[0]! + cur[e]!), lo[0]!, hi[0]!);
      const vy = clamp(Math.fround(c[1]! + cur[e + 1]!), lo[1]!, hi[1]!);
      const vz = clamp(Math.fround(c[2]! + cur[e + 2]!), lo[2]!, hi[2]!);
      const j = nearest(vx, vy, vz, labels[p]!);
      labels[p] = j;
      counts[j]!++;
      const ex = Math.fround((vx - targets[j * 3]!) * strength);
      const ey = Math.fround((vy - targets[j * 3 + 1]!) * strength);
      const ez = Math.fround((vz - targets[j * 3 + 2]!) * strength);
      const ahead = e + dir * 3, behind = e - dir * 3;
      cur[ahead] = cur[ahead]! + ex * (7 / 16); cur[ahead + 1] = cur[ahead + 1]! + ey * (7 / 16); cur[ahead + 2] = cur[ahead + 2]! + ez * (7 / 16);
      next[behind] = next[behind]! + ex * (3 / 16); next[behind + 1] = next[behind + 1]! + ey * (3 / 16); next[behind + 2] = next[behind + 2]! + ez * (3 / 16);
      next[e] = next[e]! + ex * (5 / 16); next[e + 1] = next[e + 1]! + ey * (5 / 16); next[e + 2] = next[e + 2]! + ez * (5 / 16);
      next[ahead] = next[ahead]! + ex * (1 / 16); next[ahead + 1] = next[ahead + 1]! + ey * (1 / 16); next[ahead + 2] = next[ahead + 2]! + ez * (1 / 16);
    }
    [cur, next] = [next, cur];
    next.fill(0);
  }
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** The 8 x 8 Bayer matrix, 0-63, row-major: each 2 x 2 step of the recursion [[0, 2], [3, 1]]. */
export const BAYER_8: Uint8Array = /* @__PURE__ */ (() => {
  const m = new Uint8Array(64);
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      let v = 0;
      for (let bit = 0; bit < 3; bit++) {
        const xb = (x >> bit) & 1, yb = (y >> bit) & 1;
        v += [[0, 2], [3, 1]][yb]![xb]! << (2 * (2 - bit));
      }
      m[y * 8 + x] = v;
    }
  }
  return m;
})();

/**
 * Ordered dithering: before the nearest colour is found, each channel gets the same offset,
 * ((M + 0.5) / 64 - 0.5) x spread x strength, where M is the pixel's Bayer cell and the spread is
 * the mean distance from each palette colour to its nearest other one, divided by sqrt 3 (so that
 * between two greys the offsets span exactly the gap: a flat grey g of the way from one to the
 * other becomes about g of each).
 */
function ordered(image: RGBAImage, labels: Labels, targets: Float32Array, colour: Colour, s: DitherSettings, counts: Float64Array): void {
  const { data, width, height } = image;
  const none = targets.length / 3;
  const scale = spreadOf(targets) * s.ditherStrength;
  const offsets = Float64Array.from(BAYER_8, (m) => ((m + 0.5) / 64 - 0.5) * scale);
  const c = new Float32Array(3), nearest = nearestIn(targets);
  for (let y = 0; y < height; y++) {
    if (y % ROWS_PER_SLICE === 0) checkSignal(s.signal, y, height);
    const row = (y & 7) * 8;
    for (let x = 0, p = y * width; x < width; x++, p++) {
      const o = p * 4;
      if (data[o + 3] === 0 || labels[p] === none) continue;
      colour((data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16)) >>> 0, c, 0);
      const d = offsets[row + (x & 7)]!;
      const j = nearest(c[0]! + d, c[1]! + d, c[2]! + d, labels[p]!);
      labels[p] = j;
      counts[j]!++;
    }
  }
}

/** Mean over the palette of each colour's distance to its nearest other colour, over sqrt 3; 0 for one colour. */
function spreadOf(targets: Float32Array): number {
  const k = targets.length / 3;
  if (k < 2) return 0;
  let sum = 0;
  for (let i = 0; i < k; i++) {
    let best = Infinity;
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      const dx = targets[i * 3]! - targets[j * 3]!, dy = targets[i * 3 + 1]! - targets[j * 3 + 1]!, dz = targets[i * 3 + 2]! - targets[j * 3 + 2]!;
      best = Math.min(best, dx * dx + dy * dy + dz * dz);
    }
    sum += Math.sqrt(best);
  }
  return sum / k / Math.sqrt(3);
}

/**
 * A colour key (r | g << 8 | b << 16) to the space's coordinates, the very values histogramPoints
 * gives the kernel (so a pixel of a palette colour has no error). Lab and OKLab, a cube root per
 * channel, go through a small cache: neighbouring pixels often share a colour.
 */
function converter(space: ColorSpace): Colour {
  if (space === 'rgb') return (key, out, at) => { out[at] = key & 255; out[at + 1] = (key >>> 8) & 255; out[at + 2] = key >>> 16; };
  if (space === 'linear-rgb') {
    const t = new Float32Array(256 * 3);
    for (let v = 0; v < 256; v++) { t[v * 3] = pointOf(space, v, 0, 0)[0]; t[v * 3 + 1] = pointOf(space, 0, v, 0)[1]; t[v * 3 + 2] = pointOf(space, 0, 0, v)[2]; }
    return (key, out, at) => { out[at] = t[(key & 255) * 3]!; out[at + 1] = t[((key >>> 8) & 255) * 3 + 1]!; out[at + 2] = t[(key >>> 16) * 3 + 2]!; };
  }
  const lin = Float64Array.from({ length: 256 }, (_, v) => srgbToLinear(v));
  const scale = space === 'oklab' ? 100 : 1;
  const snap = (v: number): number => Math.round(v * 256) / 256;
  const SLOTS = 1 << 16;
  const keys = new Int32Array(SLOTS).fill(-1), values = new Float32Array(SLOTS * 3);
  return (key, out, at) => {
    const slot = (key ^ (key >>> 12)) & (SLOTS - 1), v = slot * 3;
    if (keys[slot] !== key) {
      const lr = lin[key & 255]!, lg = lin[(key >>> 8) & 255]!, lb = lin[key >>> 16]!;
      const q = space === 'lab' ? linearToLab(lr, lg, lb) : linearToOklab(lr, lg, lb);
      keys[slot] = key; values[v] = snap(q[0] * scale); values[v + 1] = snap(q[1] * scale); values[v + 2] = snap(q[2] * scale);
    }
    out[at] = values[v]!; out[at + 1] = values[v + 1]!; out[at + 2] = values[v + 2]!;
  };
}
