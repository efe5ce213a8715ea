// The options of a queue worker (startWorker, `kmeans-seg worker`), their defaults and their checks.
// Invariant: every option is checked, and the roots resolved, before the worker connects.
import os from 'node:os';
import { checkOptionNames, checkPlainObject, invalidOption } from '../../validate.js';
import { resolveConnection, type QueueConnection, type RedisTarget } from './connection.js';
import { DEFAULT_QUEUE } from './payload.js';
import { resolveRoots } from './roots.js';
import type { QueueWorkerEvent } from './worker.js';

/** BullMQ's defaults, which the worker keeps: how long a job's lock lasts, and how often stalled jobs are looked for. */
export const DEFAULT_LOCK_MS = 30_000;
export const DEFAULT_STALLED_MS = 30_000;
/** How long a stop lets running jobs finish before handing them back. */
export const DEFAULT_STOP_GRACE_MS = 30_000;

export interface QueueWorkerOptions {
  /** Where the queue is: a Redis URL (`redis://[user:password@]host:6379[/db]`) or BullMQ connection options. Required. */
  connection: QueueConnection;
  /** The folders jobs may read and write (their real paths, links followed); a job naming a file elsewhere fails with ERR_OUTSIDE_ROOT. Required. */
  roots: readonly string[];
  /** The queue's name, the same as the producer's. Default 'kmeans-seg'. */
  queue?: string;
  /** BullMQ's key prefix. Default 'bull'. */
  prefix?: string;
  /** Jobs at once, each on a worker thread of its own with one kernel thread, 1-256. Default: every core (os.availableParallelism()). */
  concurrency?: number;
  /** Milliseconds a job's lock lasts (renewed every half of it while the job runs), 1000-3600000. Default 30000. */
  lockDuration?: number;
  /** Milliseconds between checks for stalled jobs (those whose worker died), 500-3600000. Default 30000. */
  stalledInterval?: number;
  /** After close(), milliseconds running jobs get to finish before they go back to the queue, 0-3600000. Default 30000. */
  stopGraceMs?: number;
  /** Called with every log line (a job started, done, failed, handed back; a Redis error). */
  onEvent?: (event: QueueWorkerEvent) => void;
}

export interface ResolvedWorkerOptions {
  target: RedisTarget;
  roots: string[];
  queue: string;
  prefix: string | undefined;
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
  stopGraceMs: number;
  onEvent: ((event: QueueWorkerEvent) => void) | undefined;
}

const KNOWN = ['connection', 'roots', 'queue', 'prefix', 'concurrency', 'lockDuration', 'stalledInterval', 'stopGraceMs', 'onEvent'];

export function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalidOption(name, `an integer between ${min} and ${max}`, value);
  }
  return value as number;
}

/** A queue's name or key prefix: what BullMQ accepts in a key (no ':', as it separates key parts). */
export function checkQueueName(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(value)) {
    throw invalidOption(name, "a name of letters, digits, '_', '.' and '-' (1-100 characters), e.g. 'kmeans-seg'", value);
  }
  return value;
}

/**
 * Every option checked, the roots resolved to real folders, defaults filled in.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the option; ERR_OUTPUT_DIR for a root that is missing or no folder.
 */
export async function resolveWorkerOptions(options: QueueWorkerOptions): Promise<ResolvedWorkerOptions> {
  checkPlainObject(options, 'options', "an object such as { connection: 'redis://queue-host:6379', roots: ['/mnt/share'] }");
  checkOptionNames(options, KNOWN, 'startWorker');
  if (options.connection === undefined) throw invalidOption('connection', "a Redis URL such as 'redis://queue-host:6379'", undefined);
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw invalidOption('onEvent', 'a function', options.onEvent);
  return {
    target: resolveConnection(options.connection, 'connection'),
    roots: await resolveRoots(options.roots),
    queue: options.queue === undefined ? DEFAULT_QUEUE : checkQueueName(options.queue, 'queue'),
    prefix: options.prefix === undefined ? undefined : checkQueueName(options.prefix, 'prefix'),
    concurrency: integer(options.concurrency, 'concurrency', 1, 256, os.availableParallelism()),
    lockDuration: integer(options.lockDuration, 'lockDuration', 1000, 3_600_000, DEFAULT_LOCK_MS),
    stalledInterval: integer(options.stalledInterval, 'stalledInterval', 500, 3_600_000, DEFAULT_STALLED_MS),
    stopGraceMs: integer(options.stopGraceMs, 'stopGraceMs', 0, 3_600_000, DEFAULT_STOP_GRACE_MS),
    onEvent: options.onEvent,
  };
}
