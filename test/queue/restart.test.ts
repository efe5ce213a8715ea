/**
 * Redis restarted mid-batch, its data lost (no persistence): the producer and the worker reconnect,
 * the producer adds again every job Redis lost (same ids), and the batch completes. The test runs a
 * private redis-server of its own, so the shared one stays up for the other files.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cli, REDIS_URL, doneIds, markRan, noiseImages, queueName, startWorker } from './helpers.js';
import { HAVE_REDIS_SERVER, RedisServer } from './redis-server.js';

let tmp = '';
let server: RedisServer | undefined;
const started: Cli[] = [];
afterAll(async () => {
  await Promise.all(started.map((w) => w.stop('SIGKILL')));
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const N = 30;
if (REDIS_URL && !HAVE_REDIS_SERVER) console.warn('restart.test.ts: skipping: redis-server is not on the PATH (this test restarts a server of its own)');

describe.skipIf(!REDIS_URL || !HAVE_REDIS_SERVER)('Redis restarted mid-batch', () => {
  it('the batch completes: lost jobs are added again, every output is written', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-restart-'));
    // Large enough (about 0.1-0.3 s each at K = 16) that the restart lands mid-batch.
    await noiseImages(path.join(tmp, 'in'), N, 'n', 192, 144);
    server = await RedisServer.start();
    const queue = queueName('restart');
    const worker = await startWorker(server.url, queue, [tmp]);
    started.push(worker);
    const reportFile = path.join(tmp, 'report.json');
    const producer = new Cli(['batch', path.join(tmp, 'in', '*.png'), '-k', '16', '-o', path.join(tmp, 'out'),
      '--redis', server.url, '--queue', queue, '--report', reportFile]);
    started.push(producer);

    await worker.waitFor(/ done /, 60_000, 5);
    expect(new Set(doneIds(worker.stderr)).size, 'the restart comes mid-batch').toBeLessThan(N - 5);
    await server.down();
    await new Promise((r) => setTimeout(r, 1000));
    await server.restart();
    expect(await producer.exited, producer.stderr).toBe(0);

    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { done: number; failed: number };
    expect([report.done, report.failed]).toEqual([N, 0]);
    expect((await readdir(path.join(tmp, 'out'))).filter((f) => f.endsWith('.png')).length).toBe(N);
    // The worker went on through the outage and did every file (some maybe twice: those Redis lost
    // the completion of, which is what an output written atomically makes harmless).
    expect(new Set(doneIds(worker.stderr)).size).toBe(N);
    expect(worker.stderr).toMatch(/queue error \(retrying\)/);
    expect(await worker.stop()).toBe(0);
    markRan(import.meta.url);
  }, 90_000);
});
