/**
 * A region of interest and dithering from the browser entry: segmentImageData(..., { roi, dither })
 * gives Node's labels, palette and painted pixels, on the calling thread (run here in Node) and in
 * headless Chromium on every tier (worker with threads, one thread, TS), the mask crossing to the
 * worker as plain pixels.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentImageData } from '../../src/browser.js';
import { kmeans } from '../../src/core/kmeans.js';
import { noiseImage } from '../helpers.js';
import { CHROMIUM, HAVE_CHROMIUM, demoPage, openDemo, type DemoSite } from './helpers.js';

const sha256 = (bytes: ArrayBufferView): string => createHash('sha256').update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).digest('hex');
const IMAGE = noiseImage(160, 120, 23, 12);
/** A grey mask: a disc in the middle. */
const MASK = { data: Uint8Array.from({ length: 160 * 120 }, (_, p) => (((p % 160) - 80) ** 2 + (Math.floor(p / 160) - 60) ** 2 < 50 ** 2 ? 255 : 0)), width: 160, height: 120 };
const OPTIONS = { k: 6, seed: 3, dither: 'floyd-steinberg' as const, colorSpace: 'oklab' as const };

interface Painted { labels: ArrayBufferView; palette: unknown; hasAlpha: boolean }
const summary = (r: Painted, rgba: ArrayBufferView) => ({ labels: sha256(r.labels), rgba: sha256(rgba), palette: r.palette, hasAlpha: r.hasAlpha });

describe('roi and dither from kmeans-seg/browser', () => {
  it('on the calling thread: the same labels, palette and pixels as Node', async () => {
    for (const roiOutside of ['keep', 'transparent'] as const) {
      const opts = { ...OPTIONS, roi: MASK, roiOutside };
      const n = await kmeans(IMAGE, { ...opts, threads: 1 });
      for (const backend of ['js', 'wasm'] as const) {
        const r = await segmentImageData(IMAGE, { ...opts, backend, worker: false });
        expect(summary(r, r.rgba), `${backend} ${roiOutside}`).toEqual(summary(n, n.toRGBA()));
      }
    }
  });
});

if (!HAVE_CHROMIUM) console.warn(`roi-dither.test.ts: the Chromium part is skipped: ${CHROMIUM} is missing`);

describe.skipIf(!HAVE_CHROMIUM)('roi and dither from kmeans-seg/browser in headless Chromium', { timeout: 60_000 }, () => {
  let demo: DemoSite;
  beforeAll(async () => { demo = await openDemo('roi', { '/__fixtures/noise.rgba': new Uint8Array(IMAGE.data), '/__fixtures/mask.grey': MASK.data }); }, 120_000);
  afterAll(async () => { await demo?.close(); });

  it("every tier gives Node's labels, palette and pixels", async () => {
    const { page, errors } = await demoPage(demo);
    const out = await page.evaluate(async ([options, width, height]) => {
      const { segmentImageData: run } = (window as any).kmeansSegDemo;
      const data = new Uint8Array(await (await fetch('/__fixtures/noise.rgba')).arrayBuffer());
      const mask = new Uint8Array(await (await fetch('/__fixtures/mask.grey')).arrayBuffer());
      const hex = async (v: ArrayBufferView) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', v as ArrayBufferView<ArrayBuffer>)), (b) => b.toString(16).padStart(2, '0')).join('');
      const result: Record<string, unknown> = {};
      for (const [name, extra] of Object.entries({ worker: {}, oneThread: { threads: 1 }, js: { backend: 'js' }, mainThread: { worker: false } })) {
        const r = await run({ data, width, height }, { ...(options as object), roi: { data: mask, width, height }, ...extra });
        result[name] = { backend: r.backend, summary: { labels: await hex(r.labels), rgba: await hex(r.rgba), palette: r.palette, hasAlpha: r.hasAlpha } };
      }
      return result;
    }, [OPTIONS, IMAGE.width, IMAGE.height] as const);
    const n = await kmeans(IMAGE, { ...OPTIONS, roi: MASK, threads: 1 });
    for (const [name, tier] of Object.entries({ worker: 'wasm-threads', oneThread: 'wasm', js: 'js', mainThread: 'wasm' })) {
      const c = out[name] as { backend: string; summary: unknown };
      expect(c.backend, name).toBe(tier);
      expect(c.summary, name).toEqual(summary(n, n.toRGBA()));
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
