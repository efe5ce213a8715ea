/**
 * Fitting the points at one K, or at the K a quality target asks for (k: 'auto'), with or without a
 * sample. Invariant: each K tried is a fresh run seeded from the seed, bit for bit the run `k: K`
 * would make, so the search is deterministic whatever the backend, the thread count or the K tried before.
 */
import type { Kernel, KernelSession, Points } from '../kernel/kernel.js';
import { planesOf } from '../kernel/kernel.js';
import { toSrgb } from './colorspace.js';
import type { Histogram } from './histogram.js';
import { figuresOf } from './k-figures.js';
import type { QualityTarget } from './k-search-options.js';
import type { LloydResult } from './lloyd.js';
import type { ResolvedOptions } from './options.js';
import { assignAll, samplePoints, sampleWarning, type SampleInfo } from './sample.js';
import type { PaletteEntry, RGBAImage } from '../types.js';

/** The figures of one K the search tried: the quality of its clustering (before any region merge). */
export interface KTrial {
  k: number;
  /** PSNR over RGB in dB (Infinity for an exact copy). */
  psnr: number;
  /** Mean ΔE, OKLab x 100. */
  deltaE: number;
  inertia: number;
  iterations: number;
  /** Whether this K meets the target. */
  met: boolean;
}

/** What `result.kSearch` says of a k: 'auto' run. */
export interface KSearch {
  target: QualityTarget;
  /** The bound: maxK, or fewer when the image has fewer distinct colours (points). */
  maxK: number;
  /** The K chosen: result.k. */
  k: number;
  /** Whether that K meets the target; false: even the bound misses it, and the bound is returned. */
  met: boolean;
  /** Every K tried, in the order tried. */
  tried: KTrial[];
}

/** What the driver's own attempt loop returns (kmeans.ts's bestOfAttempts). */
interface Best { fit: LloydResult; labels: Uint16Array }
type BestOf<B extends Best> = (session: KernelSession, points: Points, seedPoints: Points, k: number, opts: ResolvedOptions) => B;

export interface FitJob {
  kernel: Kernel;
  threads: number | undefined;
  image: RGBAImage;
  points: Points;
  seedPoints: Points;
  hist: Histogram;
  /** The points are the histogram's colours; else the visible pixels, in order. */
  pointsAreColours: boolean;
  k: number;
  opts: ResolvedOptions;
  warnings: string[];
}

/** The fit kept: its K, the attempt loop's best (labels over every point), and what the result reports. */
export interface Found<B extends Best> {
  k: number;
  best: B;
  threads: number;
  report: { kSearch?: KSearch; sample?: SampleInfo };
}

/**
 * The driver's fit: at job.k, or searched up to it when opts.target is set; on a sample of the
 * points when opts.sample asks for one (then one more pass assigns every point).
 */
export function fitPoints<B extends Best>(job: FitJob, bestOf: BestOf<B>): Found<B> {
  const { opts, points } = job;
  const sample = samplePoints(points, opts.sample, opts.seed);
  const sampleInfo = sample === null ? undefined : { size: sample.n, of: points.n };
  if (sampleInfo) job.warnings.push(sampleWarning(sampleInfo));
  else if (opts.sample > 0 && points.w !== null) {
    job.warnings.push(`sample ignored: the run clusters the ${points.n} distinct colours of the histogram, which is exact and already small (pass histogram: false to sample pixels)`);
  }
  let threads = 1;
  const fitAt = (k: number): B => {
    const clustered = sample ?? points;
    const session = job.kernel.open(clustered, k, job.threads);
    threads = Math.max(threads, session.threads); // the most any pass ran on
    let best: B;
    try {
      best = bestOf(session, clustered, sample !== null && job.seedPoints === points ? sample : job.seedPoints, k, opts);
    } finally {
      session.dispose();
    }
    if (sample === null) return best;
    const all = job.kernel.open(points, k, job.threads);
    threads = Math.max(threads, all.threads);
    try {
      const { labels, counts, inertia } = assignAll(all, best.fit.centroids, k, planesOf(points).length);
      return { ...best, labels, fit: { ...best.fit, counts, inertia } };
    } finally {
      all.dispose();
    }
  };
  const report = sampleInfo ? { sample: sampleInfo } : {};
  if (opts.target === undefined) return { k: job.k, best: fitAt(job.k), threads, report };
  const found = searchK(job.k, opts.target, fitAt, trialFigures(job));
  if (!found.search.met) job.warnings.push(missedWarning(found.search));
  return { k: found.k, best: found.fit, threads, report: { ...report, kSearch: found.search } };
}

/**
 * The smallest K in [1, bound] that meets `target`, found by galloping (1, 2, 4, ...) to the first
 * K that meets it, then bisecting between it and the last that missed. Quality is assumed to grow
 * with K, which K-means does not promise: the K returned is the smallest among those tried that
 * meets the target, and K - 1 was tried and missed it (or K = 1). When even the bound misses, the
 * bound is returned with met false.
 */
export function searchK<F extends Best>(
  bound: number, target: QualityTarget, fitAt: (k: number) => F, figures: (fit: F, k: number) => { psnr: number; deltaE: number },
): { k: number; fit: F; search: KSearch } {
  const tried: KTrial[] = [];
  const tryK = (k: number): { k: number; fit: F; met: boolean } => {
    const fit = fitAt(k);
    const { psnr, deltaE } = figures(fit, k);
    const met = meets(target, psnr, deltaE);
    tried.push({ k, psnr, deltaE, inertia: fit.fit.inertia, iterations: fit.fit.iterations, met });
    return { k, fit, met };
  };
  let miss = 0; // the largest K known to miss (0: none tried)
  let hit: { k: number; fit: F } | undefined;
  let last: { k: number; fit: F } | undefined;
  for (let k = 1; ; k = Math.min(bound, k * 2)) {
    const t = tryK(k);
    last = t;
    if (t.met) { hit = t; break; }
    miss = k;
    if (k === bound) break;
  }
  if (hit === undefined) return { k: bound, fit: last.fit, search: { target, maxK: bound, k: bound, met: false, tried } };
  while (hit.k - miss > 1) {
    const t = tryK(miss + ((hit.k - miss) >> 1));
    if (t.met) hit = t;
    else miss = t.k;
  }
  return { k: hit.k, fit: hit.fit, search: { target, maxK: bound, k: hit.k, met: true, tried } };
}

/** Both bounds that are given hold. */
export function meets(target: QualityTarget, psnr: number, deltaE: number): boolean {
  return (target.maxDeltaE === undefined || deltaE <= target.maxDeltaE) && (target.minPsnr === undefined || psnr >= target.minPsnr);
}

/**
 * A K's figures from its labels (figuresOf): over the distinct colours when the points are the
 * histogram's (no pass over the pixels), else over the visible pixels: the PSNR and mean ΔE that
 * qualityOf gives for the result at that K (before any region merge or dithering).
 */
function trialFigures(job: FitJob): (fit: Best, k: number) => { psnr: number; deltaE: number } {
  const figures = figuresOf(job.hist, job.pointsAreColours ? null : job.image);
  return (fit, k) => figures(fit.labels, paletteOf(fit.fit.centroids, k, job.opts.colorSpace));
}

/** The palette the result will have, as far as the figures read it (rgb, rounded and clipped as summarize does). */
function paletteOf(centroids: Float32Array, k: number, space: ResolvedOptions['colorSpace']): PaletteEntry[] {
  const dims = centroids.length / k;
  const palette: PaletteEntry[] = [];
  for (let j = 0; j < k; j++) {
    const c = centroids.subarray(j * dims, j * dims + 3);
    const rgb = toSrgb(space, c[0]!, c[1]!, c[2]!).map((v) => Math.min(255, Math.max(0, Math.round(v)))) as [number, number, number];
    palette.push({ rgb, hex: '', count: 0, share: 0 });
  }
  return palette;
}

function missedWarning(search: KSearch): string {
  const best = search.tried.at(-1)!;
  const wanted = [search.target.maxDeltaE !== undefined && `mean ΔE <= ${search.target.maxDeltaE}`, search.target.minPsnr !== undefined && `PSNR >= ${search.target.minPsnr} dB`].filter(Boolean).join(' and ');
  return `quality target missed: even K = ${search.maxK}, the bound, gives mean ΔE ${best.deltaE.toFixed(2)} and PSNR ${best.psnr.toFixed(2)} dB, ` +
    `not ${wanted}: raise maxK (-k on the command line) or relax the target; the result is at K = ${search.maxK}`;
}

/** The result with what the fit reports: kSearch and sample, each only when it happened. */
export function withReport<U extends { result: object }>(report: Found<Best>['report'], unpainted: U): U {
  Object.assign(unpainted.result, report);
  return unpainted;
}
