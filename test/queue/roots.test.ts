/**
 * What a worker refuses, on a real Redis: a file whose real path (links followed) lies outside every
 * --root, a job of another name, bad settings. Each fails at its first attempt, with a typed code.
 * The worker's Redis URL holds a password, which no line it prints may show.
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch } from '../../src/batch/batch.js';
import { Cli, REDIS_URL, markRan, noiseImages, queueName, startWorker } from './helpers.js';
import { freePort } from './redis-server.js';

const SECRET = 'pw-SECRET-4711';
let tmp = '', inside = '', outside = '';
let worker: Cli | undefined;
let q: Queue | undefined, events: QueueEvents | undefined;
const queue = queueName('roots');

/** REDIS_URL with a password: Redis without one answers AUTH with an error that ioredis lets pass. */
const withPassword = (url: string): string => { const u = new URL(url); u.password = SECRET; return u.href; };

describe.skipIf(!REDIS_URL)('a worker refuses what lies outside its roots', () => {
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-roots-'));
    inside = path.join(tmp, 'share');
    outside = path.join(tmp, 'elsewhere');
    await noiseImages(inside, 2, 'in');
    await noiseImages(outside, 1, 'secret');
    await mkdir(path.join(inside, 'out'));
    await symlink(path.join(outside, 'secret000.png'), path.join(inside, 'link.png'));
    worker = await startWorker(withPassword(REDIS_URL), queue, [inside], 2);
    q = new Queue(queue, { connection: { url: REDIS_URL } });
    events = new QueueEvents(queue, { connection: { url: REDIS_URL } });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await q?.obliterate({ force: true }).catch(() => undefined);
    await Promise.all([q?.close(), events?.close()]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('batch() with a queue: the file outside the root fails with ERR_OUTSIDE_ROOT, at once; the other is done', async () => {
    const report = await batch([path.join(inside, 'in000.png'), path.join(outside, 'secret000.png')],
      { output: path.join(inside, 'out'), k: 3, queue: { connection: REDIS_URL, name: queue, retryDelayMs: 10 } });
    expect(report.files.map((f) => f.status)).toEqual(['done', 'failed']);
    expect(report.files[1]).toMatchObject({ attempts: 1, error: { code: 'ERR_OUTSIDE_ROOT' } });
    expect(report.files[1]!.error!.message).toContain(outside);
  });

  /** Add a job as any Redis client could, and wait for its end. */
  async function rawJob(name: string, data: unknown): Promise<{ reason: string; attempts: number }> {
    const job = await q!.add(name, data, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    const reason = await job.waitUntilFinished(events!, 30_000).then(() => 'completed', (e: Error) => e.message);
    return { reason, attempts: (await q!.getJob(job.id!))!.attemptsMade };
  }
  const payload = (input: string, output = path.join(inside, 'out', 'x.png'), options: unknown = { k: 3 }): unknown =>
    ({ version: 1, input: { kind: 'path', path: input }, output: { kind: 'path', path: output }, options, palette: null });

  it('a job naming a link inside the root that leads outside is refused, without a retry', async () => {
    const r = await rawJob('segment', payload(path.join(inside, 'link.png')));
    expect(r.reason).toMatch(/^ERR_OUTSIDE_ROOT: .*link\.png.*leads to.*secret000\.png/);
    expect(r.attempts).toBe(1);
  });

  it('an output folder outside the root is refused', async () => {
    const r = await rawJob('segment', payload(path.join(inside, 'in001.png'), path.join(outside, 'x.png')));
    expect(r.reason).toMatch(/^ERR_OUTSIDE_ROOT: The job's output folder/);
    expect(r.attempts).toBe(1);
  });

  it('another job name, a newer version, bad options or a relative path: ERR_INVALID_OPTION, no retry', async () => {
    const good = path.join(inside, 'in001.png');
    const cases: [string, unknown, RegExp][] = [
      ['rm-rf', payload(good), /run only "segment" jobs/],
      ['segment', { ...(payload(good) as object), version: 2 }, /version is 2/],
      ['segment', payload(good, undefined, { k: 'eight' }), /for k but received "eight"/],
      ['segment', payload(good, undefined, { k: 3, threads: 8 }), /threads/],
      ['segment', payload('in001.png'), /absolute/],
      ['segment', payload(good, path.join(inside, 'out', 'x.exe')), /does not end in/],
    ];
    for (const [name, data, why] of cases) {
      const r = await rawJob(name, data);
      expect(r.reason, name).toMatch(/^ERR_INVALID_OPTION: /);
      expect(r.reason, name).toMatch(why);
      expect(r.attempts, name).toBe(1);
    }
  });

  it('the password is never printed: not by the worker, nor when Redis cannot be reached', async () => {
    expect(worker!.stderr).toMatch(/on redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    expect(worker!.stderr).toMatch(/ done /);
    const port = await freePort();
    const failed = new Cli(['batch', path.join(inside, 'in000.png'), '-o', path.join(tmp, 'x'), '--redis', `redis://user:${SECRET}@127.0.0.1:${port}`]);
    expect(await failed.exited).toBe(1);
    expect(failed.stderr).toContain(`Cannot reach Redis at redis://user:***@127.0.0.1:${port} (ECONNREFUSED)`);
    expect(await worker!.stop()).toBe(0);
    for (const text of [worker!.stderr, worker!.stdout, failed.stderr, failed.stdout]) expect(text).not.toContain(SECRET);
    markRan(import.meta.url);
  });
});
