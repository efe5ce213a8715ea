/**
 * K-means on a strip path's histogram: the in-memory driver's steps for the histogram case
 * (core/kmeans.ts fitKMeans), unchanged, without the pixels. Invariant: the palette, centroids,
 * inertia and each colour's label are those of kmeans() on the whole image.
 */
import { bestOfAttempts } from '../../core/kmeans.js';
import type { Histogram } from '../../core/histogram.js';
import { fitPoints } from '../../core/k-search.js';
import type { ResolvedOptions } from '../../core/options.js';
import { histogramPoints } from '../../core/points.js';
import { kernelThreads } from '../../core/prepare-kernel.js';
import { summarize } from '../../core/result.js';
import { KMeansSegError } from '../../errors.js';
import { getKernel } from '../../kernel/select.js';
import type { KMeansResult } from '../../types.js';

/** A strip run's clustering: a result without per-pixel labels, and each distinct colour's label. */
export interface StripFit {
  result: Omit<KMeansResult, 'labels' | 'toRGB' | 'toRGBA' | 'regions'>;
  /** colourLabels[i]: the label of hist.keys[i]. */
  colourLabels: Uint16Array;
}

/**
 * Refuse, before any work, what the strip path does not do: every pixel as a point (spatialWeight,
 * histogram: false, sample), regions, a region of interest, dithering, a quality target.
 * @throws ERR_INVALID_OPTION naming the option and the fix.
 */
export function checkStripOptions(opts: ResolvedOptions): void {
  const refused: [boolean, string][] = [
    [opts.spatialWeight > 0, 'spatialWeight (every pixel a point)'],
    [opts.histogram === false, 'histogram: false (every pixel a point)'],
    [opts.sample > 0, 'sample'],
    [opts.regions || opts.minRegion > 1, 'regions and minRegion'],
    [opts.roi !== undefined, 'roi'],
    [opts.dither !== 'none', 'dither'],
    [opts.target !== undefined, "a quality target (k: 'auto')"],
  ];
  const bad = refused.filter(([on]) => on).map(([, name]) => name);
  if (bad.length > 0) {
    throw new KMeansSegError('ERR_INVALID_OPTION',
      `The strip path (strips: true, or an image above the strip threshold) does not take ${bad.join(', ')}: leave ${bad.length === 1 ? 'it' : 'them'} out, or pass strips: false (--strips false) if the image fits in memory`);
  }
}

/**
 * Cluster the histogram of a width x height image as kmeans() would (the histogram path, which
 * gives the pixel path's bits): k reduced to the distinct colours with kmeans' warning, restarts, progress.
 *
 * @throws ERR_INVALID_IMAGE when every pixel is transparent; the kernel's errors; ERR_ABORTED.
 */
export async function clusterHistogram(hist: Histogram, width: number, height: number, opts: ResolvedOptions): Promise<StripFit> {
  const t0 = performance.now();
  const pixels = width * height;
  if (hist.opaque === 0) {
    throw new KMeansSegError('ERR_INVALID_IMAGE', `Every one of the ${pixels} pixels is fully transparent (alpha 0): there is no colour to cluster; pass an image with visible pixels`);
  }
  const threads = kernelThreads(pixels, opts);
  const { kernel, fallback } = await getKernel(opts.backend, threads);
  const warnings: string[] = fallback === undefined ? [] : [`the wasm kernel could not run (${fallback}), so the TS kernel ran instead: same results, several times slower`];
  let k = opts.k;
  if (!Array.isArray(opts.init) && hist.n < k) {
    warnings.push(`k reduced from ${k} to ${hist.n}: the image has only ${hist.n} distinct colour${hist.n === 1 ? '' : 's'}`);
    k = hist.n;
  }
  const points = histogramPoints(hist, opts.colorSpace);
  // The image is only read by a quality target's figures, which the strip path refuses (checkStripOptions).
  const image = { data: new Uint8Array(4), width: 1, height: 1 };
  const t1 = performance.now();
  const found = fitPoints({ kernel, threads, image, points, seedPoints: points, hist, pointsAreColours: true, k, opts, warnings }, bestOfAttempts);
  const { best } = found;
  const t2 = performance.now();
  // summarize reads the image for its size and alpha only: both are given here.
  const { result } = summarize(image, found.k, best.fit, new Uint8Array(1), opts.colorSpace, {
    regions: null, translucent: false, backend: kernel.name, threads: found.threads, attempt: best.attempt, warnings,
    timings: { histogram: t1 - t0, init: best.initTime, lloyd: t2 - t1 - best.initTime, total: performance.now() - t0 },
  });
  const { labels: _labels, ...rest } = result;
  return { result: { ...rest, width, height, hasAlpha: hist.translucent }, colourLabels: best.labels };
}
