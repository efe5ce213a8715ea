/**
 * Three worker processes on a real Redis, one of them SIGKILLed in the middle of a job: BullMQ's
 * stalled check gives the job to another, every output is byte-identical to a local batch's, and
 * each job ran to completion (output renamed into place, then reported) exactly once.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatch } from '../../src/batch/batch.js';
import { Cli, REDIS_URL, doneIds, markRan, noiseImages, queueName, startWorker } from './helpers.js';

let tmp = '';
const started: Cli[] = [];
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop('SIGKILL')));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!REDIS_URL)('kmeans-seg worker x 3, one SIGKILLed mid-job', () => {
  it('completes all 60 files, byte-identical to a local batch, each job done exactly once', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-kill-'));
    const input = path.join(tmp, 'in');
    await noiseImages(input, 30, 'n', 64, 48, 0);
    // One larger file in the middle, so that its worker is surely busy with it when it is killed.
    await noiseImages(input, 1, 'n', 640, 480, 30);
    await noiseImages(input, 29, 'n', 64, 48, 31);
    const reference = await runBatch(path.join(input, '*.png'), { output: path.join(tmp, 'local'), k: 4 });
    expect(reference.done).toBe(60);

    const queue = queueName('kill');
    const workers = await Promise.all([0, 1, 2].map(() => startWorker(REDIS_URL, queue, [tmp])));
    started.push(...workers);
    const reportFile = path.join(tmp, 'report.json');
    const producer = new Cli(['batch', path.join(input, '*.png'), '-k', '4', '-o', path.join(tmp, 'out'), '--redis', REDIS_URL,
      '--queue', queue, '--report', reportFile]);
    started.push(producer);

    // Whichever worker starts the large file is killed then, mid-job.
    const big = /start \S*n030\.png/;
    const victim = await Promise.any(workers.map((w) => w.waitFor(big, 60_000).then(() => w)));
    victim.child.kill('SIGKILL');
    expect(await producer.exited, producer.stderr).toBe(0);

    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { done: number; files: { input: string; status: string; host?: string }[] };
    expect(report.done).toBe(60);
    expect(report.files.every((f) => f.status === 'done' && typeof f.host === 'string' && f.host !== '')).toBe(true);
    const outputs = (await readdir(path.join(tmp, 'out'))).filter((f) => !f.startsWith('.')).sort();
    expect(outputs).toEqual((await readdir(input)).sort());
    for (const name of outputs) {
      const [ours, local] = await Promise.all([readFile(path.join(tmp, 'out', name)), readFile(path.join(tmp, 'local', name))]);
      expect(ours.equals(local), name).toBe(true);
    }

    // Each job renamed its output into place and reported it once: the victim never finished the
    // large file, a survivor did (after the stalled check put it back), and no file was done twice.
    const survivors = workers.filter((w) => w !== victim);
    await Promise.all(survivors.map((w) => w.stop()));
    const done = workers.flatMap((w) => doneIds(w.stderr));
    expect(done.length).toBe(60);
    expect(new Set(done).size).toBe(60);
    expect(victim.stderr).not.toMatch(/done \S*n030\.png/);
    expect(survivors.some((w) => /done \S*n030\.png/.test(w.stderr))).toBe(true);
    expect(survivors.some((w) => /stalled/.test(w.stderr)), survivors.map((w) => w.stderr).join('\n')).toBe(true);
    for (const w of survivors) expect(await w.exited).toBe(0);
    markRan(import.meta.url);
  }, 120_000);
});
