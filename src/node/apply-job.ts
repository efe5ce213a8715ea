// applyPalette's assignment on a job worker: the worker assigns and paints (applyJob), the calling
// thread gets plain data back and only copies the painted pixels (assignOffThread). Invariant: the
// same labels, counts and pixels as assignResolved on the calling thread (it is the same code).
import type { Progress } from '../core/options.js';
import type { Palette } from '../palette/parse.js';
import { assignResolved, type Assignment, type ResolvedApply } from '../palette/apply.js';
import type { RGBAImage } from '../types.js';
import { runOnJobWorker } from './job-pool.js';
import { ship } from './staging.js';
import type { JobOutput } from './job-worker.js';

export interface ApplyJobArgs {
  image: RGBAImage;
  palette: Palette;
  options: ResolvedApply;
}

/** The assignment without its painter, and the pixels it paints (alpha kept). */
export interface ApplyJobValue { assignment: Omit<Assignment, 'toRGBA'>; rgba: Uint8ClampedArray }

export async function applyJob(args: ApplyJobArgs, threads: number | undefined, _onProgress?: (p: Progress) => void): Promise<JobOutput> {
  const { toRGBA, ...assignment } = await assignResolved(args.image, args.palette, args.options, threads);
  const rgba = toRGBA();
  const value: ApplyJobValue = { assignment, rgba };
  return { value, transfer: [rgba.buffer as ArrayBuffer, assignment.labels.buffer as ArrayBuffer] };
}

/**
 * assignResolved on a job worker. The pixels are copied in slices to the worker's staging area;
 * toRGBA() copies the painted pixels the worker sent.
 */
export async function assignOffThread(image: RGBAImage, palette: Palette, options: ResolvedApply): Promise<Assignment> {
  const { data, width, height } = image;
  const args: ApplyJobArgs = { image: { data, width, height }, palette, options };
  const shipment = await ship(data, false, undefined, (view) => { args.image.data = view; }); // see ship: staged, as a rule
  args.image.data = shipment.pixels;
  const { assignment, rgba } = await runOnJobWorker<ApplyJobValue>({ job: 'apply', args, progress: false }, shipment.transfer, { stage: shipment.stage });
  return { ...assignment, toRGBA: () => rgba.slice() };
}
