/**
 * The job workers' staging areas (src/node/staging.ts): the pixels a call copies into shared memory
 * for its worker. A reused area must never show a call another call's pixels, nor a result keep a
 * view of it; an abort between two slices leaves the worker reusable. No assertion depends on a clock.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { applyPalette, kmeans, KMeansSegError, terminateWorkers } from '../../src/index.js';
import { runningJobs } from '../../src/node/job-pool.js';
import { ship, stageUpTo, Staging, STAGING_MAX_BYTES } from '../../src/node/staging.js';
import { noiseImage } from '../helpers.js';
import { expectSame } from './same-result.js';

afterAll(async () => {
  await terminateWorkers();
});

describe('Staging', () => {
  it('gives a view of exactly the source, of its kind, over one area reused while it fits', async () => {
    const area = new Staging();
    const big = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 7) & 255);
    const a = await area.fill(big, undefined);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(a).equals(Buffer.from(big))).toBe(true);
    const small = new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]);
    const b = await area.fill(small, undefined);
    expect(b).toBeInstanceOf(Uint8ClampedArray);
    expect(b.buffer).toBe(a.buffer); // reused: its pages stay warm
    expect(Array.from(b)).toEqual(Array.from(small)); // the view ends where the source does: nothing stale shows
    const bigger = new Uint8Array(a.buffer.byteLength + 1);
    expect((await area.fill(bigger, undefined)).buffer).not.toBe(a.buffer);
    expect(area.bytes).toBeGreaterThanOrEqual(bigger.length);
  });

  it('stops between two slices once the signal aborts, with ERR_ABORTED', async () => {
    const area = new Staging();
    const controller = new AbortController();
    setImmediate(() => controller.abort(new Error('gone'))); // runs after the first slice, before the second
    const err = await area.fill(new Uint8Array(9 * 2 ** 20), controller.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KMeansSegError);
    expect((err as KMeansSegError).code).toBe('ERR_ABORTED');
    expect(((err as KMeansSegError).cause as Error).message).toBe('gone');
  });

  it('ship: shared pixels go as they are; the caller\'s are staged; above the limit they are copied and moved', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(16));
    const asIs = await ship(shared, false, undefined, () => undefined);
    expect(asIs).toMatchObject({ pixels: shared, transfer: [], moved: false });
    expect(asIs.stage).toBeUndefined();
    const mine = new Uint8Array(16).fill(9);
    const staged = await ship(mine, false, undefined, () => undefined);
    expect(staged.stage).toBeDefined();
    expect(staged.moved).toBe(false);
    const before = stageUpTo(8);
    try {
      const moved = await ship(mine, false, undefined, () => undefined);
      expect(moved.pixels).not.toBe(mine);
      expect(moved.transfer).toEqual([moved.pixels.buffer]);
      expect(Array.from(moved.pixels)).toEqual(Array.from(mine));
    } finally {
      stageUpTo(before);
    }
    expect(STAGING_MAX_BYTES).toBeGreaterThanOrEqual(48 * 2 ** 20); // a 12 MP photo is staged
  });
});

describe('calls through one worker\'s area', () => {
  it('a smaller image after a larger one gives the calling thread\'s bits; the first result is untouched by the second call', async () => {
    const large = noiseImage(300, 200, 6, 40, 1);
    const small = noiseImage(90, 70, 3, 25, 2);
    const first = await kmeans(large, { k: 6, seed: 1 });
    const labels = Buffer.from(first.labels.buffer, first.labels.byteOffset, first.labels.byteLength).toString('hex');
    const painted = Buffer.from(first.toRGBA()).toString('hex');
    const there = await kmeans(small, { k: 5, seed: 2 });
    expectSame(there, await kmeans(small, { k: 5, seed: 2, worker: false }));
    expect(first.labels.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(first.labels.buffer, first.labels.byteOffset, first.labels.byteLength).toString('hex')).toBe(labels);
    expect(Buffer.from(first.toRGBA()).toString('hex')).toBe(painted);
    expectSame(first, await kmeans(large, { k: 6, seed: 1, worker: false }));
  });

  it('applyPalette goes through the area too: same labels and pixels as on the calling thread', async () => {
    const img = noiseImage(150, 100, 4, 30, 3);
    const fit = await kmeans(img, { k: 4, seed: 3 });
    await kmeans(noiseImage(400, 300, 4, 30, 4), { k: 3 }); // a larger image through the area first
    const [here, there] = [await applyPalette(img, fit, { worker: false }), await applyPalette(img, fit)];
    expect(Array.from(there.labels)).toEqual(Array.from(here.labels));
    expect(Buffer.from(there.toRGBA()).equals(Buffer.from(here.toRGBA()))).toBe(true);
  });

  it('pixels in shared memory are read in place, never changed', async () => {
    const img = noiseImage(120, 80, 5, 20, 5);
    const data = new Uint8Array(new SharedArrayBuffer(img.data.length));
    data.set(img.data);
    expectSame(await kmeans({ data, width: img.width, height: img.height }, { k: 5, seed: 4 }), await kmeans(img, { k: 5, seed: 4, worker: false }));
    expect(Buffer.from(data).equals(Buffer.from(img.data))).toBe(true);
  });

  it('an image above the staging limit is copied and moved, with the same bits', async () => {
    const img = noiseImage(100, 60, 4, 20, 6);
    const before = stageUpTo(1000);
    try {
      expectSame(await kmeans(img, { k: 4, seed: 5 }), await kmeans(img, { k: 4, seed: 5, worker: false }));
    } finally {
      stageUpTo(before);
    }
  });

  it('an abort while the pixels are staged rejects ERR_ABORTED; the worker is reused and the next call is right', async () => {
    const img = noiseImage(1200, 1000, 4, 50, 7); // 4.8 MB: two slices
    await kmeans(noiseImage(20, 20, 3, 10, 8), { k: 2 }); // a worker idle, so the call stages at once
    const controller = new AbortController();
    const call = kmeans(img, { k: 4, seed: 6, signal: controller.signal });
    setImmediate(() => controller.abort(new Error('stop')));
    const err = await call.catch((e: unknown) => e);
    expect((err as KMeansSegError).code).toBe('ERR_ABORTED');
    expect(runningJobs()).toBe(0);
    expectSame(await kmeans(img, { k: 4, seed: 6, maxIterations: 3 }), await kmeans(img, { k: 4, seed: 6, maxIterations: 3, worker: false }));
  });
});
