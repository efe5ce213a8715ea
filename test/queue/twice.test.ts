/**
 * Enqueuing the same batch twice does no work twice: two producers at once share the jobs (their ids
 * come from input, output and settings), a rerun skips the outputs, and --force redoes each file once.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { Cli, REDIS_URL, doneIds, markRan, noiseImages, queueName, startWorker } from './helpers.js';

let tmp = '';
const started: Cli[] = [];
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop('SIGKILL')));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const N = 20;

describe.skipIf(!REDIS_URL)('the same batch enqueued twice', () => {
  it('two producers at once: N jobs, each run once, both reports complete; reruns skip, --force redoes once', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-twice-'));
    await noiseImages(path.join(tmp, 'in'), N);
    const queue = queueName('twice');
    const args = (report: string, ...more: string[]): string[] => ['batch', path.join(tmp, 'in', '*.png'), '-k', '3', '-o', path.join(tmp, 'out'),
      '--redis', REDIS_URL, '--queue', queue, '--report', path.join(tmp, report), ...more];
    const q = new Queue(queue, { connection: { url: REDIS_URL } });
    try {
      // Both producers enqueue before any worker runs, so the second meets the first one's jobs waiting.
      const a = new Cli(args('a.json')), b = new Cli(args('b.json'));
      started.push(a, b);
      const deadline = Date.now() + 30_000;
      while ((await q.getWaitingCount()) < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1000));
      expect(await q.getWaitingCount()).toBe(N);

      const worker = await startWorker(REDIS_URL, queue, [tmp], 2);
      started.push(worker);
      expect([await a.exited, await b.exited], a.stderr + b.stderr).toEqual([0, 0]);
      for (const r of ['a.json', 'b.json']) expect((JSON.parse(await readFile(path.join(tmp, r), 'utf8')) as { done: number }).done, r).toBe(N);
      expect(await q.getCompletedCount()).toBe(N);
      expect(new Set(doneIds(worker.stderr)).size).toBe(N);
      expect(doneIds(worker.stderr).length).toBe(N);

      // A rerun finds every output made with these settings: nothing is enqueued.
      const again = new Cli(args('c.json'));
      expect(await again.exited, again.stderr).toBe(0);
      expect((JSON.parse(await readFile(path.join(tmp, 'c.json'), 'utf8')) as { skipped: number }).skipped).toBe(N);
      // --force redoes each file once: the finished jobs are replaced by new ones under the same ids.
      const forced = new Cli(args('d.json', '--force'));
      expect(await forced.exited, forced.stderr).toBe(0);
      expect((JSON.parse(await readFile(path.join(tmp, 'd.json'), 'utf8')) as { done: number }).done).toBe(N);
      expect(await q.getCompletedCount()).toBe(N);
      await worker.stop();
      const ids = doneIds(worker.stderr);
      expect(ids.length).toBe(2 * N);
      expect(new Set(ids).size).toBe(N);
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
    markRan(import.meta.url);
  }, 90_000);
});
