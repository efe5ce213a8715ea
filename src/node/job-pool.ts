// The Node entry's job workers: each runs one call at a time on its own kernel and thread pool, so the
// calling thread only dispatches. Invariant: an idle worker is unref'd (it never holds a process open);
// a worker is reused only once it has answered its job; concurrent calls get workers of their own.
import { Worker } from 'node:worker_threads';
import { KMeansSegError } from '../errors.js';
import type { Progress } from '../core/options.js';
import { availableThreads } from '../platform.js';
import { terminateWorkers as terminateKernelWorkers } from '../kernel/select.js';
import { revivedError, type JobReply, type JobRequest } from './job-protocol.js';
import { workerEntry } from './worker-entry.js';
import { startBatchWorker } from '../batch/exec-argv.js';
import { stopFlag } from './stop-flag.js';
import { abortError } from './abort-error.js';
import { Staging } from './staging.js';

/**
 * Calls that run at once, each on a worker of its own; more wait for one in turn. 16 covers a server's
 * burst while bounding memory: each busy worker holds its image, the histogram table and a kernel.
 */
export const MAX_JOB_WORKERS = 16;
/** Idle workers kept warm (kernel compiled, pool started) for the next calls. */
const MAX_IDLE = 4;
let maxIdle = MAX_IDLE;

/** Keep up to `n` idle workers warm (default 4; the tests warm 16 to measure scheduling alone). Returns the previous limit. */
export function keepIdleWorkers(n: number = MAX_IDLE): number {
  const before = maxIdle;
  maxIdle = Math.max(0, Math.min(MAX_JOB_WORKERS, n));
  return before;
}
/** An idle worker holds memory (the histogram table, the kernel's memory): it is ended after this long unused. */
const IDLE_MS = 30_000;

interface JobWorker {
  worker: Worker;
  /** Where calls put their pixels for this worker to read in place (staging.ts); goes with the worker. */
  staging: Staging;
  timer?: ReturnType<typeof setTimeout>;
  /** While idle: takes it out of the idle list should it die meanwhile. */
  onIdleExit?: () => void;
  /** It died while asked something before its job (see ask): never to be reused. */
  dead?: boolean;
}

const idle: JobWorker[] = [];
const waiting: ((w: JobWorker) => void)[] = [];
let running = 0;
/** Bumped by terminateJobWorkers: a worker busy then is ended when its job finishes, not kept. */
let generation = 0;

/** Calls running on job workers now (the one asking included once it has a worker). */
export function runningJobs(): number {
  return running;
}

/**
 * Threads for one job when the caller did not say: the cores shared between the jobs running, so
 * 16 concurrent calls do not start 16 full pools that spin against each other. Results never depend on it.
 */
export function threadsForJob(wanted: number | undefined): number {
  return wanted ?? Math.max(1, Math.floor(availableThreads() / Math.max(1, running)));
}

function spawn(): JobWorker {
  const url = workerEntry(import.meta.url, new URL('./job-worker.mjs', import.meta.url), new URL('./job-worker.js', import.meta.url));
  // The process's Node flags minus those a worker refuses (--input-type under `node -e`, V8's).
  return { worker: startBatchWorker(url, {}, 'kmeans-seg job worker'), staging: new Staging() };
}

let spawning: Promise<unknown> = Promise.resolve();

/**
 * spawn() on a later turn of the event loop, one start per turn: starting a Worker blocks this thread
 * for a few milliseconds, and 16 calls made at once must not add those up into one long stall.
 */
function spawnSoon(): Promise<JobWorker> {
  const p = spawning.then(() => new Promise<JobWorker>((resolve, reject) => setImmediate(() => {
    try { resolve(spawn()); } catch (err) { reject(err); }
  })));
  spawning = p.catch(() => undefined); // one failed start does not fail the next
  return p;
}

/** A worker for one job: an idle one, a new one, or (at MAX_JOB_WORKERS) the next one freed. `running` counts it. */
function acquire(signal?: AbortSignal): Promise<JobWorker> {
  const w = idle.pop();
  if (w) {
    clearTimeout(w.timer);
    w.worker.off('exit', w.onIdleExit!);
    running++;
    return Promise.resolve(w);
  }
  if (running < MAX_JOB_WORKERS) {
    running++;
    return spawnSoon().catch((err: unknown) => {
      running--;
      throw new KMeansSegError('ERR_BACKEND', `A kmeans-seg job worker could not start (${(err as Error)?.message ?? String(err)}): pass worker: false to run on the calling thread`, { cause: err });
    });
  }
  return new Promise((resolve, reject) => {
    // A call aborted while it waits leaves the queue at once: it never takes a worker.
    const onAbort = (): void => {
      const i = waiting.indexOf(take);
      if (i >= 0) waiting.splice(i, 1);
      reject(abortError(signal!, 'while waiting for a job worker'));
    };
    const take = (w: JobWorker): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve(w);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.push(take);
  });
}

/** A worker whose job ended cleanly: to the next waiting call, else kept idle (unref'd), else ended. */
function release(w: JobWorker, gen: number): void {
  const next = waiting.shift();
  if (next) {
    // A worker from before terminateJobWorkers is not handed on: the waiting call gets a new one.
    if (gen === generation) return next(w);
    void w.worker.terminate();
    return next(spawn());
  }
  running--;
  if (gen !== generation || idle.length >= maxIdle) {
    void w.worker.terminate();
    return;
  }
  w.worker.unref();
  w.onIdleExit = (): void => {
    clearTimeout(w.timer);
    w.staging.drop(); // it may hold the ended worker's kernel memory
    const i = idle.indexOf(w);
    if (i >= 0) idle.splice(i, 1);
  };
  w.worker.once('exit', w.onIdleExit);
  w.timer = setTimeout(() => void w.worker.terminate(), IDLE_MS); // its exit takes it out of the list
  w.timer.unref();
  idle.push(w);
}

/** A worker that cannot be reused (aborted, failed): ended, and its place given to a waiting call. */
function discard(w: JobWorker): void {
  void w.worker.terminate();
  w.staging.drop();
  const next = waiting.shift();
  if (next) next(spawn());
  else running--;
}

export interface JobHooks {
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
  /**
   * Run once the call has its worker, before the job is posted: fill the worker's staging area (the
   * job then names the view it filled). A rejection (an abort between two slices) rejects the call,
   * and the worker, which never saw the job, is reused.
   */
  stage?: (staging: Staging, ask: AskWorker) => Promise<void>;
}

/**
 * How long an abandoned job (aborted, or its onProgress threw) may take to reach its next check of the
 * stop flag and hand its worker back; past it the worker is ended instead. A pass, or a slice of a
 * per-pixel loop, takes milliseconds, so only a stage that never checks gets here.
 */
const STOP_GRACE_MS = 2000;

/**
 * Run `request` on a job worker and resolve with its value. An abort rejects at once with ERR_ABORTED,
 * `cause` the signal's reason, and raises the job's stop flag: the worker stops at its next check
 * and is reused (or is ended after STOP_GRACE_MS). An onProgress that throws rejects with that error.
 * @throws KMeansSegError ERR_BACKEND when the worker dies; whatever the job threw, revived.
 */
export async function runOnJobWorker<T>(request: JobRequest, transfer: ArrayBuffer[], hooks: JobHooks): Promise<T> {
  const { onProgress, signal } = hooks;
  if (signal?.aborted) throw abortError(signal, 'before it started');
  const gen = generation;
  const w = await acquireStaged(hooks, gen);
  const stop = prepare(request);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const settle = (err: unknown, value?: T): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve(value as T);
      else reject(err);
    };
    /** The worker's part is over: reused when it answered, ended when it did not. */
    const detach = (keep: boolean): void => {
      clearTimeout(grace);
      unlisten();
      if (keep) release(w, gen);
      else discard(w);
    };
    /** The caller is answered already; the worker is told to stop and given a moment to. */
    const abandon = (err: unknown): void => {
      settle(err);
      stop.raise();
      grace = setTimeout(() => detach(false), STOP_GRACE_MS);
      grace.unref();
    };
    const onMessage = (m: JobReply): void => {
      if (m.type === 'progress') {
        try {
          if (!settled) onProgress?.(m.progress);
        } catch (err) {
          abandon(err);
        }
        return;
      }
      detach(true);
      if (m.type === 'done') settle(undefined, m.value as T);
      else settle(revivedError(m.error));
    };
    const onError = (err: Error): void => {
      detach(false);
      settle(new KMeansSegError('ERR_BACKEND', `The kmeans-seg job worker failed (${err.message}): retry, or pass worker: false to run on the calling thread`, { cause: err }));
    };
    const onAbort = (): void => abandon(abortError(signal!, 'while running'));
    const unlisten = listen(w, onMessage, onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      w.worker.postMessage(request, transfer);
    } catch (err) {
      detach(true);
      settle(err);
    }
    if (signal?.aborted) onAbort();
  });
}

/** A request to the call's worker before its job (a job of its own, say 'input'), answered with its value. */
export type AskWorker = (request: JobRequest) => Promise<unknown>;

/** Post `request` to the idle worker `w` and resolve with its value (progress ignored); reject with its error, or when it dies. */
function ask(w: JobWorker, request: JobRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: JobReply): void => {
      if (m.type === 'progress') return;
      unlisten();
      if (m.type === 'done') resolve(m.value);
      else reject(revivedError(m.error));
    };
    const unlisten = listen(w, onMessage, (err) => { unlisten(); w.dead = true; reject(err); });
    w.worker.postMessage(request);
  });
}

/** A worker for the call (see acquire), its staging area filled by hooks.stage; given back when that fails. */
async function acquireStaged(hooks: JobHooks, gen: number): Promise<JobWorker> {
  const w = await acquire(hooks.signal);
  if (hooks.stage === undefined) return w;
  try {
    await hooks.stage(w.staging, (request) => ask(w, request));
  } catch (err) {
    if (w.dead) discard(w);
    else release(w, gen);
    throw err;
  }
  return w;
}

/** The request's threads (from the jobs running now, its worker counted) and its stop flag. */
function prepare(request: JobRequest): ReturnType<typeof stopFlag> {
  if (request.threads === undefined) request.threads = threadsForJob(undefined);
  const stop = stopFlag();
  request.stop = stop.flag;
  return stop;
}

/** Listen to a busy worker (which then keeps the process alive); returns the way to stop listening. */
function listen(w: JobWorker, onMessage: (m: JobReply) => void, onError: (err: Error) => void): () => void {
  const onExit = (code: number): void => onError(new Error(`it exited with code ${code}`));
  w.worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  w.worker.ref();
  return () => { w.worker.off('message', onMessage).off('error', onError).off('exit', onExit); };
}

export { abortError };

/**
 * End the idle job workers now, and the busy ones as their jobs finish (a running call still settles).
 * Calls made afterwards start new workers.
 */
export async function terminateJobWorkers(): Promise<void> {
  generation++;
  const ending = idle.splice(0).map((w) => {
    clearTimeout(w.timer);
    return w.worker.terminate();
  });
  await Promise.all(ending);
}

/**
 * Stop every worker kmeans-seg started from this thread: the job workers (idle ones now, busy ones as
 * their calls settle) and this thread's kernel pool. None is needed for a process to exit: idle ones
 * are unref'd. Later calls start new ones.
 */
export async function terminateWorkers(): Promise<void> {
  await Promise.all([terminateJobWorkers(), terminateKernelWorkers()]);
}
