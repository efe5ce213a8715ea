// segment() on a file path, read and decoded on the job worker that clusters it: the pixels are born
// where they are used, so the calling thread neither copies them (48 MB for a 12 MP photo) nor holds
// them, and the worker's kernel starts while the file decodes (a first call's worker boots beside
// it). Invariant: the same decode and fitImage as on the calling thread, so the same errors and bits.
import { fitImage } from '../core/kmeans.js';
import { resolveOptions, type KMeansOptions, type Progress } from '../core/options.js';
import type { Unpainted } from '../core/result.js';
import { decodeImage } from '../io/decode.js';
import { crossingOptions } from './job-protocol.js';
import { runOnJobWorker } from './job-pool.js';
import { unpaintedBuffers } from './kmeans-job.js';
import type { JobOutput } from './job-worker.js';
import type { KMeansRun } from './kmeans.js';
import type { LoadedInput } from '../io/load-input.js';

export interface FileJobArgs {
  file: string;
  limitInputPixels: number | false;
  /** The caller's options but what cannot cross threads (see crossingOptions). */
  options: KMeansOptions;
}

export interface FileJobValue {
  unpainted: Unpainted;
  /** What decoding had to say (frames left out, say). */
  warnings: string[];
  /** Milliseconds the read and decode took on the worker. */
  decode: number;
}

export async function fileJob(args: FileJobArgs, threads: number | undefined, onProgress: ((p: Progress) => void) | undefined, signal: AbortSignal | undefined): Promise<JobOutput> {
  const t0 = performance.now();
  const options = { ...args.options, threads: args.options.threads ?? threads };
  const resolved = resolveOptions(options);
  const image = await decodeImage(args.file, { limitInputPixels: args.limitInputPixels, kernel: resolved });
  const decode = performance.now() - t0;
  const unpainted = await fitImage(image, { ...options, onProgress, signal });
  const value: FileJobValue = { unpainted, warnings: image.warnings, decode };
  return { value, transfer: unpaintedBuffers(unpainted) };
}

/** What segment() knows of a path before the worker has read it: its name (the pixels stay on the worker). */
export function pathInput(file: string): LoadedInput {
  return { image: { data: new Uint8Array(0), width: 0, height: 0 }, name: file, inputPath: file, warnings: [], decoded: false };
}

/**
 * Read, decode and cluster the image file `file` on a job worker (see fileJob), for segment(): its
 * run, with no pixels (they stayed on the worker: an encode paints from the labels, the same bytes),
 * the decode's warnings and milliseconds. `options` must have been checked, and its roi loaded.
 * @throws the errors of decodeImage and kmeans with the codes and messages the calling thread would
 *   throw; ERR_ABORTED as soon as `signal` aborts.
 */
export async function clusterFile(file: string, limitInputPixels: number | false, options: KMeansOptions): Promise<KMeansRun> {
  const { onProgress, signal } = options;
  const args: FileJobArgs = { file, limitInputPixels, options: crossingOptions(options) as KMeansOptions };
  const value = await runOnJobWorker<FileJobValue>({ job: 'file', args, progress: onProgress !== undefined }, [], { onProgress, signal });
  const { width, height } = value.unpainted.result;
  return { unpainted: value.unpainted, image: { data: new Uint8Array(0), width, height }, file: { warnings: value.warnings, decode: value.decode } };
}
