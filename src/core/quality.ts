/**
 * How close a segmented image is to its original: PSNR over RGB and ΔE in OKLab. Invariant: only the
 * pixels with alpha > 0 in the original are compared, and alpha itself never is.
 */
import { linearToOklab, srgbToLinear } from './colorspace.js';
import { KMeansSegError } from '../errors.js';
import { pixelWords, slotOf } from './histogram.js';
import type { KMeansResult, Labels, PaletteEntry, RGBAImage } from '../types.js';
import type { ColourLabels } from './colour-labels.js';
import { checkImage, checkLabelled, invalidOption } from '../validate.js';

/**
 * PSNR over RGB, and the colour difference ΔE in OKLab per pixel (mean, 95th percentile, maximum),
 * over the pixels that were clustered, i.e. those with alpha > 0 in the original (the segmented
 * image keeps the alpha, so it is not compared).
 *
 * ΔE is the Euclidean distance in OKLab in the core's units (OKLab x 100, see colorspace.ts), on a
 * scale like CIE ΔE*ab's: differences below about 2 are hard to see. Divide by 100 for the standard
 * ΔEOK of CSS Color 4.
 */
export interface Quality {
  /** Peak signal-to-noise ratio in dB over the R, G and B channels: 10 log10(255² / MSE). Infinity for identical pixels. */
  psnr: number;
  /** Mean squared error per channel (0-255 units). */
  mse: number;
  /** Colour difference per pixel: Euclidean distance in OKLab x 100 (divide by 100 for standard ΔEOK). */
  deltaE: {
    mean: number;
    /** 95th percentile, nearest-rank: the smallest value that at least 95 % of the pixels do not exceed. */
    p95: number;
    max: number;
  };
  /** Pixels compared: those with alpha > 0 in the original. */
  pixels: number;
}

// OKLab of each 8-bit channel value goes through the sRGB transfer function; a 256-entry table of
// the linear values keeps the per-pixel work to the matrix and three cube roots.
let linearTable: Float64Array | undefined;
function linear(): Float64Array {
  linearTable ??= Float64Array.from({ length: 256 }, (_, c) => srgbToLinear(c));
  return linearTable;
}

function oklab100(lin: Float64Array, r: number, g: number, b: number, out: Float64Array, at: number): void {
  const [L, a, bb] = linearToOklab(lin[r]!, lin[g]!, lin[b]!);
  out[at] = L * 100; out[at + 1] = a * 100; out[at + 2] = bb * 100;
}

/**
 * Compare a segmented result with the original it came from.
 *
 * @example
 * const q = qualityOf(image, await kmeans(image, { k: 8 }));
 * q.psnr;          // 27.4 (dB)
 * q.deltaE.mean;   // 3.1 (OKLab x 100)
 *
 * @throws ERR_INVALID_IMAGE when the original is not a valid image, is not the result's size, or has
 *   no pixel with alpha > 0; ERR_INVALID_OPTION when the result is not a kmeans or segment result.
 */
export function qualityOf(original: RGBAImage, result: KMeansResult): Quality {
  checkImage(original);
  checkLabelled(result);
  const { palette, centroids } = result;
  if (!Array.isArray(palette) || palette.length !== result.k || !palette.every((p) => Array.isArray(p?.rgb) && p.rgb.length === 3) ||
    !Array.isArray(centroids) || typeof result.toRGBA !== 'function') {
    throw invalidOption('result', 'a kmeans or segment result (k colours in palette, centroids, toRGBA)', result, 'pass what kmeans() or segment() returned');
  }
  if (result.width !== original.width || result.height !== original.height) {
    throw new KMeansSegError('ERR_INVALID_IMAGE',
      `The result is ${result.width} x ${result.height} but the original is ${original.width} x ${original.height}: pass the image the result was computed from`);
  }
  // Without positions a pixel's label is a function of its colour: the figures are then sums over the
  // distinct colours weighted by their counts, far fewer than the pixels of a photo.
  const colours = result.centroids[0]?.length === 3 ? coloursOf(original, result.labels) : undefined;
  if (colours !== undefined) {
    if (colours.n === 0) throw allTransparent(original.width * original.height);
    return qualityOfColours(result, colours);
  }
  return compare(original, result.toRGBA(), labOfPalette(result.palette), result.labels, result.k);
}

/**
 * qualityOf over the distinct colours of the original the result came from (from takeColours, or
 * ColourLabels of its own making), with no pass over the pixels. PSNR, MSE, the p95 and the maximum
 * are exactly those of the per-pixel comparison (integer squared errors; the same ΔE per colour as
 * per pixel; a weighted nearest-rank selection); the mean differs from a per-pixel sum only in its
 * rounding: within 1e-12 relative of the exact value (a plain per-pixel sum over 12 M pixels is
 * itself about 4e-12 off).
 *
 * @throws ERR_INVALID_IMAGE when no colour has a pixel.
 */
export function qualityOfColours(result: Pick<KMeansResult, 'palette'>, colours: ColourLabels): Quality {
  const { counts } = colours;
  const paletteLab = labOfPalette(result.palette);
  const { approx, top, squared, opaque, sum } = approximateDeltas(result.palette, paletteLab, colours);
  if (opaque === 0) throw new KMeansSegError('ERR_INVALID_IMAGE', 'Every pixel of the original is fully transparent (alpha 0): there is nothing to compare');
  const mse = squared / (3 * opaque);
  const rank = Math.ceil(0.95 * opaque);
  // The exact ΔE of colour i, as compare() computes it per pixel.
  const lin = linear(), lab = new Float64Array(3);
  const exact = (i: number): number => {
    const key = colours.keys[i]!, j = colours.labels[i]! * 3;
    oklab100(lin, key & 255, (key >>> 8) & 255, key >>> 16, lab, 0);
    return Math.hypot(lab[0]! - paletteLab[j]!, lab[1]! - paletteLab[j + 1]!, lab[2]! - paletteLab[j + 2]!);
  };
  const { p95, max } = exactRanks(approx, counts, rank, top, exact);
  return { psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), mse, deltaE: { mean: sum / opaque, p95, max }, pixels: opaque };
}

/**
 * Each colour's ΔE as the square root of the sum of squares, within 2 ulp of the Math.hypot the
 * per-pixel figures use, at a tenth of its cost: good for the mean, and for finding the few colours
 * near the p95 and the maximum, whose exact value is then taken (exactRanks). Kept as float32 (half
 * the memory, at the run's peak): within 2^-23 relative of the exact value. With the largest, the
 * integer sums PSNR needs, and the ΔE x count sum of the float64 values (Neumaier's compensated sum).
 */
function approximateDeltas(palette: readonly PaletteEntry[], paletteLab: Float64Array, colours: ColourLabels) {
  const { keys, counts, labels, n } = colours;
  const rgb = Int32Array.from(palette.flatMap((p) => p.rgb));
  const lin = linear();
  const approx = new Float32Array(n);
  let squared = 0, opaque = 0; // integer sums: exact up to 2^53, far beyond any image we can hold
  let sum = 0, lost = 0, top = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i]!, w = counts[i]!, j = labels[i]! * 3;
    const r = key & 255, g = (key >>> 8) & 255, b = key >>> 16;
    const dr = r - rgb[j]!, dg = g - rgb[j + 1]!, db = b - rgb[j + 2]!;
    squared += (dr * dr + dg * dg + db * db) * w;
    opaque += w;
    // oklab100 written out: an array per colour costs more than the maths.
    const lr = lin[r]!, lg = lin[g]!, lb = lin[b]!;
    const l = Math.cbrt(0.4122214708 * lr + 0.5363325363 * lg + 0.0514459929 * lb);
    const m = Math.cbrt(0.2119034982 * lr + 0.6806995451 * lg + 0.1073969566 * lb);
    const s = Math.cbrt(0.0883024619 * lr + 0.2817188376 * lg + 0.6299787005 * lb);
    const x = (0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s) * 100 - paletteLab[j]!;
    const y = (1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s) * 100 - paletteLab[j + 1]!;
    const z = (0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s) * 100 - paletteLab[j + 2]!;
    const d = Math.sqrt(x * x + y * y + z * z);
    approx[i] = d;
    if (approx[i]! > top) top = approx[i]!;
    const term = d * w, t = sum + term;
    lost += Math.abs(sum) >= Math.abs(term) ? (sum - t) + term : (term - t) + sum;
    sum = t;
  }
  return { approx, top, squared, opaque, sum: sum + lost };
}

/** How far (relative) a stored approximation may be from the exact ΔE: float32 rounding and 2 ulp, with a wide margin. */
const WINDOW = 1e-6;

/** Bins of the weighted selection: the window around any value lies within its bin and the two beside it (see exactRanks). */
const BINS = 1 << 16;

/**
 * The weighted nearest rank `rank` of the exact ΔE (`exact(i)`), and the maximum, given `top`, the
 * largest of `approx`. The counts are binned by approximation (BINS equal bins up to `top`: binning
 * is monotonic, so the rank of the approximations, `near`, lies in the bin where the running count
 * reaches `rank`); only the colours within WINDOW (relative) of `near` (of `top`) can hold the
 * answer: every colour below that window is below it (the window is far wider than the error), so
 * the selection over the window's exact values, starting from the weight below, is exact. A bin is
 * top / (BINS - 1) wide, more than WINDOW x top, so one more pass over the colours collects all the
 * window can hold (that bin and its two neighbours) and the candidates for the maximum.
 * @internal exported for its test.
 */
export function exactRanks(approx: Float32Array, counts: Uint32Array, rank: number, top: number, exact: (i: number) => number): { p95: number; max: number } {
  if (top === 0) return { p95: 0, max: 0 }; // every colour is its centroid's exactly: a zero sum of squares is a zero hypot
  const n = approx.length, scale = (BINS - 1) / top;
  const binWeight = new Float64Array(BINS);
  for (let i = 0; i < n; i++) binWeight[Math.floor(approx[i]! * scale)] += counts[i]!;
  let bin = 0, below = 0;
  while (below + binWeight[bin]! < rank) below += binWeight[bin++]!;
  if (bin > 0) below -= binWeight[bin - 1]!; // the weight below the three bins
  const first = bin - 1, high = top * (1 - WINDOW);
  const near3: number[] = [], highest: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = approx[i]!;
    if ((Math.floor(d * scale) - first) >>> 0 < 3) near3.push(i);
    if (d >= high) highest.push(i);
  }
  let max = 0;
  for (const i of highest) max = Math.max(max, exact(i));
  near3.sort((a, b) => approx[a]! - approx[b]!);
  let near = approx[near3.at(-1)!]!, sum = below;
  for (const i of near3) {
    sum += counts[i]!;
    if (sum >= rank) { near = approx[i]!; break; }
  }
  const lo = near * (1 - WINDOW), hi = near * (1 + WINDOW);
  const window: number[] = [];
  for (const i of near3) {
    const d = approx[i]!;
    if (d < lo) below += counts[i]!;
    else if (d <= hi) window.push(i);
  }
  const ranked = window.map((i) => ({ d: exact(i), w: counts[i]! })).sort((a, b) => a.d - b.d);
  for (const { d, w } of ranked) {
    below += w;
    if (below >= rank) return { p95: d, max };
  }
  return { p95: ranked.at(-1)!.d, max }; // unreachable: `near` is the approximate rank, so the window reaches it
}

function labOfPalette(palette: readonly PaletteEntry[]): Float64Array {
  const lin = linear();
  const lab = new Float64Array(palette.length * 3);
  palette.forEach((p, j) => oklab100(lin, p.rgb[0], p.rgb[1], p.rgb[2], lab, j * 3));
  return lab;
}

// A table of the colours seen, reused across calls (held weakly, as the histogram's is).
let spareSlots: WeakRef<Int32Array> | undefined;

/**
 * The original's distinct visible colours with their counts and labels, in one pass over the pixels;
 * undefined when two pixels of one colour have different labels (the result is not of this original,
 * or was made with positions): then only a per-pixel comparison is right.
 */
function coloursOf(original: RGBAImage, labels: Labels): ColourLabels | undefined {
  const pixels = original.width * original.height;
  const words = pixelWords(original.data, pixels);
  const slots = spareSlots?.deref() ?? new Int32Array(1 << 24);
  spareSlots = undefined;
  let size = Math.min(pixels, 1 << 16);
  let keys = new Uint32Array(size), counts = new Uint32Array(size), labelOf = new Uint32Array(size);
  let n = 0, consistent = true;
  for (let p = 0; p < pixels; p++) {
    const v = words[p]!;
    if (v >>> 24 === 0) continue;
    const slot = slotOf(v & 0xffffff);
    let e = slots[slot]! - 1;
    if (e < 0) {
      if (n === size) {
        size = Math.min(pixels, size * 2);
        keys = grow(keys, size); counts = grow(counts, size); labelOf = grow(labelOf, size);
      }
      e = n++;
      slots[slot] = n;
      keys[e] = v & 0xffffff;
      labelOf[e] = labels[p]!;
    } else if (labelOf[e] !== labels[p]) {
      consistent = false;
    }
    counts[e]!++;
  }
  for (let i = 0; i < n; i++) slots[slotOf(keys[i]!)] = 0;
  spareSlots = new WeakRef(slots);
  return consistent ? { keys, counts, labels: labelOf, n } : undefined;
}

function grow(a: Uint32Array, size: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(size);
  b.set(a);
  return b;
}

/**
 * Compare any two RGBA images of the same size (e.g. an original and an edited copy), over the
 * pixels with alpha > 0 in `original`.
 *
 * @throws ERR_INVALID_IMAGE when either is not a valid image, their sizes differ, or `original` has
 *   no pixel with alpha > 0.
 */
export function compareImages(original: RGBAImage, other: RGBAImage): Quality {
  checkImage(original);
  checkImage(other);
  if (other.width !== original.width || other.height !== original.height) {
    throw new KMeansSegError('ERR_INVALID_IMAGE',
      `The images differ in size: ${original.width} x ${original.height} and ${other.width} x ${other.height}: compare images of the same size`);
  }
  return compare(original, other.data, null, null, 0);
}

function allTransparent(pixels: number): KMeansSegError {
  return new KMeansSegError('ERR_INVALID_IMAGE', `Every one of the ${pixels} pixels of the original is fully transparent (alpha 0): there is nothing to compare`);
}

function compare(
  original: RGBAImage, other: Uint8Array | Uint8ClampedArray,
  paletteLab: Float64Array | null, labels: Labels | null, k: number,
): Quality {
  const a = original.data;
  const pixels = original.width * original.height;
  const lin = linear();
  const lab = new Float64Array(6);
  const deltas = new Float64Array(pixels);
  let n = 0;
  let squared = 0; // integer sums: exact up to 2^53, far beyond any image we can hold
  let sum = 0;
  for (let p = 0, o = 0; p < pixels; p++, o += 4) {
    if (a[o + 3] === 0) continue;
    const dr = a[o]! - other[o]!, dg = a[o + 1]! - other[o + 1]!, db = a[o + 2]! - other[o + 2]!;
    squared += dr * dr + dg * dg + db * db;
    let d = 0;
    if (dr !== 0 || dg !== 0 || db !== 0) {
      oklab100(lin, a[o]!, a[o + 1]!, a[o + 2]!, lab, 0);
      const label = labels ? labels[p]! : k;
      if (paletteLab && label < k) {
        lab[3] = paletteLab[label * 3]!; lab[4] = paletteLab[label * 3 + 1]!; lab[5] = paletteLab[label * 3 + 2]!;
      } else {
        oklab100(lin, other[o]!, other[o + 1]!, other[o + 2]!, lab, 3);
      }
      d = Math.hypot(lab[0]! - lab[3]!, lab[1]! - lab[4]!, lab[2]! - lab[5]!);
    }
    deltas[n++] = d;
    sum += d;
  }
  if (n === 0) throw allTransparent(pixels);
  const mse = squared / (3 * n);
  const sorted = deltas.subarray(0, n).sort();
  return {
    psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse),
    mse,
    deltaE: { mean: sum / n, p95: sorted[Math.ceil(0.95 * n) - 1]!, max: sorted[n - 1]! },
    pixels: n,
  };
}
