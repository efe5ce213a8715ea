// The producer of a queued batch (batch() with `queue`, `kmeans-seg batch --redis`): one BullMQ job
// per file, then the queue's events turned into the batch's progress and report. Invariant: every
// file handed to run() is reported exactly once; a job that Redis lost (a restart without its data)
// is added again under the same id, so nothing is lost and nothing runs twice on purpose.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { KMeansSegError } from '../../errors.js';
import type { Palette } from '../../palette/parse.js';
import type { SegmentOptions } from '../../segment.js';
import type { FileOutcome } from '../messages.js';
import { loadBullMQ, openRedis, probeRedis, scrub } from './connection.js';
import { failureOf, JOB_NAME, jobIdOf, type JobPayload } from './payload.js';
import type { ResolvedQueue } from './queue-options.js';
import type { JobResult } from './worker.js';

/** How a queued file ended: a local batch's outcome, plus the host that ran it and the attempts it took. */
export type QueuedOutcome = FileOutcome & { host?: string; attempts?: number };

export interface QueuedRun {
  /** Every file of the batch, by id (paths as the user gave them). */
  files: readonly { input: string; output: string }[];
  segment: SegmentOptions;
  palette: Palette | null;
  queue: ResolvedQueue;
  signal: AbortSignal | undefined;
  /**
   * When the batch started (epoch ms), before it looked for existing outputs: a job that finished
   * since then is this batch's (its output was not there to skip); one that finished before is redone.
   */
  startedAt: number;
  /** The batch's warnings: what an interrupted run leaves in the queue is said here. */
  warnings: string[];
  /** Called once for each file, when its job ends. An error it throws stops the batch and rejects run(). */
  onFile(id: number, outcome: QueuedOutcome): void;
}

interface Entry { id: number; jobId: string; payload: JobPayload }

/** Jobs looked up or added per round trip. */
const CHUNK = 200;

/**
 * The payload of one file: absolute real paths, so that every host finds the same file (a share
 * mounted at the same path everywhere), and a worker's --root check sees where links lead.
 */
async function payloadOf(file: { input: string; output: string }, run: QueuedRun): Promise<JobPayload> {
  const input = await fs.realpath(file.input).catch(() => path.resolve(file.input));
  const folder = await fs.realpath(path.dirname(file.output)).catch(() => path.resolve(path.dirname(file.output)));
  return {
    version: 1, input: { kind: 'path', path: input }, output: { kind: 'path', path: path.join(folder, path.basename(file.output)) },
    options: run.segment, palette: run.palette,
  };
}

/** Run the files `todo` on the queue; resolves `interrupted` (the signal stopped it) and how many workers took part. */
export async function runOnQueue(todo: readonly number[], run: QueuedRun): Promise<{ interrupted: boolean; workers: number }> {
  const entries: Entry[] = [];
  for (const id of todo) {
    const payload = await payloadOf(run.files[id]!, run);
    entries.push({ id, jobId: jobIdOf(payload), payload });
  }
  return new Producer(entries, run).run();
}

class Producer {
  private readonly pending = new Map<string, Entry>();
  private readonly workers = new Set<string>();
  private lastNews = Date.now();
  private sweeping = false;
  private failure: { error: unknown } | undefined;
  private finish: () => void = () => {};
  private readonly allDone = new Promise<void>((resolve) => { this.finish = resolve; });
  private queue!: Queue;
  private events!: QueueEvents;
  private redis!: Redis;

  constructor(private readonly entries: readonly Entry[], private readonly s: QueuedRun) {
    for (const e of entries) this.pending.set(e.jobId, e);
  }

  async run(): Promise<{ interrupted: boolean; workers: number }> {
    const { target, name, prefix } = this.s.queue;
    const lib = await loadBullMQ();
    await probeRedis(target);
    this.redis = await openRedis(target);
    let connected = false;
    // After a reconnection, look at every job at once: Redis may have restarted without its data.
    this.redis.on('ready', () => { if (connected) this.lastNews = 0; connected = true; });
    this.queue = new lib.Queue(name, { connection: target.options, prefix });
    this.queue.on('error', () => undefined); // Redis down: commands wait for it, the sweep retries
    this.redis.on('error', () => undefined);
    const lastEventId = await this.lastEventId();
    this.events = new lib.QueueEvents(name, { connection: target.options, prefix, lastEventId });
    this.events.on('error', () => undefined);
    this.events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue as unknown as JobResult));
    this.events.on('failed', ({ jobId }) => { void this.fetchAndFinish(jobId); });
    const { signal } = this.s;
    const onAbort = (): void => this.finish();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.finish(); // aborted while connecting: the listener would never fire
    const timer = setInterval(() => this.tick(), Math.min(1000, this.s.queue.pollMs));
    try {
      await this.events.waitUntilReady();
      // Not awaited by itself: with Redis down its commands wait, and an abort must not.
      if (!signal?.aborted) {
        this.enqueue().catch((error: unknown) => {
          const why = scrub(error instanceof Error ? error.message : String(error));
          this.failure ??= { error: new KMeansSegError('ERR_BACKEND', `Could not enqueue the batch's jobs on Redis at ${target.shown} (${why}): check the server, then run the batch again (the jobs already queued are found, not doubled)`, { cause: error }) };
          this.finish();
        });
      }
      await this.allDone;
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      await this.leave();
    }
    if (this.failure) throw this.failure.error;
    return { interrupted: signal?.aborted === true, workers: this.workers.size };
  }

  /** The id of the queue's newest event, so that events of earlier batches are not read as this one's. */
  private async lastEventId(): Promise<string> {
    const newest = await this.redis.xrevrange(this.queue.keys.events!, '+', '-', 'COUNT', 1).catch(() => []);
    return newest[0]?.[0] ?? '0-0';
  }

  /**
   * Add every job, or find the one that exists under its id: waiting or running (another producer
   * of the same batch), it is waited for; finished since this batch started, it is taken as it is;
   * finished before (a rerun with --force, or its output deleted since), it is removed and added again.
   */
  private async enqueue(): Promise<void> {
    for (let i = 0; i < this.entries.length && !this.stopped(); i += CHUNK) {
      const chunk = this.entries.slice(i, i + CHUNK);
      const states = await Promise.all(chunk.map((e) => this.queue.getJobState(e.jobId)));
      const add: Entry[] = [];
      for (let j = 0; j < chunk.length; j++) {
        const e = chunk[j]!, state = states[j];
        if (state === 'unknown') { add.push(e); continue; }
        if (state !== 'completed' && state !== 'failed') continue;
        const job = await this.queue.getJob(e.jobId);
        if (job && (job.finishedOn ?? 0) >= this.s.startedAt) this.finishFrom(job, state);
        else if (!job || (await job.remove().then(() => true, () => false))) add.push(e);
      }
      await this.add(add);
    }
  }

  private async add(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const { attempts, retryDelayMs } = this.s.queue;
    await this.queue.addBulk(entries.map((e) => ({
      name: JOB_NAME, data: e.payload,
      opts: {
        jobId: e.jobId, attempts, backoff: { type: 'exponential', delay: retryDelayMs },
        // Kept for a while, so that the producer (and a dashboard) can read how each ended.
        removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
      },
    })));
  }

  private stopped(): boolean {
    return this.s.signal?.aborted === true || this.failure !== undefined;
  }

  /** When nothing has been heard for pollMs (or Redis reconnected), ask for the state of every job still pending. */
  private tick(): void {
    if (this.sweeping || this.stopped() || Date.now() - this.lastNews < this.s.queue.pollMs) return;
    this.sweeping = true;
    this.sweep().catch(() => undefined).finally(() => { this.sweeping = false; this.lastNews = Date.now(); });
  }

  /** Every pending job: finished ones reported (their event was missed), lost ones added again. */
  private async sweep(): Promise<void> {
    const pending = [...this.pending.values()];
    for (let i = 0; i < pending.length && !this.stopped(); i += CHUNK) {
      const chunk = pending.slice(i, i + CHUNK);
      const states = await Promise.all(chunk.map((e) => this.queue.getJobState(e.jobId)));
      const lost = chunk.filter((_, j) => states[j] === 'unknown');
      await this.add(lost);
      await Promise.all(chunk.filter((_, j) => states[j] === 'completed' || states[j] === 'failed').map((e) => this.fetchAndFinish(e.jobId)));
    }
  }

  private onCompleted(jobId: string, result: JobResult): void {
    const entry = this.pending.get(jobId);
    if (!entry) return;
    this.lastNews = Date.now();
    const { host, worker, ms, ...summary } = typeof result === 'string' ? (JSON.parse(result) as JobResult) : result;
    this.workers.add(worker);
    this.report(entry, { status: 'done', ms, ...summary, host });
  }

  /** A job that ended (its event, or the sweep): read it and report it. */
  private async fetchAndFinish(jobId: string): Promise<void> {
    if (!this.pending.has(jobId)) return;
    this.lastNews = Date.now();
    const state = await this.queue.getJobState(jobId).catch(() => undefined);
    if (state !== 'completed' && state !== 'failed') return; // gone: the sweep adds it again
    const job = await this.queue.getJob(jobId).catch(() => undefined);
    if (job) this.finishFrom(job, state);
  }

  private finishFrom(job: Job, state: 'completed' | 'failed'): void {
    if (state === 'completed') { this.onCompleted(job.id!, job.returnvalue as JobResult); return; }
    const entry = this.pending.get(job.id!);
    if (!entry) return;
    const worker = job.processedBy;
    if (worker) this.workers.add(worker);
    const host = worker?.replace(/\/\d+$/, '');
    this.report(entry, { status: 'failed', error: failureOf(scrub(job.failedReason)), attempts: job.attemptsMade, ...(host ? { host } : {}) });
  }

  /** onFile, once per file; an error it throws stops the batch (run() rejects with it). */
  private report(entry: Entry, outcome: QueuedOutcome): void {
    if (!this.pending.delete(entry.jobId) || this.failure) return;
    try {
      this.s.onFile(entry.id, outcome);
    } catch (error) {
      this.failure = { error };
    }
    if (this.pending.size === 0 || this.failure) this.finish();
  }

  /** The end: jobs still pending reported cancelled (and removed with cancelOnExit), connections closed. */
  private async leave(): Promise<void> {
    const left = [...this.pending.values()];
    let removed = 0;
    if (left.length > 0 && this.s.queue.cancelOnExit) {
      // A job a worker holds is locked and stays: it finishes, its output whole.
      const results = await withTimeout(Promise.all(left.map((e) => this.queue.remove(e.jobId).catch(() => 0))), 5000);
      removed = results?.filter((r) => r === 1).length ?? 0;
    }
    for (const e of left) this.report(e, { status: 'cancelled' });
    if (left.length > 0) {
      const kept = left.length - removed;
      this.s.warnings.push(`${left.length} job${left.length === 1 ? '' : 's'} of this batch had not finished when it stopped: ` +
        (this.s.queue.cancelOnExit ? `${removed} removed from the queue, ${kept} already running (they finish; a rerun skips their outputs)` : `left in queue ${JSON.stringify(this.s.queue.name)}, where the workers will run them (--cancel-on-exit, cancelOnExit: true, removes them); a rerun waits for them`));
    }
    await withTimeout(Promise.all([this.events.close(), this.queue.close()]).catch(() => undefined), 5000);
    this.redis.disconnect();
  }
}

/** `promise`, or undefined after `ms` (closing a connection to a Redis that is down would wait for ever). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); })]).finally(() => clearTimeout(timer));
}
