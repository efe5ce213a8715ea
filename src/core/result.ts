/**
 * A run's result from its fit: per-pixel labels and the KMeansResult around them. Invariant: the
 * caller's pixels are never kept or mutated; the alpha is copied only when it carries something.
 */
import { toSrgb, type ColorSpace } from './colorspace.js';
import { labelPixels, type Histogram } from './histogram.js';
import type { LloydResult } from './lloyd.js';
import { alphaOf, hasAlpha, hexOf, paintRGB, paintRGBA } from './paint.js';
import type { KMeansResult, Labels, PaletteEntry, RGBAImage } from '../types.js';
import { regionsMethod } from './region-list.js';
import { STATS, type RegionData } from './region-list.js';
import { keepOutside, paintOutside, type KeptOutside } from './roi.js';

export interface RunInfo {
  backend: 'wasm' | 'js';
  threads: number;
  attempt: number;
  warnings: string[];
  timings: KMeansResult['timings'];
  /** Whether some pixel's alpha is below 255, when the caller knows already (the histogram does): spares a scan. */
  translucent?: boolean;
  /** The regions, when the run computed them (regionsOfRun); merging has rewritten the labels already. */
  regions: RegionData | null;
}

/**
 * Per-pixel labels from point labels. Over the histogram a pixel's label is its colour's; over pixels
 * the points are the opaque pixels in order. Fully transparent pixels get `k`.
 */
export function pixelLabels(
  image: RGBAImage, k: number, pointLabels: Uint16Array, hist: Histogram | null, hasTransparent: boolean,
): Labels {
  const pixels = image.width * image.height;
  const data = image.data;
  const labelCount = k + (hasTransparent ? 1 : 0);
  // Only k = 65536 with transparent pixels needs 32 bits (the transparent label is 65536).
  const labels = labelCount <= 256 ? new Uint8Array(pixels) : labelCount <= 65536 ? new Uint16Array(pixels) : new Uint32Array(pixels);
  if (hist) {
    labelPixels(data, pixels, hist, pointLabels, k, labels);
    return labels;
  }
  for (let p = 0, o = 0, i = 0; p < pixels; p++, o += 4) labels[p] = data[o + 3] === 0 ? k : pointLabels[i++]!;
  return labels;
}

/**
 * A result before its painters: all of KMeansResult but toRGB and toRGBA, and the alpha they paint
 * with (null when every pixel is opaque). The browser's job paints it once, as RGBA (paintedRGBA),
 * so the browser's bundles carry no RGB painter.
 */
export interface Unpainted {
  result: Omit<KMeansResult, 'toRGB' | 'toRGBA' | 'regions'>;
  alpha: Uint8Array | null;
  /** Plain data, made into result.regions() by regionsMethod. */
  regions: RegionData | null;
  /** With roiOutside 'keep': the input's pixels outside the roi, painted back there (core/roi.ts). */
  roi?: KeptOutside;
}

/** The result of a fit but its painters: palette, labels, centroids and statistics. */
export function summarize(
  image: RGBAImage, k: number, fit: LloydResult, labels: Labels, space: ColorSpace, info: RunInfo,
): Unpainted {
  // Merged regions took their neighbour's label: the palette counts what the labels now say.
  const counts = info.regions !== null && info.regions.merged > 0 ? clusterAreas(info.regions, k) : fit.counts;
  const total = counts.reduce((a, b) => a + b, 0);
  const dims = fit.centroids.length / k; // 3, or 5 with positions
  const centroids: number[][] = [];
  const palette: PaletteEntry[] = [];
  for (let j = 0; j < k; j++) {
    const c = Array.from(fit.centroids.subarray(j * dims, j * dims + dims));
    centroids.push(c);
    // Clipped to the sRGB gamut: a Lab or OKLab mean can fall just outside it.
    const rgb = toSrgb(space, c[0]!, c[1]!, c[2]!).map((v) => Math.min(255, Math.max(0, Math.round(v)))) as [number, number, number];
    const count = counts[j]!;
    palette.push({ rgb, hex: hexOf(rgb), count, share: total > 0 ? count / total : 0 });
  }
  // Keep the alpha channel only when it carries something; the caller's buffer is never kept or mutated.
  const { width, height } = image;
  const pixels = width * height;
  const alpha = (info.translucent ?? hasAlpha(image.data, pixels)) ? alphaOf(image.data, pixels) : null;
  const result = {
    width, height, k, palette, labels, centroids, colorSpace: space,
    inertia: fit.inertia, iterations: fit.iterations, converged: fit.converged, history: fit.history,
    warnings: info.warnings, backend: info.backend, threads: info.threads, attempt: info.attempt, timings: info.timings,
    hasAlpha: alpha !== null,
    minRegion: info.regions?.minRegion ?? 0, mergedRegions: info.regions?.merged ?? 0,
  };
  return { result, alpha, regions: info.regions };
}

function clusterAreas(regions: RegionData, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (let i = 0; i < regions.count; i++) counts[regions.cluster[i]!]! += regions.stats[i * STATS]!;
  return counts;
}

/** The segmented image, alpha kept: what toRGBA() returns, a new array each call. */
export function paintedRGBA({ result, alpha, roi }: Unpainted): Uint8ClampedArray {
  const out = new Uint8ClampedArray(result.width * result.height * 4);
  paintRGBA(new Uint8Array(out.buffer), result.labels, result.palette, result.k, alpha);
  if (roi) paintOutside(out, 4, roi);
  return out;
}

/** The public result of a fit: the summary and its two painters. */
export function withPainters(unpainted: Unpainted): KMeansResult {
  const { result } = unpainted;
  if (unpainted.roi) keepOutside(result.labels, unpainted.roi); // for paintOver, which gets the result alone
  return {
    ...result,
    toRGB() {
      const out = new Uint8ClampedArray(result.width * result.height * 3);
      paintRGB(new Uint8Array(out.buffer), result.labels, result.palette);
      if (unpainted.roi) paintOutside(out, 3, unpainted.roi);
      return out;
    },
    toRGBA() {
      return paintedRGBA(unpainted);
    },
    regions: regionsMethod(unpainted.regions, result.k),
  };
}
