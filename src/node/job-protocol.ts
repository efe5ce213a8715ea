// The messages between a Node call and its job worker (job-pool.ts, job-worker.ts). Invariant: only
// plain, structured-cloneable data crosses; functions and the signal stay on the calling thread.
import { KMeansSegError, type ErrorCode } from '../errors.js';
import type { Progress } from '../core/options.js';

/** The jobs a job worker runs (job-worker.ts maps each name to its code). */
export type JobName = 'kmeans' | 'apply' | 'encode' | 'strips' | 'file' | 'input';

/** Calling thread to job worker: one job at a time. */
export interface JobRequest {
  job: JobName;
  /** The job's own arguments: pixels (a private copy, transferred) and options made plain. */
  args: unknown;
  /** Post a progress message after every pass. */
  progress: boolean;
  /** Threads for the job when its options do not say: set by the pool from the jobs running at once. */
  threads?: number;
  /** The job's stop flag (stop-flag.ts), raised by the calling thread on an abort. */
  stop?: Int32Array;
}

export type JobReply =
  | { type: 'progress'; progress: Progress }
  | { type: 'done'; value: unknown }
  | { type: 'error'; error: PlainError };

/** An error as it crosses threads: its class is lost on the way, so its code and message are sent. */
export interface PlainError { name: string; message: string; code?: string; cause?: PlainError }

export function plainError(err: unknown): PlainError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown } | null;
  if (e === null || typeof e !== 'object') return { name: 'Error', message: String(err) };
  const out: PlainError = { name: String(e.name ?? 'Error'), message: String(e.message ?? err) };
  if (typeof e.code === 'string') out.code = e.code;
  if (e.cause !== undefined && e.cause !== null && typeof e.cause === 'object') out.cause = plainError(e.cause);
  return out;
}

/** The error a job worker reported, as the same call on this thread would have thrown it. */
export function revivedError(p: PlainError): Error {
  const cause = p.cause === undefined ? undefined : { cause: revivedError(p.cause) };
  if (p.name === 'KMeansSegError' && p.code) return new KMeansSegError(p.code as ErrorCode, p.message, cause);
  const err = new Error(p.message, cause);
  err.name = p.name;
  if (p.code !== undefined) (err as Error & { code?: string }).code = p.code;
  return err;
}

/**
 * Options without what cannot cross threads: functions (onProgress) and the signal, whatever their
 * name, so an option added to the table later reaches the worker without a change here.
 */
export function crossingOptions<T extends object>(options: T | undefined): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(options ?? {})) {
    if (typeof v === 'function' || key === 'signal' || key === 'worker') continue;
    out[key] = v;
  }
  return out as Partial<T>;
}
