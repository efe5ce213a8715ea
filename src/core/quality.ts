/**
 * How close a segmented image is to its original: PSNR over RGB and ΔE in OKLab. Invariant: only the
 * pixels with alpha > 0 in the original are compared, and alpha itself never is.
 */
import { linearToOklab, srgbToLinear } from './colorspace.js';
import { KMeansSegError } from '../errors.js';
import { buildHistogram, pixelWords, slotOf } from './histogram.js';
import type { KMeansResult, Labels, RGBAImage } from '../types.js';
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
  // The palette's OKLab values once, not per pixel.
  const lin = linear();
  const paletteLab = new Float64Array(result.palette.length * 3);
  result.palette.forEach((p, j) => oklab100(lin, p.rgb[0], p.rgb[1], p.rgb[2], paletteLab, j * 3));
  // Without positions a pixel's label is a function of its colour: the figures are then sums over the
  // distinct colours weighted by their counts, far fewer than the pixels of a photo.
  if (result.centroids[0]?.length === 3) return compareByColour(original, result, paletteLab);
  return compare(original, result.toRGBA(), paletteLab, result.labels, result.k);
}

function compareByColour(original: RGBAImage, result: KMeansResult, paletteLab: Float64Array): Quality {
  const pixels = original.width * original.height;
  const hist = buildHistogram(original.data, pixels);
  try {
    if (hist.opaque === 0) {
      throw new KMeansSegError('ERR_INVALID_IMAGE', `Every one of the ${pixels} pixels of the original is fully transparent (alpha 0): there is nothing to compare`);
    }
    const colourLabel = new Uint32Array(hist.n);
    const words = pixelWords(original.data, pixels);
    for (let p = 0; p < pixels; p++) {
      const v = words[p]!;
      if (v >>> 24 !== 0) colourLabel[hist.table[slotOf(v & 0xffffff)]!] = result.labels[p]!;
    }
    const lin = linear();
    const lab = new Float64Array(3);
    const deltas = new Float64Array(hist.n);
    let squared = 0;
    let sum = 0;
    let max = 0;
    for (let i = 0; i < hist.n; i++) {
      const key = hist.keys[i]!, w = hist.counts[i]!, j = colourLabel[i]!;
      const r = key & 255, g = (key >>> 8) & 255, b = key >>> 16;
      const [pr, pg, pb] = result.palette[j]!.rgb;
      squared += ((r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2) * w;
      oklab100(lin, r, g, b, lab, 0);
      const d = Math.hypot(lab[0]! - paletteLab[j * 3]!, lab[1]! - paletteLab[j * 3 + 1]!, lab[2]! - paletteLab[j * 3 + 2]!);
      deltas[i] = d;
      sum += d * w;
      if (d > max) max = d;
    }
    const p95 = weightedRank(deltas, hist.counts, Math.ceil(0.95 * hist.opaque));
    const n = hist.opaque;
    const mse = squared / (3 * n);
    return { psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), mse, deltaE: { mean: sum / n, p95, max }, pixels: n };
  } finally {
    hist.release();
  }
}

/**
 * Weighted nearest rank: the smallest value v such that the weights of the values <= v add up to at
 * least `rank`. A binary search over the sorted values (a native numeric sort, no comparator and no
 * index array), each step one pass over the weights: small and quick for a few million values.
 */
function weightedRank(values: Float64Array, weights: Uint32Array, rank: number): number {
  const sorted = values.slice().sort();
  let lo = 0, hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    let below = 0;
    for (let i = 0; i < values.length; i++) if (values[i]! <= v) below += weights[i]!;
    if (below >= rank) hi = mid; else lo = mid + 1;
  }
  return sorted[lo]!;
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
  if (n === 0) {
    throw new KMeansSegError('ERR_INVALID_IMAGE', `Every one of the ${pixels} pixels of the original is fully transparent (alpha 0): there is nothing to compare`);
  }
  const mse = squared / (3 * n);
  const sorted = deltas.subarray(0, n).sort();
  return {
    psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse),
    mse,
    deltaE: { mean: sum / n, p95: sorted[Math.ceil(0.95 * n) - 1]!, max: sorted[n - 1]! },
    pixels: n,
  };
}
