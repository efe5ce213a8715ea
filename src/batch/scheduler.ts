// The worker pool of a batch: one file clustered per worker at a time (a small one's save may overlap
// the next), a dead worker replaced, and a stop that gives running files a grace period. Invariant:
// every file handed to run() is reported exactly once, unless onFile throws: then the batch stops and
// run() rejects with that error.
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { removeStaleTemporaryFiles, removeTemporaryFiles } from '../io/atomic-write.js';
import { firstLine } from '../io/error-text.js';
import { loadSharp } from '../io/sharp.js';
import type { Palette } from '../palette/parse.js';
import type { SegmentOptions } from '../segment.js';
import { startBatchWorker } from './exec-argv.js';
import { batchWorkerUrl } from './worker-url.js';
import { recordFileOf, recordFolderOf } from './record.js';
import type { FileOutcome, WorkerData, WorkerFree, WorkerJob, WorkerReply } from './messages.js';

export interface PoolSettings {
  /** Every file of the batch, by id; the pool runs the ids it is given. */
  files: readonly { input: string; output: string }[];
  /** Workers to start (each replaced when it dies, see onExit). */
  workers: number;
  force: boolean;
  signal: AbortSignal | undefined;
  /** After the signal, how long running files get to reach a checkpoint before their workers are terminated. */
  stopGraceMs: number;
  /** What each worker passes to segment() (or applyPalette): plain, cloneable values. */
  segment: SegmentOptions;
  palette: Palette | null;
  /** What each output's record holds (see record.ts), written by the worker beside the output. */
  recipe: string;
  /** Called once for each file, when it ends. An error it throws stops the batch and rejects run(). */
  onFile(id: number, outcome: FileOutcome): void;
}

/**
 * A worker and its files: at most one still being clustered (`clustering`), and those it said it is
 * only saving (WorkerFree), which end with their reply.
 */
interface Slot { worker: Worker; jobs: WorkerJob[]; clustering: boolean; completed: number; lastError?: Error }

/** Runs files on worker threads: `new BatchScheduler(todo, settings).run()`. */
export class BatchScheduler {
  private readonly queue: number[];
  private readonly slots: Slot[] = [];
  /** The outputs of every file handed to a worker, whose temporary files are removed at the end. */
  private readonly started: string[] = [];
  /** Every worker's start: the shared stop flag (see stop()) and what it passes to segment(). */
  private readonly data: WorkerData;
  private stopping = false;
  /** Set once every worker is told to end: a late failure no longer needs a stop. */
  private ended = false;
  /** The first error thrown by onFile (or by starting a replacement worker): run() rejects with it. */
  private failure: { error: unknown } | undefined;
  private startupDeaths = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly allIdle: Promise<void>;
  private finish: () => void = () => {};

  constructor(todo: readonly number[], private readonly s: PoolSettings) {
    this.queue = [...todo];
    this.data = { stop: new Int32Array(new SharedArrayBuffer(4)), options: s.segment, palette: s.palette, recipe: s.recipe };
    this.allIdle = new Promise<void>((resolve) => { this.finish = resolve; });
  }

  /**
   * Run every file; resolves true when the signal stopped the batch.
   *
   * @throws the error onFile threw, as it is, once every worker is stopped; ERR_BACKEND when no worker
   *   can be started.
   */
  async run(): Promise<boolean> {
    const { signal } = this.s;
    const onAbort = (): void => this.stop();
    try {
      // The workers boot first (Node's bootstrap, our modules, sharp, the kernel: 100-150 ms each, the
      // first file's critical path), and this thread pins sharp and clears stale files meanwhile.
      for (let i = 0; i < this.s.workers; i++) this.spawn();
      // sharp's libraries must stay loaded for the life of the process: a worker's exit can otherwise
      // unload them under the others (lovell/sharp#2263). Loading it here pins them before any file
      // starts; loadSharp's require() takes a third of import('sharp')'s time (45 against 130 ms).
      await loadSharp().catch(() => undefined);
      // What SIGKILL or a crash left in these folders; in-flight files (this process's, other live
      // runs') are never touched.
      await removeStaleTemporaryFiles([...new Set(this.s.files.flatMap((f) => [path.dirname(f.output), recordFolderOf(f.output)]))]);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) this.stop(); // aborted before the listener: it would never fire
      // A worker that died meanwhile was replaced and its replacement given a file (onExit).
      for (const slot of [...this.slots]) if (!slot.clustering) this.dispatch(slot);
      await this.allIdle;
    } finally {
      this.ended = true;
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(this.graceTimer);
      await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
      await removeTemporaryFiles([...this.started, ...this.started.map(recordFileOf)]);
    }
    // Files never started: cancelled when stopped, else failed because no worker was left to run them.
    for (const id of this.queue) {
      if (!this.stopping) this.report(id, { status: 'failed', error: { code: null, message: 'no worker could run it (see the failures before it)' } });
      else this.report(id, { status: 'cancelled' });
    }
    if (this.failure) throw this.failure.error;
    return this.stopping;
  }

  /** onFile, unless a callback failed already; an error it throws stops the batch (see fail). */
  private report(id: number, outcome: FileOutcome): void {
    if (this.failure) return;
    try {
      this.s.onFile(id, outcome);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Stop the batch because of `error`, which run() rejects with once the workers are gone. */
  private fail(error: unknown): void {
    this.failure ??= { error };
    if (!this.ended) this.stop();
  }

  /** A listener's body: what it throws stops the batch (see fail) instead of reaching the event loop. */
  private guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (error) {
        this.fail(error);
      }
    };
  }

  /** Start one more worker, listening for its replies and its exit. */
  private spawn(): void {
    const slot: Slot = { worker: startWorker(this.data), jobs: [], clustering: false, completed: 0 };
    this.slots.push(slot);
    slot.worker.on('message', this.guarded((reply: WorkerReply | WorkerFree) => this.onReply(slot, reply)));
    slot.worker.on('error', (error) => { slot.lastError = error; });
    slot.worker.on('exit', this.guarded(() => this.onExit(slot)));
  }

  /** Give the slot the next file, or leave it as it is when there is none (or the batch is stopping). */
  private dispatch(slot: Slot): void {
    const id = this.stopping ? undefined : this.queue.shift();
    if (id === undefined) { this.checkDone(); return; }
    const { input, output } = this.s.files[id]!;
    const job: WorkerJob = { id, input, output, force: this.s.force, freeEarly: true };
    slot.jobs.push(job);
    slot.clustering = true;
    this.started.push(output);
    slot.worker.postMessage(job);
  }

  private onReply(slot: Slot, reply: WorkerReply | WorkerFree): void {
    const at = slot.jobs.findIndex((job) => job.id === reply.id);
    if (at < 0) return; // a late answer after a stop
    const last = at === slot.jobs.length - 1; // the file being clustered is always the last one given
    if ('free' in reply) {
      if (last && slot.clustering) { slot.clustering = false; this.dispatch(slot); }
      return;
    }
    const { id, ...outcome } = reply;
    slot.jobs.splice(at, 1);
    slot.completed++;
    this.report(id, outcome);
    if (last && slot.clustering) { slot.clustering = false; this.dispatch(slot); } else this.checkDone();
  }

  /** A worker is gone: its file (if any) failed, and a replacement takes the queue on. */
  private onExit(slot: Slot): void {
    this.slots.splice(this.slots.indexOf(slot), 1);
    const why = slot.lastError ? `: ${firstLine(slot.lastError)}` : '';
    for (const job of slot.jobs.splice(0)) {
      this.report(job.id, { status: 'failed', error: { code: null, message: `the worker processing it stopped unexpectedly${why}` } });
    }
    // A file that kills its worker (a crash in a native decoder, say) must not stop the batch, so
    // the worker is replaced; but workers that die before finishing any file point to a setup
    // problem, and after a few of those the remaining files are failed instead of retried forever.
    if (slot.completed === 0) this.startupDeaths++;
    if (!this.stopping && this.queue.length > 0 && (slot.completed > 0 || this.startupDeaths <= this.s.workers + 2)) {
      this.spawn();
      this.dispatch(this.slots.at(-1)!);
    }
    this.checkDone();
  }

  /** Ask every worker to stop; whatever is still busy after the grace period is terminated. */
  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    Atomics.store(this.data.stop, 0, 1);
    // Running files stop at the next checkpoint (between stages, after every K-means pass); whatever is
    // still busy after the grace period is terminated, and its temporary file removed at the end of run().
    this.graceTimer = setTimeout(this.guarded(() => {
      for (const slot of [...this.slots]) {
        if (slot.jobs.length === 0) continue;
        for (const job of slot.jobs.splice(0)) this.report(job.id, { status: 'cancelled' });
        void slot.worker.terminate();
      }
      this.checkDone();
    }), this.s.stopGraceMs);
    this.checkDone();
  }

  private checkDone(): void {
    const slots = this.slots;
    if (slots.every((slot) => slot.jobs.length === 0) && (this.stopping || this.queue.length === 0 || slots.length === 0)) this.finish();
  }
}

function startWorker(data: WorkerData): Worker {
  return startBatchWorker(batchWorkerUrl(), { workerData: data });
}
