// The kmeans job as a job worker runs it (job-worker.ts): the core's fitImage on this thread's kernel,
// its result sent back as plain data with the big arrays transferred. Invariant: the same options and
// pixels give the same bits here as on the calling thread (it is the same code).
import { fitImage } from '../core/kmeans.js';
import type { KMeansOptions, Progress } from '../core/options.js';
import { qualityOf, type Quality } from '../core/quality.js';
import { withPainters, type Unpainted } from '../core/result.js';
import type { RGBAImage } from '../types.js';
import type { JobOutput } from './job-worker.js';
import { getKernel } from '../kernel/select.js';
import { WasmKernel } from '../kernel/wasm/wasm-kernel.js';
import { STAGING_MAX_BYTES, type KernelInput } from './staging.js';

export interface KMeansJobArgs {
  /** The pixels: a view of this worker's staging area or of the caller's shared memory (read only, never kept: see staging.ts), or a moved buffer (see giveBack). */
  image: RGBAImage;
  /** The caller's options but what cannot cross threads (see crossingOptions). */
  options: KMeansOptions;
  /** Also measure the result against the image (sweep), here rather than on the calling thread. */
  quality: boolean;
  /** Send the pixels back (transferred), for a caller that still needs them (segment's encoding). */
  giveBack: boolean;
  /** The pixels are in this worker's kernel input area (the caller adopted its offer): read them there, in place. */
  inKernel?: boolean;
}

export interface KMeansJobValue {
  unpainted: Unpainted;
  quality?: Quality;
  pixels?: RGBAImage['data'];
}

export async function kmeansJob(args: KMeansJobArgs, threads: number | undefined, onProgress: ((p: Progress) => void) | undefined, signal: AbortSignal | undefined): Promise<JobOutput> {
  const { options } = args;
  // The kernel fitImage takes (memoized per thread); its errors are fitImage's to report, in order.
  const kernel = options.backend === 'js' ? undefined : (await getKernel(options.backend ?? 'auto').catch(() => undefined))?.kernel;
  const wasm = kernel instanceof WasmKernel ? kernel : undefined;
  // The view the caller filled is a SharedArrayBuffer of its own: the same bytes as this memory's, but
  // the kernel reads in place only through its own memory's buffer.
  const image = args.inKernel && wasm ? { ...args.image, data: new Uint8Array(wasm.memory.buffer, args.image.data.byteOffset, args.image.data.length) } : args.image;
  const unpainted = await fitImage(image, { ...options, threads: options.threads ?? threads, onProgress, signal });
  const value: KMeansJobValue = { unpainted };
  if (args.quality) value.quality = qualityOf(image, withPainters(unpainted));
  if (args.giveBack) value.pixels = image.data;
  return { value, transfer: unpaintedBuffers(unpainted, args.giveBack ? [image.data.buffer as ArrayBuffer] : []) };
}

export interface InputJobArgs { bytes: number; backend?: KMeansOptions['backend'] }

/**
 * The 'input' job, asked before a kmeans job is staged (kmeans.ts): this worker's kernel input area
 * with room for `bytes` (reserved now, between runs: sessions then start past it), for the caller to
 * write the pixels into; null where the kernel has no histogram engine (the TS backend, a plain
 * memory) or the image is above what a staging area keeps.
 */
export async function inputJob(args: InputJobArgs): Promise<JobOutput> {
  const kernel = args.bytes > STAGING_MAX_BYTES || args.backend === 'js' ? undefined : (await getKernel(args.backend ?? 'auto').catch(() => undefined))?.kernel;
  const area = kernel instanceof WasmKernel ? kernel.histogramEngine()?.inputArea(args.bytes) : undefined;
  const value: KernelInput | null = area ? { buffer: area.buffer as SharedArrayBuffer, offset: area.byteOffset, bytes: area.byteLength } : null;
  return { value, transfer: [] };
}

/** The result's big arrays, each buffer once: transferred, not copied. */
export function unpaintedBuffers(u: Unpainted, extra: ArrayBuffer[] = []): ArrayBuffer[] {
  const r = u.regions;
  const arrays = [u.result.labels, u.alpha, ...(r === null ? [] : [r.runs.x0, r.runs.x1, r.runs.region, r.runs.rowStart, r.cluster, r.bbox, r.stats])];
  const set = new Set<ArrayBuffer>(extra);
  for (const a of arrays) if (a !== null && a.buffer instanceof ArrayBuffer) set.add(a.buffer);
  return [...set];
}
