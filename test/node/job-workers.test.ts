/**
 * The Node entry's job workers (src/node/): kmeans, segment, sweep and applyPalette run off the
 * calling thread by default and give the same bits as worker: false; progress comes back; an abort
 * from outside onProgress (a timer, a request's close) stops the run early. No assertion here depends
 * on a clock. Concurrent calls: test/loop/concurrent-calls.alone.ts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPalette, kmeans, KMeansSegError, segment, sweep, terminateWorkers, type KMeansResult, type Progress } from '../../src/index.js';
import { runningJobs } from '../../src/node/job-pool.js';
import { noiseImage } from '../helpers.js';
import { expectSame } from './same-result.js';

afterAll(async () => {
  await terminateWorkers();
});

/** This process's OS threads (Linux), or undefined elsewhere. */
function osThreads(): number | undefined {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}
const baseThreads = osThreads(); // before any job worker of this file started

// First, before any sharp call starts libvips threads that would blur the count.
describe('terminateWorkers', () => {
  it('ends every job worker and its pool threads (idle ones never hold the process); the next call starts anew', async () => {
    const img = noiseImage(200, 200, 4, 64);
    await Promise.all([1, 2, 3].map((seed) => kmeans(img, { k: 8, seed, threads: 2 })));
    expect(runningJobs()).toBe(0);
    await terminateWorkers();
    if (baseThreads !== undefined) {
      // Thread exit is asynchronous: poll for a while. At most, not exactly: libvips may end idle threads meanwhile.
      for (let i = 0; i < 100 && osThreads()! > baseThreads; i++) await new Promise((r) => setTimeout(r, 20));
      expect(osThreads()).toBeLessThanOrEqual(baseThreads);
    }
    expect((await kmeans(img, { k: 3 })).k).toBe(3);
  });
});

describe('a job worker gives what the calling thread gives', () => {
  const img = noiseImage(120, 80, 5, 12, 2);
  const cases = [
    { k: 6, seed: 1 },
    { k: 9, seed: 2, attempts: 3, colorSpace: 'oklab' as const },
    { k: 5, seed: 3, histogram: false, backend: 'js' as const },
    { k: 4, seed: 4, spatialWeight: 2 },
    { k: 7, seed: 5, minRegion: 6 },
    { k: 3, init: [[0, 0, 0], [128, 128, 128], [255, 255, 255]] as [number, number, number][] },
  ];
  for (const options of cases) {
    it(`kmeans ${JSON.stringify(options)}`, async () => {
      const here = await kmeans(img, { ...options, worker: false });
      const there = await kmeans(img, { ...options, worker: true });
      expectSame(there, here);
      expect(there.hasAlpha).toBe(true);
      if (options.minRegion) expect(there.regions()).toEqual(here.regions());
    });
  }

  it('never detaches or changes the caller\'s pixels', async () => {
    const copy = img.data.slice();
    await kmeans(img, { k: 4 });
    expect(img.data.byteLength).toBe(copy.byteLength);
    expect(Buffer.from(img.data).equals(Buffer.from(copy))).toBe(true);
  });

  it('segment, sweep and applyPalette: same results, files and labels', async () => {
    const opts = { k: 5, seed: 9 };
    const [a, b] = [await segment(img, { ...opts, worker: false }), await segment(img, opts)];
    expectSame(b, a);
    expect((await b.toBuffer()).equals(await a.toBuffer())).toBe(true);
    const [s1, s2] = [await sweep(img, { ks: [2, 4], seed: 1, worker: false }), await sweep(img, { ks: [2, 4], seed: 1 })];
    expect(s2.toJSON().results.map((r) => ({ ...r, ms: 0 }))).toEqual(s1.toJSON().results.map((r) => ({ ...r, ms: 0 })));
    s2.entries.forEach((e, i) => expectSame(e.result, s1.entries[i]!.result));
    const [p1, p2] = [await applyPalette(img, a, { worker: false }), await applyPalette(img, a)];
    expect(Array.from(p2.labels)).toEqual(Array.from(p1.labels));
    expect(p2.palette).toEqual(p1.palette);
    expect(Buffer.from(p2.toRGBA()).equals(Buffer.from(p1.toRGBA()))).toBe(true);
    expect((await p2.toBuffer()).equals(await p1.toBuffer())).toBe(true);
  });

  it('errors come back with their code and message', async () => {
    const clear = { data: new Uint8Array(16), width: 2, height: 2 };
    const here = await kmeans(clear, { worker: false }).catch((e: unknown) => e);
    const there = await kmeans(clear).catch((e: unknown) => e);
    expect(there).toBeInstanceOf(KMeansSegError);
    expect((there as KMeansSegError).code).toBe('ERR_INVALID_IMAGE');
    expect((there as Error).message).toBe((here as Error).message);
    await expect(kmeans(img, { worker: 'yes' as unknown as boolean })).rejects.toThrow('for worker but received');
    // Checked before the input is read: a missing file is not what it reports.
    for (const call of [segment, (i: string, o: object) => sweep(i, { ks: [2], ...o }), (i: string, o: object) => applyPalette(i, ['#000000'], o)]) {
      await expect(call('/no/such/image.png', { worker: 1 as unknown as boolean })).rejects.toThrow('for worker but received');
    }
  });
});

describe('progress', () => {
  const img = noiseImage(60, 40, 3, 32);

  it('every pass is reported on the calling thread, stage lloyd, as worker: false reports it', async () => {
    const seen: Progress[][] = [[], []];
    const opts = { k: 5, attempts: 2, tolerance: 0, seed: 4, maxIterations: 50 };
    const here = await kmeans(img, { ...opts, worker: false, onProgress: (p) => { seen[0]!.push({ ...p }); } });
    await kmeans(img, { ...opts, onProgress: (p) => { seen[1]!.push({ ...p }); } });
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[1]!.every((p) => p.stage === 'lloyd' && p.done === p.iteration && p.total === 50)).toBe(true);
    expect(seen[1]!.filter((p) => p.attempt === here.attempt).map((p) => p.inertia)).toEqual(here.history);
  });

  it('an onProgress that throws rejects with that very error, and the next call works', async () => {
    const boom = new Error('boom');
    await expect(kmeans(img, { k: 4, onProgress: () => { throw boom; } })).rejects.toBe(boom);
    expect((await kmeans(img, { k: 4 })).k).toBe(4);
  });
});

describe('abort', () => {
  // Long enough that a run has many passes: tolerance 0 on a photo-like spread of colours.
  const img = noiseImage(160, 120, 11, 64);
  const opts = { k: 24, seed: 2, tolerance: 0, maxIterations: 300, histogram: false };

  it('a signal aborted from outside onProgress rejects ERR_ABORTED after fewer passes than the full run', async () => {
    let full = 0;
    const reference = await kmeans(img, { ...opts, onProgress: () => { full++; } });
    expect(full).toBe(reference.iterations);
    expect(full).toBeGreaterThan(20);

    const controller = new AbortController();
    const reason = new Error('client went away');
    let passes = 0;
    // The abort comes from the event loop (as a timer or a socket's 'close' would), not from inside a pass.
    const error = await kmeans(img, { ...opts, signal: controller.signal, onProgress: () => {
      if (++passes === 1) setImmediate(() => controller.abort(reason));
    } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KMeansSegError);
    expect((error as KMeansSegError).code).toBe('ERR_ABORTED');
    expect((error as KMeansSegError).cause).toBe(reason);
    expect(passes).toBeLessThan(full);

    // Nothing is left broken or busy: the next call gives the reference bits, and then no job runs.
    expectSame(await kmeans(img, opts), reference);
    expect(runningJobs()).toBe(0);
  });

  it('an aborted signal rejects before any work; so does segment', async () => {
    const signal = AbortSignal.abort(new Error('already'));
    await expect(kmeans(img, { signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(segment(img, { signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });
});
