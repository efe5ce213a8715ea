// One worker of a batch (started by scheduler.ts): one file at a time, segmented (or painted with the
// palette) on this thread alone, saved atomically, answered with a summary or the error. Invariant: it
// gives a file up only at a checkpoint (between stages, after every pass), never inside a sharp call.
import { parentPort, workerData } from 'node:worker_threads';
import { KMeansSegError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { loadSharp } from '../io/sharp.js';
import { prepareKernel } from '../core/prepare-kernel.js';
import { segment, type SegmentOptions } from '../segment.js';
import { printable, quote } from '../validate.js';
import type { BatchFileSummary, WorkerData, WorkerFree, WorkerJob, WorkerReply } from './messages.js';
import { recordFileOf, recordText } from './record.js';

// The host asks for a stop through a shared flag read at checkpoints rather than by terminating the
// worker: terminating a worker during a native call (sharp) can take the whole process down.
const { stop, options, palette, recipe } = workerData as WorkerData;
const stopped = (): boolean => Atomics.load(stop, 0) !== 0;

// The kernel (its wasm compiles off this thread) and sharp load while the first file is read, rather
// than one after the other inside it. Every file here runs on one thread: that kernel.
prepareKernel(options.backend ?? 'auto', 1);
loadSharp().catch(() => undefined); // decodeImage reports a failure, file by file
// Only a palette batch loads applyPalette's modules: a clustering worker starts 5 ms sooner without them.
const applyModule = palette ? import('../palette/apply.js') : undefined;
applyModule?.catch(() => undefined); // a failed load fails each file, where it is awaited

class Stopped extends Error {}

/** Files up to this size (4 MP, 16 MB of RGBA) may overlap the next file (WorkerJob.freeEarly): a second image in memory costs little. */
const EARLY_FREE_PIXELS = 1 << 22;

async function run(job: WorkerJob): Promise<WorkerReply> {
  const t0 = performance.now();
  try {
    if (stopped()) throw new Stopped();
    let summary: BatchFileSummary;
    let save: (out: string, o: { force: boolean }) => Promise<void>;
    if (palette) {
      const { colorSpace, backend, limitInputPixels, dither, serpentine, ditherStrength, roi, roiOutside } = options;
      const { applyPalette } = await applyModule!;
      const r = await applyPalette(job.input, palette, { colorSpace, backend, limitInputPixels, threads: 1, dither, serpentine, ditherStrength, roi, roiOutside });
      summary = { width: r.width, height: r.height, k: r.k, palette: shares(r.palette), warnings: r.warnings };
      save = r.save;
    } else {
      const segmentOptions: SegmentOptions = {
        ...(options as SegmentOptions),
        threads: 1, // the batch's parallelism is one file per core
        onProgress: () => { if (stopped()) throw new Stopped(); },
      };
      const r = await segment(job.input, segmentOptions);
      summary = {
        width: r.width, height: r.height, k: r.k, iterations: r.iterations, converged: r.converged,
        palette: shares(r.palette), warnings: r.warnings,
      };
      save = r.save;
    }
    // Small files let the next one start while they are saved: the saves wait on fsync, not the CPU.
    if (job.freeEarly === true && summary.width * summary.height <= EARLY_FREE_PIXELS) parentPort!.postMessage({ id: job.id, free: true } satisfies WorkerFree);
    if (stopped()) throw new Stopped();
    await save(job.output, { force: job.force });
    await record(job, summary.warnings);
    return { id: job.id, status: 'done', ms: performance.now() - t0, ...summary };
  } catch (error) {
    // kmeans wraps nothing thrown by onProgress; the stop may also surface as the core's ERR_ABORTED.
    if (error instanceof Stopped || stopped()) return { id: job.id, status: 'cancelled', ms: performance.now() - t0 };
    const code = error instanceof KMeansSegError ? error.code : null;
    const message = error instanceof Error ? error.message : String(error);
    return { id: job.id, status: 'failed', ms: performance.now() - t0, error: { code, message: message.replace(/\s*\n\s*/g, ' ') } };
  }
}

/**
 * Write the output's record (after the output: a kill in between leaves an old or no record, which a
 * rerun takes as other settings or as unknown, never as these). A failure is a warning, not a failure.
 */
async function record(job: WorkerJob, warnings: string[]): Promise<void> {
  try {
    await writeFileAtomic(recordFileOf(job.output), recordText(job.output, job.input, recipe));
  } catch (error) {
    warnings.push(`the settings that made ${quote(job.output)} could not be recorded (${printable((error as Error).message.replace(/\s*\n\s*/g, ' '))}): a rerun will skip it without checking them`);
  }
}

const shares = (p: { hex: string; share: number }[]) => p.map(({ hex, share }) => ({ hex, share }));

parentPort!.on('message', (job: WorkerJob) => {
  void run(job).then((reply) => parentPort!.postMessage(reply));
});
