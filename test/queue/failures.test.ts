/**
 * Failing jobs on a real Redis: a file that is no image fails at its first attempt (a retry cannot
 * fix ERR_DECODE), one that a retry might fix (missing on this host) fails after --job-attempts
 * tries, both land in the failed set and in the report with their code, and the batch exits 1.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { Cli, REDIS_URL, markRan, noiseImages, queueName, startWorker } from './helpers.js';

let tmp = '';
const started: Cli[] = [];
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop('SIGKILL')));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Report { failed: number; done: number; files: { input: string; status: string; attempts?: number; host?: string; error?: { code: string | null; message: string } }[] }

describe.skipIf(!REDIS_URL)('failing jobs', () => {
  it('a poisoned file fails without retries, a missing one after 3 attempts; both reported, exit 1', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-fail-'));
    const input = path.join(tmp, 'in');
    await noiseImages(input, 3);
    const poisoned = path.join(input, 'poisoned.png');
    await writeFile(poisoned, 'this is text, not a PNG\n');
    const missing = path.join(input, 'missing.png');
    const queue = queueName('fail');
    const worker = await startWorker(REDIS_URL, queue, [tmp], 2);
    started.push(worker);
    const reportFile = path.join(tmp, 'report.json');
    const producer = new Cli(['batch', path.join(input, 'n*.png'), poisoned, missing, '-k', '3', '-o', path.join(tmp, 'out'),
      '--redis', REDIS_URL, '--queue', queue, '--job-attempts', '3', '--retry-delay', '50', '--report', reportFile]);
    started.push(producer);
    expect(await producer.exited, producer.stderr).toBe(1);

    const report = JSON.parse(await readFile(reportFile, 'utf8')) as Report;
    expect([report.done, report.failed]).toEqual([3, 2]);
    const byInput = new Map(report.files.map((f) => [path.basename(f.input), f]));
    expect(byInput.get('poisoned.png')).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'ERR_DECODE' } });
    expect(byInput.get('poisoned.png')!.error!.message).toMatch(/not an image/);
    expect(byInput.get('poisoned.png')!.host).toBe(os.hostname());
    expect(byInput.get('missing.png')).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'ERR_INPUT_NOT_FOUND' } });
    expect(producer.stderr).toMatch(/failed: \S*poisoned\.png/);

    // The worker tried the poisoned file once and the missing one three times.
    expect(worker.stderr.match(/start \S*poisoned\.png/g)?.length).toBe(1);
    expect(worker.stderr).toMatch(/poisoned\.png: ERR_DECODE: .*no retry/);
    expect(worker.stderr.match(/refused "\S*missing\.png"/g)?.length).toBe(3);

    // Both are in BullMQ's failed set, where a dashboard shows them.
    const q = new Queue(queue, { connection: { url: REDIS_URL } });
    try {
      const failed = await q.getFailed();
      expect(failed.map((j) => path.basename((j.data as { input: { path: string } }).input.path)).sort()).toEqual(['missing.png', 'poisoned.png']);
      expect(failed.find((j) => j.failedReason.startsWith('ERR_DECODE: '))?.attemptsMade).toBe(1);
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
    expect(await worker.stop()).toBe(0);
    markRan(import.meta.url);
  }, 90_000);
});
