// How a queued batch reaches Redis: a URL or BullMQ connection options, shown with its password hidden,
// and bullmq / ioredis loaded only when a queue is used. Invariant: no password given here reaches a
// message, a log line or a report (show() and scrub() are the only ways out).
import type { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { KMeansSegError } from '../../errors.js';
import { errnoCode } from '../../io/error-text.js';
import { invalidOption, quote } from '../../validate.js';

/** A Redis URL (`redis://[user:password@]host[:port][/db]`, `rediss://` for TLS), or BullMQ's connection options (ioredis options, or a client). */
export type QueueConnection = string | object;

/** A connection as BullMQ takes it, and how messages name it. */
export interface RedisTarget {
  /** ioredis options (a copy, with `maxRetriesPerRequest: null`), or the client given. */
  options: Record<string, unknown>;
  /** `redis://user:***@host:6379/0`, `host:port`, or "the Redis client given". */
  shown: string;
}

/** Where a URL without a password takes one from, so that it stays out of `ps` and shell history. */
export const PASSWORD_ENV = 'KMEANS_SEG_REDIS_PASSWORD';

/** Every password seen, so that scrub() can take it out of any text (a library's error message). */
const secrets = new Set<string>();

/** `text` with every password this process was given replaced by `***`. */
export function scrub(text: string): string {
  let out = text;
  for (const s of secrets) {
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('***');
  }
  return out;
}

function remember(password: unknown): void {
  if (typeof password === 'string' && password !== '') secrets.add(password);
}

/**
 * The connection of `queue.connection` or `--redis`, checked.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION for a URL that does not parse or is not redis:// or
 *   rediss://, or a value that is neither a URL nor an object; the URL itself is never shown.
 */
export function resolveConnection(connection: unknown, name = 'queue.connection', env = process.env): RedisTarget {
  if (typeof connection === 'string') return fromUrl(connection, name, env);
  if (connection === null || typeof connection !== 'object' || Array.isArray(connection)) {
    throw invalidOption(name, "a Redis URL such as 'redis://queue-host:6379', or BullMQ connection options such as { host, port }", connection);
  }
  const given = connection as Record<string, unknown>;
  if (typeof given.duplicate === 'function') return { options: given, shown: 'the Redis client given' };
  remember(given.password);
  const host = typeof given.host === 'string' ? given.host : '127.0.0.1';
  const port = typeof given.port === 'number' ? given.port : 6379;
  return { options: { ...given, maxRetriesPerRequest: null }, shown: `${host}:${port}` };
}

function fromUrl(text: string, name: string, env: NodeJS.ProcessEnv): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Never echoed: it may hold a password.
    throw new KMeansSegError('ERR_INVALID_OPTION', `Expected a Redis URL such as 'redis://queue-host:6379' for ${name}, but the value given does not parse as a URL (not shown: it may hold a password)`);
  }
  const password = url.password !== '' ? decodeURIComponent(url.password) : env[PASSWORD_ENV];
  remember(password);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new KMeansSegError('ERR_INVALID_OPTION', `Expected a redis:// or rediss:// URL for ${name} but received one of scheme ${quote(url.protocol)}: e.g. redis://queue-host:6379`);
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) {
    throw new KMeansSegError('ERR_INVALID_OPTION', `Expected a database number (0-99) after the host of ${name} but received ${quote(db)}: e.g. redis://queue-host:6379/0`);
  }
  const options: Record<string, unknown> = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    maxRetriesPerRequest: null,
  };
  if (url.username !== '') options.username = decodeURIComponent(url.username);
  if (password !== undefined && password !== '') options.password = password;
  if (db !== '') options.db = Number(db);
  if (url.protocol === 'rediss:') options.tls = {};
  const auth = url.username !== '' || password ? `${url.username}${password ? ':***' : ''}@` : '';
  return { options, shown: `${url.protocol}//${auth}${url.host}${db !== '' ? `/${db}` : ''}` };
}

/** What bullmq exports, typed from its own declarations (present as a devDependency when building). */
export type BullMQ = typeof import('bullmq');

/**
 * bullmq and ioredis, loaded on first use: a local batch never loads them.
 *
 * @throws {KMeansSegError} ERR_BACKEND naming the command that installs them, when either is missing.
 */
export async function loadBullMQ(): Promise<BullMQ> {
  try {
    await import('ioredis');
    return await import('bullmq');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (errnoCode(error) === 'ERR_MODULE_NOT_FOUND' && /bullmq|ioredis/.test(message)) {
      throw new KMeansSegError('ERR_BACKEND',
        'Queued batches (--redis, or the queue option) need the optional packages bullmq and ioredis, which are not installed: ' +
        'run npm install bullmq ioredis where kmeans-seg is installed (npm install -g bullmq ioredis for a global kmeans-seg), then try again',
        { cause: error });
    }
    throw error;
  }
}

/**
 * Wait until `client` is connected (status 'ready'), failing on its first connection error or after
 * `timeoutMs`: a wrong host or port is said at once rather than retried in silence.
 *
 * @throws {KMeansSegError} ERR_BACKEND naming the connection (password hidden) and the cause.
 */
export async function waitConnected(client: ReadyEmitter, shown: string, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup();
      reject(new KMeansSegError('ERR_BACKEND', scrub(`Cannot reach Redis at ${shown} (${why}): start it, or check --redis / queue.connection (host, port, password)`)));
    };
    const onReady = (): void => { cleanup(); resolve(); };
    const onError = (error: Error): void => fail(errnoCode(error) ?? error.message);
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    const cleanup = (): void => { clearTimeout(timer); client.off('ready', onReady); client.off('error', onError); };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

/**
 * Check that Redis answers, on a connection of its own that does not retry, so that a wrong host,
 * port or password is said at once (BullMQ's own connections retry for ever, as they should once
 * running). A client given as the connection is waited on instead.
 *
 * @throws {KMeansSegError} ERR_BACKEND naming the connection (password hidden) and the cause.
 */
export async function probeRedis(target: RedisTarget, timeoutMs = 10_000): Promise<void> {
  if (typeof target.options.duplicate === 'function') {
    await waitConnected(target.options as unknown as ReadyEmitter, target.shown, timeoutMs);
    return;
  }
  const client = await openRedis(target, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: timeoutMs });
  client.on('error', () => undefined); // reported by waitConnected
  try {
    const connected = waitConnected(client, target.shown, timeoutMs);
    client.connect().catch(() => undefined);
    await connected;
    await client.ping().catch((error: Error) => { throw new KMeansSegError('ERR_BACKEND', scrub(`Redis at ${target.shown} refused a command (${error.message}): check the password and user`)); });
  } finally {
    client.disconnect();
  }
}

/** An ioredis client of its own for `target` (a duplicate of the client given, if one was), with `extra` options. */
export async function openRedis(target: RedisTarget, extra: Record<string, unknown> = {}): Promise<Redis> {
  if (typeof target.options.duplicate === 'function') return (target.options as unknown as Redis).duplicate(extra);
  const { Redis: Client } = await import('ioredis');
  return new Client({ ...target.options, ...extra });
}

/** The part of an ioredis client that waitConnected uses. */
export type ReadyEmitter = EventEmitter & { status: string };
