/**
 * kmeans() on a job worker once the worker has offered its kernel's input area (staging.ts's adopt):
 * later calls write their pixels straight into the worker's kernel memory, which counts and labels
 * them there. Every call must give the calling thread's bits: a smaller image after a larger one, a
 * larger one than the area (staged apart, then the area grows), applyPalette through the same area.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { applyPalette, kmeans, terminateWorkers } from '../../src/index.js';
import { Staging } from '../../src/node/staging.js';
import { noiseImage } from '../helpers.js';
import { expectSame } from './same-result.js';

vi.setConfig({ testTimeout: 120_000 });
afterAll(async () => {
  vi.restoreAllMocks();
  await terminateWorkers();
});

describe('the kernel input area', () => {
  it('later calls stage into the worker\'s kernel memory, with the calling thread\'s bits at every size', async () => {
    await terminateWorkers(); // a fresh worker: its first call has no area to offer yet
    const seen: boolean[] = [];
    const spy = vi.spyOn(Staging.prototype, 'inKernel');
    const large = noiseImage(700, 500, 6, 60, 1), small = noiseImage(90, 70, 3, 25, 2), larger = noiseImage(900, 700, 5, 40, 2);
    const opts = { k: 7, seed: 4 } as const;
    for (const img of [large, small, large, larger, larger, small]) {
      expectSame(await kmeans(img, opts), await kmeans(img, { ...opts, worker: false }));
      seen.push(spy.mock.results.at(-1)!.value as boolean);
    }
    // Each call finds its pixels in the kernel's area: asked for before the first, grown before a larger one.
    expect(seen).toEqual([true, true, true, true, true, true]);
    spy.mockRestore();
  });

  it('applyPalette reads its pixels from the area as they are: same labels and pixels as on the calling thread', async () => {
    const img = noiseImage(300, 200, 4, 30, 3);
    const fit = await kmeans(img, { k: 4, seed: 3 });
    await kmeans(noiseImage(400, 300, 4, 30, 4), { k: 3 }); // the area offered and adopted
    const [here, there] = [await applyPalette(img, fit, { worker: false }), await applyPalette(img, fit)];
    expect(Array.from(there.labels)).toEqual(Array.from(here.labels));
    expect(Buffer.from(there.toRGBA()).equals(Buffer.from(here.toRGBA()))).toBe(true);
    expectSame(await kmeans(img, { k: 4, seed: 3 }), fit); // and the next kmeans after it
  });
});
