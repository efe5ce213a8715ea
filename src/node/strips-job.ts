// segmentStrips() of the Node entry: the strip path (io/strips/api.ts) on a job worker by default, as
// kmeans() and segment() run, so its passes over a huge file and its clustering never hold the calling
// thread's event loop; `worker: false` runs it here. Invariant: the same files and run either way
// (it is the same code); only where it runs differs.
import type { Progress } from '../core/options.js';
import { segmentStrips as segmentStripsHere, type SegmentStripsOptions, type StripOutputs, type StripRun } from '../io/strips/api.js';
import { crossingOptions } from './job-protocol.js';
import { runOnJobWorker } from './job-pool.js';
import type { JobOutput } from './job-worker.js';
import { resolveWorker, type WorkerOption } from './kmeans.js';

export interface StripsJobArgs { input: string; outputs: StripOutputs; options: SegmentStripsOptions }

/** The job as a job worker runs it: the strip path on this thread, its run sent back as plain data. */
export async function stripsJob(args: StripsJobArgs, threads: number | undefined, onProgress: ((p: Progress) => void) | undefined, signal: AbortSignal | undefined): Promise<JobOutput> {
  const { input, outputs, options } = args;
  const value = await segmentStripsHere(input, outputs, { ...options, threads: options.threads ?? threads, onProgress, signal });
  return { value, transfer: [value.colourLabels.buffer as ArrayBuffer] };
}

/**
 * Segment the image file `input` strip by strip and write `outputs` (see io/strips/api.ts), on a job
 * worker unless `worker: false`. An abort rejects at once with ERR_ABORTED; the worker stops at the
 * next strip and removes its temporary files.
 *
 * @example
 * const run = await segmentStrips('mosaic.png', { output: 'mosaic-16.png', labels: 'labels.png' }, { k: 16, limitInputPixels: false });
 */
export async function segmentStrips(input: string, outputs: StripOutputs, options: SegmentStripsOptions & WorkerOption = {}): Promise<StripRun> {
  // Anything but an options object gets its typed error from the strip path itself, here.
  if (options === null || typeof options !== 'object') return segmentStripsHere(input, outputs, options);
  const { worker, ...rest } = options;
  if (!resolveWorker(worker)) return segmentStripsHere(input, outputs, rest);
  const { onProgress, signal } = rest;
  const args: StripsJobArgs = { input, outputs, options: crossingOptions(rest) as SegmentStripsOptions };
  return runOnJobWorker<StripRun>({ job: 'strips', args, progress: onProgress !== undefined }, [], { onProgress, signal });
}
