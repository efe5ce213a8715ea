/**
 * Regions from the browser entry: segmentImageData(..., { minRegion, regions }) gives result.regions()
 * with the same regions, map and merged labels as Node's kmeans, on the calling thread (run here in
 * Node) and in headless Chromium on every tier (worker with threads, one thread, TS), the region data
 * crossing from the worker as transferred typed arrays.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentImageData } from '../../src/browser.js';
import { kmeans } from '../../src/core/kmeans.js';
import type { KMeansResult } from '../../src/types.js';
import { noiseImage } from '../helpers.js';
import { CHROMIUM, HAVE_CHROMIUM, demoPage, openDemo, type DemoSite } from './helpers.js';

const sha256 = (bytes: ArrayBufferView): string => createHash('sha256').update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).digest('hex');
const IMAGE = noiseImage(160, 120, 21, 10, 0.05);
const OPTIONS = { k: 5, seed: 2, minRegion: 12, connectivity: 4 as const, colorSpace: 'oklab' as const };

/** What must agree: the merge, the region list, the map and the labels. */
function summary(r: Pick<KMeansResult, 'minRegion' | 'mergedRegions' | 'regions' | 'labels' | 'palette'>) {
  const g = r.regions();
  return { minRegion: r.minRegion, merged: r.mergedRegions, regions: g.regions, clusters: g.clusters, map: sha256(g.map), labels: sha256(r.labels), palette: r.palette };
}

describe('regions from kmeans-seg/browser', () => {
  it('on the calling thread: the same as Node, and regions() without them is ERR_INVALID_OPTION', async () => {
    const node = summary(await kmeans(IMAGE, { ...OPTIONS, threads: 1 }));
    for (const backend of ['js', 'wasm'] as const) {
      const r = await segmentImageData(IMAGE, { ...OPTIONS, backend, worker: false });
      expect(summary(r), backend).toEqual(node);
      expect('regionData' in r, 'the plain data stays inside').toBe(false);
    }
    const plain = await segmentImageData(IMAGE, { k: 3, worker: false, backend: 'js' });
    expect(() => plain.regions()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

if (!HAVE_CHROMIUM) console.warn(`regions.test.ts: the Chromium part is skipped: ${CHROMIUM} is missing`);

describe.skipIf(!HAVE_CHROMIUM)('regions from kmeans-seg/browser in headless Chromium', { timeout: 60_000 }, () => {
  let demo: DemoSite;
  beforeAll(async () => { demo = await openDemo('regions', { '/__fixtures/noise.rgba': new Uint8Array(IMAGE.data) }); }, 120_000);
  afterAll(async () => { await demo?.close(); });

  it('every tier gives Node\'s regions, map and merged labels', async () => {
    const { page, errors } = await demoPage(demo);
    const out = await page.evaluate(async ([options, width, height]) => {
      const { segmentImageData: run } = (window as any).kmeansSegDemo;
      const data = new Uint8Array(await (await fetch('/__fixtures/noise.rgba')).arrayBuffer());
      const hex = async (v: ArrayBufferView) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', v as ArrayBufferView<ArrayBuffer>)), (b) => b.toString(16).padStart(2, '0')).join('');
      const result: Record<string, unknown> = {};
      for (const [name, extra] of Object.entries({ worker: {}, oneThread: { threads: 1 }, js: { backend: 'js' }, mainThread: { worker: false } })) {
        const r = await run({ data, width, height }, { ...(options as object), ...extra });
        const g = r.regions();
        result[name] = {
          backend: r.backend,
          summary: { minRegion: r.minRegion, merged: r.mergedRegions, regions: g.regions, clusters: g.clusters, map: await hex(g.map), labels: await hex(r.labels), palette: r.palette },
          same: r.regions() === g,
        };
      }
      const plain = await run({ data, width, height }, { k: 3 });
      result.without = await Promise.resolve().then(() => plain.regions()).then(() => 'no error', (e: any) => e.code);
      return result;
    }, [OPTIONS, IMAGE.width, IMAGE.height] as const);
    const node = summary(await kmeans(IMAGE, { ...OPTIONS, threads: 1 }));
    for (const [name, tier] of Object.entries({ worker: 'wasm-threads', oneThread: 'wasm', js: 'js', mainThread: 'wasm' })) {
      const c = out[name] as { backend: string; summary: unknown; same: boolean };
      expect(c.backend, name).toBe(tier);
      expect(c.summary, name).toEqual(node);
      expect(c.same, name).toBe(true);
    }
    expect(out.without).toBe('ERR_INVALID_OPTION');
    expect(errors).toEqual([]);
    await page.close();
  });
});
