// The worker threads of a queue worker: the local batch's own worker (../worker.ts), one file at a
// time each, so that a job's bytes are those of a local batch and the event loop stays free to renew
// BullMQ's locks. Invariant: at most `size` threads; each job gets one reply (done, failed, cancelled).
import type { Worker } from 'node:worker_threads';
import { removeTemporaryFiles } from '../../io/atomic-write.js';
import { firstLine } from '../../io/error-text.js';
import type { Palette } from '../../palette/parse.js';
import type { SegmentOptions } from '../../segment.js';
import { startBatchWorker } from '../exec-argv.js';
import { batchWorkerUrl } from '../worker-url.js';
import type { WorkerData, WorkerOutcome, WorkerReply } from '../messages.js';
import { recipeOf, recordFileOf } from '../record.js';

/** What a thread is started with: a batch's settings (a thread serves jobs of one settings only). */
export interface ThreadSettings { options: SegmentOptions; palette: Palette | null }

interface Thread {
  worker: Worker;
  /** The settings it was started with, as JSON (threads are reused for equal settings). */
  key: string;
  busy: { id: number; output: string; done: (outcome: WorkerOutcome) => void } | null;
  lastError?: Error;
}

/** Runs files on up to `size` threads: `await pool.run(settings, input, output)`. */
export class ThreadPool {
  private readonly threads: Thread[] = [];
  /** Shared by every thread: set to 1 to make running files stop at their next checkpoint (a hand-back). */
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;

  constructor(private readonly size: number) {}

  /**
   * Segment `input` into `output` (overwritten: a retried job rewrites the same bytes) on a thread
   * started with `settings`; resolves with the thread's outcome, or a failure when the thread died.
   */
  async run(settings: ThreadSettings, input: string, output: string): Promise<WorkerOutcome> {
    const thread = this.threadFor(settings);
    const id = this.nextId++;
    return new Promise<WorkerOutcome>((resolve) => {
      thread.busy = { id, output, done: resolve };
      thread.worker.postMessage({ id, input, output, force: true });
    }).finally(() => { thread.busy = null; });
  }

  /** Ask every running file to stop at its next checkpoint: its job resolves 'cancelled'. */
  stopRunning(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  /** Terminate every thread and remove the temporary files of files cut short. */
  async close(): Promise<void> {
    const outputs = this.threads.flatMap((t) => (t.busy ? [t.busy.output, recordFileOf(t.busy.output)] : []));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
    this.threads.length = 0;
    await removeTemporaryFiles(outputs);
  }

  /** An idle thread with these settings, else a new one (an idle thread of other settings ended to make room). */
  private threadFor(settings: ThreadSettings): Thread {
    const key = JSON.stringify(settings);
    const idle = this.threads.filter((t) => t.busy === null);
    const same = idle.find((t) => t.key === key);
    if (same) return same;
    if (this.threads.length >= this.size) {
      const other = idle[0];
      if (!other) throw new Error(`all ${this.size} threads are busy (more jobs at once than the concurrency)`);
      this.remove(other);
      void other.worker.terminate();
    }
    return this.spawn(settings, key);
  }

  private spawn(settings: ThreadSettings, key: string): Thread {
    const data: WorkerData = { stop: this.stopFlag, options: settings.options, palette: settings.palette, recipe: recipeOf(settings.options, settings.palette) };
    const thread: Thread = { worker: startBatchWorker(batchWorkerUrl(), { workerData: data }), key, busy: null };
    this.threads.push(thread);
    thread.worker.on('message', (reply: WorkerReply) => {
      if (thread.busy?.id !== reply.id) return;
      const { id: _id, ...outcome } = reply;
      thread.busy.done(outcome);
    });
    thread.worker.on('error', (error) => { thread.lastError = error; });
    thread.worker.on('exit', () => this.onExit(thread));
    return thread;
  }

  /** A thread is gone: its file failed (retried by BullMQ), its temporary file removed. */
  private onExit(thread: Thread): void {
    this.remove(thread);
    const busy = thread.busy;
    if (!busy) return;
    const why = thread.lastError ? `: ${firstLine(thread.lastError)}` : '';
    void removeTemporaryFiles([busy.output, recordFileOf(busy.output)]).then(() => {
      busy.done({ status: 'failed', ms: 0, error: { code: null, message: `the worker thread processing it stopped unexpectedly${why}` } });
    });
  }

  private remove(thread: Thread): void {
    const i = this.threads.indexOf(thread);
    if (i >= 0) this.threads.splice(i, 1);
  }
}
