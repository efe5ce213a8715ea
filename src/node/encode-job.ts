// A segmented image's file bytes (save(), toBuffer()) encoded on a job worker: the indexing or painting
// of every pixel runs there, the calling thread only sends the result and receives the bytes.
// Invariant: the bytes are encodeSegmented's, wherever it runs.
import { encodeSegmented, type SegmentedSource } from '../io/encode.js';
import type { OutputFormat } from '../io/output-path.js';
import type { Progress } from '../core/options.js';
import { withPainters, type Unpainted } from '../core/result.js';
import type { KMeansResult } from '../types.js';
import { runOnJobWorker } from './job-pool.js';
import { movable } from './copy-slices.js';
import type { JobOutput } from './job-worker.js';

export interface EncodeJobArgs {
  unpainted: Unpainted;
  format: OutputFormat;
  file: string;
  source: SegmentedSource;
}

export async function encodeJob(args: EncodeJobArgs, _threads?: number, _onProgress?: (p: Progress) => void): Promise<JobOutput> {
  const bytes = await encodeSegmented(withPainters(args.unpainted), args.format, args.file, args.source);
  // A copy of its own: a small Buffer can be a slice of Node's shared pool, which must not be moved.
  const own = new Uint8Array(bytes);
  return { value: own, transfer: [own.buffer] };
}

/**
 * encodeSegmented on a job worker when `unpainted` is given (the run's plain result), else here.
 * `source.original`, decoded pixels nobody else holds, is moved to the worker (it may be painted
 * over there): afterwards it is empty here, and a later call paints from the labels instead, the
 * same pixels.
 */
export async function encodeResult(unpainted: Unpainted | null, result: KMeansResult, format: OutputFormat, file: string, source: SegmentedSource): Promise<Buffer> {
  const original = source.original !== undefined && source.original.byteLength > 0 ? source.original : undefined;
  if (unpainted === null) return encodeSegmented(result, format, file, { ...source, original });
  // Only a buffer of ours moves (a copy the job worker sent back); anything else stays, and the worker paints from the labels.
  const move = original !== undefined && source.paintOver === true && movable(original);
  const args: EncodeJobArgs = { unpainted, format, file, source: { ...source, original: move ? original : undefined, paintOver: move } };
  const bytes = await runOnJobWorker<Uint8Array>({ job: 'encode', args, progress: false }, move ? [original!.buffer as ArrayBuffer] : [], {});
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
