/**
 * 16 concurrent calls share the cores: every call's first onProgress comes before the first call
 * resolves, and each gives the bits it gives alone; a 17th, aborted while it waits for a worker,
 * leaves the queue at once. No clock, but it depends on how the OS schedules 16 threads, so it runs
 * alone (see vitest.config.ts here), not beside other test files that load the cores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { kmeans, terminateWorkers, type KMeansResult, type KMeansSegError } from '../../src/index.js';
import { keepIdleWorkers, runningJobs } from '../../src/node/job-pool.js';
import { noiseImage } from '../helpers.js';
import { expectSame } from '../node/same-result.js';

afterAll(async () => {
  await terminateWorkers();
});

describe('16 concurrent calls', () => {
  it('all start before the first ends, and each gives the bits it gives alone', async () => {
    // Each call's passes (the TS kernel over every pixel, a cheap random start) take far longer than
    // what comes before the first, so a fair share shows as every first pass before any last one.
    const img = noiseImage(100, 75, 21, 64);
    const opts = (i: number) => ({ k: 32, seed: i, init: 'random' as const, tolerance: 0, maxIterations: 300, histogram: false, backend: 'js' as const });
    const alone: KMeansResult[] = [];
    for (let i = 0; i < 16; i++) alone.push(await kmeans(img, { ...opts(i), worker: false }));
    // 16 warm workers first, so what is measured is how calls share the cores, not how long each
    // worker takes to start and compile its code (under tsx, a second or more on a busy machine).
    const before = keepIdleWorkers(16);
    try {
      await Promise.all(Array.from({ length: 16 }, () => kmeans(img, { ...opts(0), maxIterations: 2 }))); // and their code compiled
      const events: string[] = [];
      const calls = Array.from({ length: 16 }, (_, i) => {
        let first = true;
        return kmeans(img, { ...opts(i), onProgress: () => { if (first) events.push(`progress ${i}`); first = false; } })
          .then((r) => { events.push(`done ${i}`); return r; });
      });
      // A 17th call waits for a worker; aborted while it waits, it leaves the queue at once.
      const controller = new AbortController();
      const queued = kmeans(img, { ...opts(16), signal: controller.signal }).catch((e: unknown) => { events.push(`rejected ${(e as KMeansSegError).code}`); });
      setImmediate(() => controller.abort());
      const results = await Promise.all(calls);
      await queued;
      const firstDone = events.findIndex((e) => e.startsWith('done'));
      for (let i = 0; i < 16; i++) expect(events.indexOf(`progress ${i}`), `call ${i}: ${events.join(', ')}`).toBeLessThan(firstDone);
      expect(events).toContain('rejected ERR_ABORTED');
      expect(events.indexOf('rejected ERR_ABORTED')).toBeLessThan(firstDone);
      results.forEach((r, i) => expectSame(r, alone[i]!));
      expect(runningJobs()).toBe(0);
    } finally {
      keepIdleWorkers(before);
    }
  });
});
