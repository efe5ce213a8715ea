/**
 * The K-means driver on pixels in memory: options, points (pixels or the colour histogram), seeding,
 * Lloyd passes on the chosen kernel, restarts, and the result. Browser-safe; bits never depend on the kernel.
 */
import { getKernel, wasmSessionBytes, type KernelChoice } from '../kernel/select.js';
import { KMeansSegError } from '../errors.js';
import { fromSrgb } from './colorspace.js';
import { buildHistogram } from './histogram.js';
import { addPositions, histogramPoints, pixelPoints } from './points.js';
import { initRandom, initRandomColours } from './init-random.js';
import { initKMeansPlusPlus } from './seeding.js';
import type { KernelSession, Points } from '../kernel/kernel.js';
import { lloyd, type LloydResult } from './lloyd.js';
import { resolveOptions, type KMeansOptions, type ResolvedOptions } from './options.js';
import { Random } from './random.js';
import { pixelLabels, summarize, withPainters, type Unpainted } from './result.js';
import { regionsOfRun } from './regions.js';
import { offerColours } from './colour-labels.js';
import { kernelThreads } from './prepare-kernel.js';
import { ditherRun } from './dither.js';
import { finishRoi, roiRun } from './roi.js';
import { fitPoints, withReport } from './k-search.js';
import type { KMeansResult, RGBAImage } from '../types.js';
import { WASM_MAX_BYTES } from '../limits.js';
import { checkImage } from '../validate.js';

const now = (): number => performance.now();

/**
 * K-means colour segmentation of RGBA pixels in memory. Fully transparent pixels take no part.
 * Same image, options and seed give bit-identical results on every backend.
 *
 * @example
 * const result = await kmeans({ data, width, height }, { k: 8, seed: 7 });
 * result.palette[0].hex; // '#1f3a5c'
 */
export async function kmeans(image: RGBAImage, options?: KMeansOptions): Promise<KMeansResult> {
  return withPainters(await fitImage(image, options));
}

/**
 * kmeans but the painters: plain data (labels, palette, alpha, regions) that can cross threads. The
 * Node entry's job worker (node/job-worker.ts) runs this, so every option reaches the same code.
 */
export async function fitImage(image: RGBAImage, options?: KMeansOptions): Promise<Unpainted> {
  const opts = resolveOptions(options);
  checkImage(image);
  if (opts.signal?.aborted) throw new KMeansSegError('ERR_ABORTED', 'Aborted before it started: options.signal was already aborted');
  checkMemory(image, opts);
  const threads = kernelThreads(image.width * image.height, opts);
  return fitKMeans(image, opts, await getKernel(opts.backend, threads));
}

/**
 * The whole job on a kernel already chosen, for entries that choose their own.
 * Synchronous on purpose: the shared histogram table and the kernel's memory are this call's alone.
 * `image` and `opts` must have been checked (checkImage, resolveOptions).
 */
export function runKMeans(image: RGBAImage, opts: ResolvedOptions, choice: KernelChoice): KMeansResult {
  return withPainters(fitKMeans(image, opts, choice));
}

/** runKMeans but the painters: the browser's job (browser/job.ts) paints once, as RGBA, and sends plain data. */
export function fitKMeans(image: RGBAImage, opts: ResolvedOptions, choice: KernelChoice): Unpainted {
  // A roi: the same run on a copy with alpha 0 outside it, then the input's pixels painted back there (roi.ts).
  const roi = roiRun(image, opts.roi, opts.roiOutside, opts.signal);
  if (roi !== null) return finishRoi(fitKMeans(roi.image, { ...opts, roi: undefined }, choice), image, roi);
  const { kernel, threads, fallback } = choice;
  const t0 = now();
  const { data, width, height } = image;
  const pixels = width * height;
  // The wasm kernel runs the histogram's per-pixel loops too, where it can, on the run's threads.
  const hist = buildHistogram(data, pixels, kernel.histogramEngine?.(threads) ?? null);
  try {
    if (hist.opaque === 0) {
      throw new KMeansSegError('ERR_INVALID_IMAGE', `Every one of the ${pixels} pixels is fully transparent (alpha 0): there is no colour to cluster; pass an image with visible pixels`);
    }
    // Same bits either way, but several times slower: the caller should know, and why.
    const warnings: string[] = fallback === undefined ? [] : [`the wasm kernel could not run (${fallback}), so the TS kernel ran instead: same results, several times slower`];
    const spatial = opts.spatialWeight > 0;
    // With positions every pixel is a distinct point; without, every distinct colour is.
    const distinct = spatial ? hist.opaque : hist.n;
    let k = opts.k;
    if (!Array.isArray(opts.init) && distinct < k) {
      if (opts.target === undefined) warnings.push(`k reduced from ${k} to ${distinct}: the image has only ${distinct} distinct ${spatial ? 'visible pixel' : 'colour'}${distinct === 1 ? '' : 's'}`);
      k = distinct;
    }
    const useHistogram = !spatial && (opts.histogram === 'auto' ? hist.n <= hist.opaque * 0.75 : opts.histogram);
    const histPoints = histogramPoints(hist, opts.colorSpace);
    const points: Points = useHistogram ? histPoints : pixelPoints(data, pixels, hist, histPoints);
    if (spatial) addPositions(points, data, width, height, opts.spatialWeight);
    // Initial centroids are drawn from the distinct colours with their counts ('random' weights by
    // them, k-means++ too), so the pixel path and the histogram path start from the same draws;
    // spatial points are each one pixel (weight 1): drawn directly.
    const seedPoints = spatial ? points : histPoints;
    const t1 = now();

    // One K, or the smallest that meets opts.target; on a sample when opts.sample asks (core/k-search.ts).
    const found = fitPoints({ kernel, threads, image, points, seedPoints, hist, pointsAreColours: useHistogram, k, opts, warnings }, bestOfAttempts);
    const { best, threads: threadsUsed } = found;
    k = found.k;
    const t2 = now();
    const labels = pixelLabels(image, k, best.labels, useHistogram ? hist : null, hist.opaque < pixels);
    const dithered = ditherRun(image, labels, k, best.fit, opts); // null unless dither; rewrites labels
    // Before any region merge or dithering: until then a pixel's label is its colour's (see colour-labels.ts).
    if (useHistogram && dithered === null) offerColours(image, labels, { keys: hist.keys, counts: hist.counts, labels: best.labels, n: hist.n });
    const t3 = now();
    const regions = regionsOfRun(image, labels, k, opts); // null unless asked for; merging rewrites labels
    const regionTime = regions === null ? {} : { regions: now() - t3 };
    return withReport(found.report, summarize(image, k, dithered ?? best.fit, labels, opts.colorSpace, {
      regions,
      translucent: hist.translucent,
      backend: kernel.name,
      threads: threadsUsed,
      attempt: best.attempt,
      warnings,
      timings: { histogram: t1 - t0, init: best.initTime, lloyd: t2 - t1 - best.initTime, ...regionTime, total: now() - t0 },
    }));
  } finally {
    hist.release();
  }
}

export interface BestAttempt { fit: LloydResult; labels: Uint16Array; attempt: number; initTime: number }

/**
 * Every attempt on one session, seeded from one PRNG in turn; the lowest inertia is kept (the first
 * on a tie), with a copy of its point labels. `initTime` sums the seeding of all attempts.
 */
export function bestOfAttempts(session: KernelSession, points: Points, seedPoints: Points, k: number, opts: ResolvedOptions): BestAttempt {
  const rng = new Random(opts.seed);
  let best: Omit<BestAttempt, 'initTime'> | undefined;
  let initTime = 0;
  for (let attempt = 0; attempt < opts.attempts; attempt++) {
    const ti = now();
    const initial = Array.isArray(opts.init) ? Float32Array.from(opts.init.flatMap((c) => fromSrgb(opts.colorSpace, c[0]!, c[1]!, c[2]!)))
      : opts.init === 'random' ? initRandom(seedPoints, k, rng)
      : opts.init === 'random-colours' ? initRandomColours(seedPoints, k, rng)
      : initKMeansPlusPlus(seedPoints, k, rng, seedPoints === points ? session.seeding : undefined);
    initTime += now() - ti;
    session.reset();
    const fit = lloyd(session, points, initial, k, opts.maxIterations, opts.tolerance, (iteration, inertia, changed) => {
      opts.onProgress?.({ stage: 'lloyd', attempt, iteration, inertia, changed, done: iteration, total: opts.maxIterations });
      if (opts.signal?.aborted) {
        throw new KMeansSegError('ERR_ABORTED', `Aborted after pass ${iteration} of attempt ${attempt + 1}: the signal passed as options.signal was aborted`, { cause: opts.signal.reason });
      }
    });
    // The last attempt runs no more passes: its labels are taken, not copied.
    if (!best || fit.inertia < best.fit.inertia) best = { fit, labels: attempt === opts.attempts - 1 ? session.takeLabels() : session.labels.slice(), attempt };
  }
  return { ...best!, initTime };
}

/**
 * Refuse, before scanning or allocating anything, work that wasm32's 4 GiB cannot hold. Only the
 * pixel path can get there (every opaque pixel a point); the histogram has at most 2^24 colours.
 */
function checkMemory(image: RGBAImage, opts: ResolvedOptions): void {
  if (opts.backend === 'js' || (opts.histogram !== false && opts.spatialWeight === 0)) return;
  const dims = opts.spatialWeight > 0 ? 5 : 3;
  const bytes = wasmSessionBytes(image.width * image.height, dims, false);
  if (bytes > WASM_MAX_BYTES) {
    throw new KMeansSegError(
      'ERR_TOO_LARGE',
      `${image.width} x ${image.height} pixels as separate points need ${(bytes / 2 ** 30).toFixed(1)} GiB of wasm memory, above wasm32's 4 GiB: ` +
      (opts.spatialWeight > 0 ? "downscale the image, or use backend: 'js'" : "leave histogram at 'auto' (it clusters the distinct colours), downscale, or use backend: 'js'"),
    );
  }
}
