/**
 * The calling thread's event loop stays free while kmeans() and segment() work on a moderate image:
 * the longest stall monitorEventLoopDelay sees stays under a generous 250 ms (bench/event-loop.ts
 * reports the real figure on 12 MP). The only test that asserts a time: it runs alone (see
 * vitest.config.ts here), and one retry absorbs a machine that was briefly busy.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, expect, it } from 'vitest';
import { kmeans, segment, terminateWorkers } from '../../src/index.js';
import { noiseImage } from '../helpers.js';

afterAll(async () => {
  await terminateWorkers();
});

async function maxDelay(work: () => Promise<unknown>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  await work();
  await new Promise((resolve) => setTimeout(resolve, 20)); // a stall is recorded when the loop next runs
  h.disable();
  return h.max / 1e6;
}

it('a 2 MP run (kmeans, then segment and toBuffer) never stalls the event loop for 250 ms', { retry: 1 }, async () => {
  const image = noiseImage(1600, 1200, 7, 40);
  await kmeans(image, { k: 2, maxIterations: 1 }); // the job worker started: what is measured is the run
  const ms = await maxDelay(async () => {
    const r = await kmeans(image, { k: 32, seed: 1, maxIterations: 60 });
    expect(r.k).toBe(32);
    const s = await segment(image, { k: 16, seed: 2, maxIterations: 40 });
    await s.toBuffer();
  });
  expect(ms).toBeLessThan(250);
});
