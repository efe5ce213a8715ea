/**
 * SIGTERM stops a worker gracefully, on a real Redis: with a grace period it finishes its running
 * job, without one it hands the job back to the queue (no attempt used), and it exits 0 either way.
 * Ctrl-C on the producer reports what is done and leaves the jobs queued, or removes them with
 * --cancel-on-exit.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Cli, REDIS_URL, markRan, noiseImages, queueName, startWorker } from './helpers.js';

let tmp = '';
const started: Cli[] = [];
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop('SIGKILL')));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!REDIS_URL)('kmeans-seg worker on SIGTERM', () => {
  it('hands its job back without a grace period, finishes it with one, and exits 0', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-stop-'));
    // Large enough that a job is still running when the signal comes.
    await noiseImages(path.join(tmp, 'in'), 2, 'n', 800, 600);
    const queue = queueName('stop');
    const reportFile = path.join(tmp, 'report.json');
    const producer = new Cli(['batch', path.join(tmp, 'in', '*.png'), '-k', '8', '-o', path.join(tmp, 'out'),
      '--redis', REDIS_URL, '--queue', queue, '--report', reportFile]);
    started.push(producer);

    const a = await startWorker(REDIS_URL, queue, [tmp], 1, ['--stop-grace', '0']);
    started.push(a);
    await a.waitFor(/start \S*n000\.png \(attempt 1 of 3\)/);
    expect(await a.stop()).toBe(0);
    expect(a.stderr).toMatch(/handed back \S*n000\.png/);
    expect(a.stderr).not.toMatch(/ done /);

    const b = await startWorker(REDIS_URL, queue, [tmp]);
    started.push(b);
    // The job handed back used no attempt.
    await b.waitFor(/start \S*n000\.png \(attempt 1 of 3\)/);
    expect(await b.stop()).toBe(0);
    expect(b.stderr).toMatch(/done \S*n000\.png[^]*stopped/);
    expect(b.stderr).not.toMatch(/n001/);

    const c = await startWorker(REDIS_URL, queue, [tmp]);
    started.push(c);
    expect(await producer.exited, producer.stderr).toBe(0);
    expect((JSON.parse(await readFile(reportFile, 'utf8')) as { done: number }).done).toBe(2);
    expect(c.stderr).toMatch(/done \S*n001\.png/);
    expect(await c.stop()).toBe(0);
    markRan(import.meta.url);
  }, 90_000);

  it('Ctrl-C on the producer: exit 130, an interrupted report, the jobs left queued; --cancel-on-exit removes them', async () => {
    const queue = queueName('ctrl-c');
    await noiseImages(path.join(tmp, 'ctrl-c'), 3);
    const q = new Queue(queue, { connection: { url: REDIS_URL } });
    const waiting = async (n: number): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while ((await q.getWaitingCount()) !== n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    const producer = (report: string, ...more: string[]): Cli => new Cli(['batch', path.join(tmp, 'ctrl-c', '*.png'), '-o', path.join(tmp, 'ctrl-c-out'),
      '--redis', REDIS_URL, '--queue', queue, '--report', path.join(tmp, report), ...more]);
    try {
      const first = producer('c1.json');
      started.push(first);
      await waiting(3);
      expect(await first.stop('SIGINT')).toBe(130);
      const report = JSON.parse(await readFile(path.join(tmp, 'c1.json'), 'utf8')) as { interrupted: boolean; cancelled: number; warnings: string[] };
      expect(report).toMatchObject({ interrupted: true, cancelled: 3 });
      expect(report.warnings.join('\n')).toMatch(/3 jobs .* left in queue/);
      await new Promise((r) => setTimeout(r, 300));
      expect(await q.getWaitingCount()).toBe(3);

      // The same batch again finds its jobs waiting; Ctrl-C with --cancel-on-exit removes them.
      const second = producer('c2.json', '--cancel-on-exit');
      started.push(second);
      // Once its QueueEvents connection is there, it is past planning and on the queue.
      const redis = new Redis(REDIS_URL);
      const name = `name=bull:${Buffer.from(queue).toString('base64')}:qe`;
      const deadline = Date.now() + 30_000;
      while (!(await redis.client('LIST') as string).includes(name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      redis.disconnect();
      expect(await second.stop('SIGINT')).toBe(130);
      expect((JSON.parse(await readFile(path.join(tmp, 'c2.json'), 'utf8')) as { warnings: string[] }).warnings.join('\n')).toMatch(/3 removed from the queue/);
      expect(await q.getWaitingCount()).toBe(0);
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
  }, 60_000);
});
