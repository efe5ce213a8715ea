/**
 * One segmentImageData job as the browser's Worker runs it: the kernel run on a tier, and the summary
 * sent back as plain data (it crosses threads) with its two big arrays transferable.
 */
import { chooseKernel, threadsHere, type Tier, type TierChoice } from './tiers.js';
import { fitKMeans } from '../core/kmeans.js';
import { paintedRGBA } from '../core/result.js';
import type { Progress, ResolvedOptions } from '../core/options.js';
import type { KMeansResult, RGBAImage } from '../types.js';
import type { RegionData } from '../core/regions.js';

/** The summary as it leaves the job: plain data (it crosses threads), the two big arrays transferable. */
export interface JobResult extends Omit<KMeansResult, 'backend' | 'toRGBA' | 'toRGB' | 'regions'> {
  /** Which tier ran: 'wasm-threads' (SIMD on a thread pool; small jobs still run each pass on one thread), 'wasm' (SIMD, one thread) or 'js'. */
  backend: Tier;
  /** The segmented pixels, alpha kept. */
  rgba: Uint8ClampedArray;
  /** The regions as plain data, when the options asked for them; the page makes regions() of them. */
  regionData: RegionData | null;
}

/** Page to job worker. The pixels are a private copy, transferred; the module is shared, not recompiled. */
export interface JobRequest {
  image: RGBAImage;
  /** Resolved on the page; functions and the signal stay there (they cannot cross threads). */
  options: Omit<ResolvedOptions, 'onProgress' | 'signal'>;
  module?: WebAssembly.Module;
  /** Why compiling the kernel failed, when it did: 'auto' then runs the TS twin, 'wasm' reports it. */
  loadError?: string;
  /** Post a progress message after every pass. */
  progress: boolean;
}

export type JobReply =
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; result: JobResult }
  | { type: 'error'; error: { name: string; message: string; code?: string } };

/** The job on the chosen tier, its result made plain: the segmented pixels rendered once, here, as RGBA. */
export function runJob(image: RGBAImage, options: ResolvedOptions, choice: TierChoice): JobResult {
  const unpainted = fitKMeans(image, options, choice);
  const { backend: _, ...summary } = unpainted.result;
  return { ...summary, backend: choice.tier, rgba: paintedRGBA(unpainted), regionData: unpainted.regions };
}

/**
 * The best tier for the job's options on this thread (tiers.ts), chosen alike by the worker and by
 * the calling thread. One module for both steps: the calling thread loads it as one chunk.
 */
export function chooseTier(options: Pick<ResolvedOptions, 'backend' | 'threads'>, module: WebAssembly.Module | undefined, loadError: string | undefined): Promise<TierChoice> {
  return chooseKernel(options.backend, module, threadsHere(options.threads), loadError);
}
