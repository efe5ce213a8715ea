// Node's kmeans(): the core's run, on a job worker by default (job-pool.ts) so the calling thread's
// event loop never waits for it, or on the calling thread with worker: false. Invariant: both give
// the same bits, errors and progress; only where the work runs differs.
import { isMainThread } from 'node:worker_threads';
import { fitImage } from '../core/kmeans.js';
import { resolveOptions, type KMeansOptions } from '../core/options.js';
import { qualityOf, type Quality } from '../core/quality.js';
import { withPainters, type Unpainted } from '../core/result.js';
import type { KMeansResult, RGBAImage } from '../types.js';
import { checkImage, invalidOption } from '../validate.js';
import { crossingOptions } from './job-protocol.js';
import { abortError, runOnJobWorker, type AskWorker } from './job-pool.js';
import type { InputJobArgs, KMeansJobArgs, KMeansJobValue } from './kmeans-job.js';
import { markOwn } from './copy-slices.js';
import { ship, STAGING_MAX_BYTES, type KernelInput, type Staging } from './staging.js';

/** Options of the Node entry beyond the core's: where the work runs. */
export interface WorkerOption {
  /**
   * Run on a job worker thread (true) so the event loop stays free, progress arrives while it runs
   * and `signal` aborts at once; or on the calling thread (false), which it blocks until done (scripts,
   * or code already on a worker). Results are identical. Default: true on the main thread, false on a worker thread.
   */
  worker?: boolean;
}

export type NodeKMeansOptions = KMeansOptions & WorkerOption;

/** The Node-only option names, let through the core's check of names. */
export const WORKER_OPTIONS = ['worker'] as const;

/** The worker option, checked. @throws ERR_INVALID_OPTION unless true, false or undefined. */
export function resolveWorker(worker: unknown): boolean {
  if (worker === undefined) return isMainThread;
  if (typeof worker !== 'boolean') throw invalidOption('worker', 'true or false', worker, 'false runs on the calling thread');
  return worker;
}

/**
 * K-means colour segmentation of RGBA pixels in memory (see the core's kmeans), run on a job worker
 * unless `worker: false`. The caller's pixels are copied once, never detached or changed.
 *
 * @throws {KMeansSegError} those of the core's kmeans; ERR_ABORTED (cause: the signal's reason) as
 *   soon as `signal` aborts; ERR_BACKEND when the job worker dies.
 * @example
 * const result = await kmeans({ data, width, height }, { k: 8, seed: 7, signal: AbortSignal.timeout(5000) });
 */
export async function kmeans(image: RGBAImage, options?: NodeKMeansOptions): Promise<KMeansResult> {
  return withPainters((await runKMeans(image, options, { own: false, quality: false })).unpainted);
}

export interface RunKMeansOptions {
  /** The pixels are the caller's alone (decoded by it): the worker's copy comes back to replace them. */
  own: boolean;
  /** Measure the result against the image too (sweep). */
  quality: boolean;
}

export interface KMeansRun {
  unpainted: Unpainted;
  quality?: Quality;
  /** The image, whose pixels may be a new array when they were moved (own): use it, not the one passed. */
  image: RGBAImage;
  /** When the job worker read the file too (node/file-job.ts): the decode's warnings and milliseconds. */
  file?: { warnings: string[]; decode: number };
}

/** kmeans for the file fronts (segment, sweep): the plain result, on a worker or here. */
export async function runKMeans(image: RGBAImage, options: NodeKMeansOptions | undefined, how: RunKMeansOptions): Promise<KMeansRun> {
  const opts = resolveOptions(options, WORKER_OPTIONS);
  const worker = resolveWorker(options?.worker);
  checkImage(image);
  const { signal, onProgress } = opts;
  if (signal?.aborted) throw abortError(signal, 'before it started');
  const coreOptions = { ...(options ?? {}) };
  delete (coreOptions as WorkerOption).worker;
  if (!worker) {
    const unpainted = await fitImage(image, coreOptions);
    return { unpainted, image, quality: how.quality ? qualityOf(image, withPainters(unpainted)) : undefined };
  }
  const { data, width, height } = image;
  // Into the worker's staging area, or moved when ours (see ship); pixels that moved come back with
  // the result when the caller owns them (decoded), to be moved again next time (sweep's next K).
  const args: KMeansJobArgs = { image: { data, width, height }, options: crossingOptions(coreOptions) as KMeansOptions, quality: how.quality, giveBack: false };
  const shipment = await ship(data, how.own, signal, (view) => { args.image.data = view; });
  args.image.data = shipment.pixels;
  args.giveBack = how.own && shipment.moved;
  const stage = shipment.stage && (async (s: Staging, ask: AskWorker) => {
    await intoKernel(s, ask, data.byteLength, coreOptions.backend);
    await shipment.stage!(s);
    args.inKernel = s.inKernel(args.image.data);
  });
  const value = await runOnJobWorker<KMeansJobValue>({ job: 'kmeans', args, progress: onProgress !== undefined }, shipment.transfer, { onProgress, signal, stage });
  if (value.pixels !== undefined) markOwn(value.pixels);
  const back = value.pixels === undefined ? image : { data: value.pixels, width, height };
  return { unpainted: value.unpainted, quality: value.quality, image: back };
}

/**
 * Make the worker's area its kernel's input area where it does not hold `bytes` yet: the pixels then
 * land where the worker's histogram counts and labels them in place (one copy, not three), and no
 * second image-sized buffer is kept for them. Asked once per growth; a worker with no such area (the
 * TS backend) is asked no more.
 */
async function intoKernel(s: Staging, ask: AskWorker, bytes: number, backend: KMeansOptions['backend']): Promise<void> {
  if (backend === 'js' || s.kernelRoom === null || (s.kernelRoom ?? 0) >= bytes || bytes > STAGING_MAX_BYTES) return;
  const input = await ask({ job: 'input', args: { bytes, backend } satisfies InputJobArgs, progress: false }) as KernelInput | null;
  if (input === null) s.refuse();
  else s.adopt(input);
}
