// The `queue` option of batch() (`--redis` and its flags): which queue, how many attempts a job gets,
// and what an abort does to the jobs. Invariant: checked before any work, without loading bullmq.
import { checkOptionNames, checkPlainObject, invalidOption } from '../../validate.js';
import { resolveConnection, type QueueConnection, type RedisTarget } from './connection.js';
import { DEFAULT_QUEUE } from './payload.js';
import { checkQueueName, integer } from './worker-options.js';

/** Attempts a job gets by default: one, and two retries for failures a retry can mend (a share not mounted, a full disk). */
export const DEFAULT_ATTEMPTS = 3;
/** The first retry's delay; each next one doubles it. */
export const DEFAULT_RETRY_DELAY_MS = 1000;

export interface QueueOptions {
  /** Where the queue is: a Redis URL (`redis://[user:password@]host:6379[/db]`, `rediss://` for TLS) or BullMQ connection options. Required. */
  connection: QueueConnection;
  /** The queue's name, the same as the workers'. Default 'kmeans-seg'. */
  name?: string;
  /** BullMQ's key prefix. Default 'bull'. */
  prefix?: string;
  /** Times a job is tried before it lands in the failed set, 1-100. Bad files (ERR_DECODE and the like) fail at the first. Default 3. */
  attempts?: number;
  /** Milliseconds before the first retry, doubled for each next one, 0-3600000. Default 1000. */
  retryDelayMs?: number;
  /** After the signal, remove the jobs of this batch that no worker has started. Default false: they stay queued, and the workers run them. */
  cancelOnExit?: boolean;
  /** Milliseconds without news after which the producer asks Redis for the state of its jobs (events can be lost when Redis restarts), 100-600000. Default 5000. */
  pollMs?: number;
}

export interface ResolvedQueue {
  target: RedisTarget;
  name: string;
  prefix: string | undefined;
  attempts: number;
  retryDelayMs: number;
  cancelOnExit: boolean;
  pollMs: number;
}

const KNOWN = ['connection', 'name', 'prefix', 'attempts', 'retryDelayMs', 'cancelOnExit', 'pollMs'];

/**
 * The queue option, checked.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the field (queue.attempts...); a URL is never shown.
 */
export function resolveQueueOptions(queue: unknown): ResolvedQueue {
  checkPlainObject(queue, 'queue', "an object such as { connection: 'redis://queue-host:6379' }");
  checkOptionNames(queue, KNOWN, 'batch: queue');
  const q = queue as Partial<QueueOptions>;
  if (q.connection === undefined) throw invalidOption('queue.connection', "a Redis URL such as 'redis://queue-host:6379'", undefined);
  if (q.cancelOnExit !== undefined && typeof q.cancelOnExit !== 'boolean') throw invalidOption('queue.cancelOnExit', 'true or false', q.cancelOnExit);
  return {
    target: resolveConnection(q.connection, 'queue.connection'),
    name: q.name === undefined ? DEFAULT_QUEUE : checkQueueName(q.name, 'queue.name'),
    prefix: q.prefix === undefined ? undefined : checkQueueName(q.prefix, 'queue.prefix'),
    attempts: integer(q.attempts, 'queue.attempts', 1, 100, DEFAULT_ATTEMPTS),
    retryDelayMs: integer(q.retryDelayMs, 'queue.retryDelayMs', 0, 3_600_000, DEFAULT_RETRY_DELAY_MS),
    cancelOnExit: q.cancelOnExit ?? false,
    pollMs: integer(q.pollMs, 'queue.pollMs', 100, 600_000, 5000),
  };
}
