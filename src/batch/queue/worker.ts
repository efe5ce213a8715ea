// A queue worker: takes kmeans-seg jobs from a BullMQ queue on Redis and runs each on a worker thread
// with the local batch's own code. Invariant: the event loop never segments (BullMQ renews job locks
// there), a job outside the roots or with bad settings fails once and for all, and a stop finishes
// or hands back every running job before close() resolves.
import os from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import { KMeansSegError } from '../../errors.js';
import { removeStaleTemporaryFiles } from '../../io/atomic-write.js';
import { loadSharp } from '../../io/sharp.js';
import { recordFolderOf } from '../record.js';
import type { BatchFileSummary, FileError } from '../messages.js';
import { loadBullMQ, probeRedis, scrub, type BullMQ } from './connection.js';
import { checkPayload, failureText, isFinal, type JobPayload } from './payload.js';
import { checkInsideRoots } from './roots.js';
import { ThreadPool } from './threads.js';
import { resolveWorkerOptions, type QueueWorkerOptions } from './worker-options.js';

export type { QueueWorkerOptions } from './worker-options.js';

/** What a worker tells its caller: one line each, with the job id and the file when it is about one. */
export interface QueueWorkerEvent {
  type: 'ready' | 'start' | 'done' | 'failed' | 'retry' | 'handed-back' | 'stalled' | 'error' | 'stopping' | 'stopped';
  jobId?: string;
  input?: string;
  /** The line, passwords hidden: what `kmeans-seg worker` prints after "kmeans-seg worker: ". */
  text: string;
}

/** A running worker (startWorker). */
export interface QueueWorker {
  /** `<host>/<pid>`: BullMQ's worker name, stored on every job it runs (the report's `host` is the part before the slash). */
  readonly name: string;
  /**
   * Stop taking jobs; running ones get `graceMs` (default: the stopGraceMs option) to finish, then go
   * back to the queue for another worker. Resolves once closed. Called again with 0, it hands the
   * running jobs back at once.
   */
  close(graceMs?: number): Promise<void>;
}

/** What a job returns to the producer (BullMQ's returnvalue): the local batch's summary, plus who did it. */
export type JobResult = BatchFileSummary & { host: string; worker: string; ms: number };

/**
 * Start a worker on the queue: `concurrency` jobs at once, each on a thread of its own, reading and
 * writing only under `roots`. Resolves once it is connected and taking jobs.
 *
 * @example
 * const worker = await startWorker({ connection: 'redis://queue-host:6379', roots: ['/mnt/share'] });
 * process.once('SIGTERM', () => void worker.close());
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION for a bad option; ERR_OUTPUT_DIR for a root that is no
 *   folder; ERR_BACKEND when bullmq or ioredis is not installed or Redis cannot be reached.
 */
export async function startWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const o = await resolveWorkerOptions(options);
  const lib = await loadBullMQ();
  await probeRedis(o.target);
  // sharp's libraries must stay loaded for the life of the process (see BatchScheduler.run).
  await loadSharp().catch(() => undefined);
  const name = `${os.hostname()}/${process.pid}`;
  const log = (event: QueueWorkerEvent): void => { try { o.onEvent?.({ ...event, text: scrub(event.text) }); } catch { /* a logger's fault never stops the worker */ } };
  const pool = new ThreadPool(o.concurrency);
  const processor = makeProcessor(lib, { roots: o.roots, pool, log, name });
  const worker = new lib.Worker(o.queue, processor, {
    connection: o.target.options, prefix: o.prefix, name, concurrency: o.concurrency,
    lockDuration: o.lockDuration, stalledInterval: o.stalledInterval, maxStalledCount: 1, autorun: true,
  });
  watch(worker, log);
  await worker.waitUntilReady();
  log({ type: 'ready', text: `${name} taking jobs from queue ${JSON.stringify(o.queue)} on ${o.target.shown}: ${o.concurrency} at once, ` +
    `roots ${o.roots.map((r) => JSON.stringify(r)).join(', ')}, lock ${o.lockDuration} ms, stalled check every ${o.stalledInterval} ms` });
  let closing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const close = (graceMs = o.stopGraceMs): Promise<void> => {
    if (closing) {
      if (graceMs === 0) { clearTimeout(timer); pool.stopRunning(); }
      return closing;
    }
    log({ type: 'stopping', text: `stopping: no new jobs; running ones get ${graceMs / 1000} s to finish, then go back to the queue` });
    timer = setTimeout(() => pool.stopRunning(), graceMs);
    closing = (async () => {
      try {
        await worker.close();
      } finally {
        clearTimeout(timer);
        await pool.close();
      }
      log({ type: 'stopped', text: 'stopped' });
    })();
    return closing;
  };
  return { name, close };
}

/** BullMQ's own events as log lines: a job stalled (its worker died), a Redis error. */
function watch(worker: { on(event: string, listener: (...args: never[]) => void): unknown }, log: (e: QueueWorkerEvent) => void): void {
  let lastError = '';
  let lastAt = 0;
  worker.on('stalled', (jobId: string) => log({ type: 'stalled', jobId, text: `${jobId} stalled (its worker stopped renewing the lock): back in the queue` }));
  worker.on('error', (error: Error) => {
    // Redis down: ioredis retries, and the same error would come several times a second.
    const text = error?.message ?? String(error);
    if (text === lastError && Date.now() - lastAt < 10_000) return;
    lastError = text;
    lastAt = Date.now();
    log({ type: 'error', text: `queue error (retrying): ${text}` });
  });
}

interface ProcessorContext {
  roots: readonly string[];
  pool: ThreadPool;
  log: (e: QueueWorkerEvent) => void;
  name: string;
}

/** The job's error for BullMQ: UnrecoverableError (no retry) when a retry cannot help. */
function jobError(lib: BullMQ, error: FileError): Error {
  return isFinal(error.code) ? new lib.UnrecoverableError(failureText(error)) : new Error(failureText(error));
}

const errorOf = (error: unknown): FileError => ({
  code: error instanceof KMeansSegError ? error.code : null,
  message: (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' '),
});

function makeProcessor(lib: BullMQ, c: ProcessorContext): (job: Job, token?: string) => Promise<JobResult> {
  const cleaned = new Set<string>();
  return async (job, token) => {
    const jobId = job.id ?? '?';
    const attempt = `attempt ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1}`;
    let payload: JobPayload;
    try {
      payload = checkPayload(job.name, job.data);
      await checkInsideRoots(payload, c.roots);
    } catch (error) {
      const e = errorOf(error);
      const input = (job.data as Partial<JobPayload> | null)?.input?.path;
      c.log({ type: 'failed', jobId, input, text: `${jobId} refused ${JSON.stringify(input ?? '?')}: ${failureText(e)} (${attempt}${isFinal(e.code) ? ', no retry' : ''})` });
      throw jobError(lib, e);
    }
    const input = payload.input.path, output = payload.output.path;
    c.log({ type: 'start', jobId, input, text: `${jobId} start ${input} (${attempt})` });
    const folder = path.dirname(output);
    if (!cleaned.has(folder)) {
      cleaned.add(folder);
      await removeStaleTemporaryFiles([folder, recordFolderOf(output)]);
    }
    const outcome = await c.pool.run({ options: payload.options, palette: payload.palette }, input, output)
      .catch((error: unknown) => ({ status: 'failed' as const, ms: 0, error: errorOf(error) })); // no thread could start
    if (outcome.status === 'done') {
      const { status: _s, ms, ...summary } = outcome;
      c.log({ type: 'done', jobId, input, text: `${jobId} done ${input} -> ${output} (${Math.round(ms)} ms)` });
      return { ...summary, ms, host: os.hostname(), worker: c.name };
    }
    if (outcome.status === 'cancelled') {
      // Stopping: the job goes back to the queue without using an attempt.
      if (token !== undefined) await job.moveToWait(token);
      c.log({ type: 'handed-back', jobId, input, text: `${jobId} handed back ${input} (stopping)` });
      throw new lib.WaitingError();
    }
    const final = isFinal(outcome.error.code) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    c.log({ type: final ? 'failed' : 'retry', jobId, input, text: `${jobId} failed ${input}: ${failureText(outcome.error)} (${attempt}${final ? (isFinal(outcome.error.code) ? ', no retry' : ', last') : ', will be retried'})` });
    throw jobError(lib, outcome.error);
  };
}
