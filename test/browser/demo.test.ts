/**
 * kmeans-seg/browser in real headless Chromium: the demo built with Vite (as a consumer would build
 * it, through the package's "./browser" export), served with and without cross-origin isolation.
 * Every result is compared bit for bit with Node's kmeans() on the very same decoded pixels. The
 * fixtures are made from the repository's own sample photo (examples/coffee.jpg, CC0).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import type { KMeansOptions } from '../../src/core/options.js';
import type { KMeansResult } from '../../src/types.js';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium, serveStatic, type Chromium, type StaticServer } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLE = path.join(ROOT, 'examples', 'coffee.jpg');
// Small enough for the TS tier and the 5-D runs, with colours x K above the pool's split threshold.
const FIXTURE = { width: 240, height: 160 };
const OUTPUT = path.join(ROOT, 'test-output');
if (!HAVE_CHROMIUM) console.warn(`demo.test.ts: skipped: ${CHROMIUM} is missing; install it with \`apt-get update && apt-get install -y chromium\` (as root; .ci/run does)`);

/** What must match between Node and the page: everything but timings and the backend's name. */
interface Summary {
  k: number; width: number; height: number; iterations: number; converged: boolean; attempt: number;
  inertia: number; history: number[]; centroids: number[][]; warnings: string[];
  palette: KMeansResult['palette']; labelsType: string; labels: string; rgba: string;
}

/**
 * Node's reference, on one thread: the browser's tiers are under test here, threads never change the
 * bits (parity.test.ts covers Node's pool), and a stuck Node pool would block this file's event loop.
 */
const nodeKMeans = (image: Parameters<typeof kmeans>[0], options: KMeansOptions): Promise<KMeansResult> =>
  kmeans(image, { ...options, threads: 1 });

const sha256 = (bytes: ArrayBufferView): string =>
  createHash('sha256').update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).digest('hex');

function summarise(r: KMeansResult): Summary {
  const { k, width, height, iterations, converged, attempt, inertia, history, centroids, warnings, palette } = r;
  return {
    k, width, height, iterations, converged, attempt, inertia, history, centroids, warnings, palette,
    labelsType: r.labels.constructor.name, labels: sha256(r.labels), rgba: sha256(r.toRGBA()),
  };
}

// The page-side twin of summarise(), installed as a string so no transpiler helper leaks into the page.
const PAGE_HELPERS = `
window.__summarise = async (r) => {
  const hex = async (v) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', v)), (b) => b.toString(16).padStart(2, '0')).join('');
  const { k, width, height, iterations, converged, attempt, inertia, history, centroids, warnings, palette, backend } = r;
  return {
    backend,
    summary: { k, width, height, iterations, converged, attempt, inertia, history, centroids, warnings, palette,
      labelsType: r.labels.constructor.name, labels: await hex(r.labels), rgba: await hex(r.rgba) },
    imageDataIsRgba: r.imageData instanceof ImageData && r.imageData.data.buffer === r.rgba.buffer,
  };
};
window.__fixture = async () => ({ data: new Uint8Array(await (await fetch('/__fixtures/coffee.rgba')).arrayBuffer()), width: ${FIXTURE.width}, height: ${FIXTURE.height} });
`;

interface PageSummary { backend: string; summary: Summary; imageDataIsRgba: boolean }

// Generous: the suite shares two cores with the other test files when `npm test` runs them all.
describe.skipIf(!HAVE_CHROMIUM)('kmeans-seg/browser in headless Chromium', { timeout: 60_000 }, () => {
  let tmp: string;
  let site: string;
  let png: string;
  let jpeg: string;
  let rgba: { data: Uint8Array; width: number; height: number };
  let isolated: StaticServer;
  let plain: StaticServer;
  let browser: Chromium;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    for (const f of ['dist/browser.js', 'dist/browser/worker.js', 'build/kmeans.wasm']) {
      if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first (\`npm test\` does)`);
    }
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-browser-'));
    site = path.join(tmp, 'site');
    await build({ configFile: path.join(ROOT, 'demo/vite.config.ts'), logLevel: 'error', build: { outDir: site } });
    // A small JPEG, and a lossless PNG of its pixels as sharp decodes them: the page decodes that PNG
    // to the same bytes.
    jpeg = path.join(tmp, 'coffee-240.jpg');
    await sharp(SAMPLE).resize(FIXTURE.width).jpeg({ quality: 90 }).toFile(jpeg);
    png = path.join(tmp, 'coffee-240.png');
    await sharp(jpeg).ensureAlpha().png().toFile(png);
    const { data, info } = await sharp(jpeg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([FIXTURE.width, FIXTURE.height, 4]);
    rgba = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
    const fixtures = { '/__fixtures/coffee.rgba': rgba.data };
    [isolated, plain] = await Promise.all([serveStatic(site, true, fixtures), serveStatic(site, false, fixtures)]);
    browser = await launchChromium();
    await browser.context.addInitScript(PAGE_HELPERS);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([isolated?.close(), plain?.close()]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
    expect(pageErrors).toEqual([]);
  });

  /** The demo once its first visit is over: the sample photo loaded and segmented (that is run 0). */
  async function openDemo(server: StaticServer, viewport?: { width: number; height: number }): Promise<Page> {
    const page = await browser.context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as any).kmeansSegDemo?.runs === 1 && document.body.dataset.state === 'done', null, { timeout: 30_000 });
    return page;
  }

  /** Runs since the sample's. */
  const runs = async (page: Page): Promise<number> => (await page.evaluate(() => (window as any).kmeansSegDemo.runs)) - 1;
  async function waitForRun(page: Page, count: number): Promise<void> {
    await page.waitForFunction((n) => (window as any).kmeansSegDemo.runs >= n + 1 && document.body.dataset.state === 'done', count, { timeout: 30_000 });
  }
  /** The pixels the page decoded, as Node can cluster them. */
  async function pagePixels(page: Page): Promise<{ data: Uint8Array; width: number; height: number }> {
    const pixels = await page.evaluate(() => {
      const img = (window as any).kmeansSegDemo.image as ImageData;
      let s = '';
      for (let i = 0; i < img.data.length; i += 0x8000) s += String.fromCharCode(...img.data.subarray(i, i + 0x8000));
      return { width: img.width, height: img.height, b64: btoa(s) };
    });
    return { data: new Uint8Array(Buffer.from(pixels.b64, 'base64')), width: pixels.width, height: pixels.height };
  }
  const lastResult = (page: Page): Promise<PageSummary> => page.evaluate(() => (window as any).__summarise((window as any).kmeansSegDemo.result));

  it('the built bundle holds no sharp and no Node built-in, nor any Node-only file', async () => {
    const assets = path.join(site, 'assets');
    const files = (await readdir(assets)).filter((f) => f.endsWith('.js'));
    expect(files.some((f) => f.startsWith('worker-'))).toBe(true);
    expect(files.some((f) => f.startsWith('pool-worker-'))).toBe(true);
    expect((await readdir(assets)).some((f) => f.endsWith('.wasm'))).toBe(true); // copied, not inlined
    // The Node entry's platform (files, worker_threads, os) lives in node/platform.ts, which the
    // browser graph never imports.
    expect(files.filter((f) => /node/.test(f))).toEqual([]);
    for (const f of files) {
      const js = await readFile(path.join(assets, f), 'utf8');
      expect(js, f).not.toMatch(/sharp/);
      expect(js, f).not.toMatch(/node:/);
    }
  });

  it('isolated page: a PNG through the file input runs on the threads tier, bit-identical to Node', async () => {
    const page = await openDemo(isolated);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    await page.fill('#k', '16'); // 31 061 colours x 16 is above the pool's split threshold: passes really run on threads
    await page.setInputFiles('#file', png);
    await waitForRun(page, 1);
    const decoded = await page.evaluate(async () => {
      const d = (window as any).kmeansSegDemo.image.data as Uint8ClampedArray;
      return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', d as Uint8ClampedArray<ArrayBuffer>)), (b) => b.toString(16).padStart(2, '0')).join('');
    });
    expect(decoded, 'Chromium decoded the PNG to other bytes than sharp').toBe(sha256(rgba.data));
    const got = await lastResult(page);
    expect(got.backend).toBe('wasm-threads');
    expect(got.imageDataIsRgba).toBe(true);
    expect(got.summary).toEqual(summarise(await nodeKMeans(rgba, { k: 16, seed: 0, init: 'kmeans++' })));
    await page.close();
  });

  it('plain page: the JPEG, decoded by Chromium, runs on one-thread wasm, bit-identical to Node on those pixels', async () => {
    const page = await openDemo(plain);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
    await page.setInputFiles('#file', jpeg);
    await waitForRun(page, 1);
    const pixels = await pagePixels(page);
    const got = await lastResult(page);
    expect(got.backend).toBe('wasm');
    expect(got.summary).toEqual(summarise(await nodeKMeans(pixels, { k: 8, seed: 0 })));
    await page.close();
  });

  it('every tier and every way of passing the kernel gives the same bits', async () => {
    const page = await openDemo(isolated);
    const assets = await readdir(path.join(site, 'assets'));
    const wasmFile = assets.find((f) => /^kmeans-(?!single)/.test(f) && f.endsWith('.wasm'))!;
    // The plain-memory build, for engines without shared wasm memory: Chromium has it, so the
    // build is only ever used here when passed explicitly. One thread, same bits.
    const singleFile = assets.find((f) => f.startsWith('kmeans-single') && f.endsWith('.wasm'))!;
    expect(singleFile, 'the bundle copies the plain-memory build too').toBeDefined();
    const cases = await page.evaluate(async ([wasmPath, singlePath]) => {
      const { segmentImageData } = (window as any).kmeansSegDemo;
      const image = await (window as any).__fixture();
      const module = await WebAssembly.compileStreaming(fetch(wasmPath));
      const base = { k: 12, seed: 3, init: 'random', attempts: 2, colorSpace: 'lab' };
      const variants: Record<string, object> = {
        worker: {},
        oneThread: { threads: 1 },
        mainThread: { worker: false },
        js: { backend: 'js' },
        jsMainThread: { backend: 'js', worker: false },
        module: { wasm: module },
        url: { wasm: wasmPath },
        singleMemory: { wasm: singlePath },
        missingWasmAuto: { wasm: 'nowhere/kmeans.wasm' },
      };
      const out: Record<string, unknown> = {};
      for (const [name, extra] of Object.entries(variants)) {
        out[name] = await (window as any).__summarise(await segmentImageData(image, { ...base, ...extra }));
      }
      // Spatial segmentation clusters every pixel in five dimensions: other kernel entry points.
      const spatial = { k: 6, seed: 1, spatialWeight: 1 };
      for (const [name, extra] of Object.entries({ spatialWorker: {}, spatialMainThread: { worker: false }, spatialJs: { backend: 'js' } })) {
        out[name] = await (window as any).__summarise(await segmentImageData(image, { ...spatial, ...extra }));
      }
      out.missingWasmStrict = await segmentImageData(image, { ...base, backend: 'wasm', wasm: 'nowhere/kmeans.wasm' })
        .then(() => 'resolved', (e: any) => ({ code: e.code, message: e.message }));
      out.unknownOption = await segmentImageData(image, { workers: false }).then(() => 'resolved', (e: any) => ({ code: e.code, message: e.message }));
      out.badWasm = await segmentImageData(image, { wasm: 42 }).then(() => 'resolved', (e: any) => ({ code: e.code, message: e.message }));
      return out;
    }, [`assets/${wasmFile}`, `assets/${singleFile}`]);
    const node = summarise(await nodeKMeans(rgba, { k: 12, seed: 3, init: 'random', attempts: 2, colorSpace: 'lab' }));
    const tiers: Record<string, string> = {
      worker: 'wasm-threads', oneThread: 'wasm', mainThread: 'wasm', js: 'js', jsMainThread: 'js',
      module: 'wasm-threads', url: 'wasm-threads', singleMemory: 'wasm', missingWasmAuto: 'js',
    };
    for (const [name, tier] of Object.entries(tiers)) {
      const c = cases[name] as PageSummary;
      expect(c.backend, name).toBe(tier);
      // The TS fallback says so and why, and gives the same bits.
      if (name === 'missingWasmAuto') {
        expect(c.summary.warnings, name).toEqual([expect.stringMatching(/^the wasm kernel could not run \(HTTP 404 .*nowhere\/kmeans\.wasm\), so the TS kernel ran instead/)]);
        expect({ ...c.summary, warnings: [] }, name).toEqual(node);
      } else {
        expect(c.summary, name).toEqual(node);
      }
    }
    const spatial = summarise(await nodeKMeans(rgba, { k: 6, seed: 1, spatialWeight: 1 }));
    for (const [name, tier] of Object.entries({ spatialWorker: 'wasm-threads', spatialMainThread: 'wasm', spatialJs: 'js' })) {
      const c = cases[name] as PageSummary;
      expect(c.backend, name).toBe(tier);
      expect(c.summary, name).toEqual(spatial);
    }
    expect(cases.missingWasmStrict).toMatchObject({ code: 'ERR_BACKEND', message: expect.stringMatching(/HTTP 404.*pass wasm: a URL/) });
    expect(cases.unknownOption).toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('did you mean "worker"?') });
    expect(cases.badWasm).toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('for wasm but received 42') });
    await page.close();
  });

  it('reports progress after every pass, and an abort rejects with ERR_ABORTED at once', async () => {
    const page = await openDemo(plain);
    const out = await page.evaluate(async () => {
      const { segmentImageData } = (window as any).kmeansSegDemo;
      const image = await (window as any).__fixture();
      const passes: number[] = [];
      const full = await segmentImageData(image, { k: 8, onProgress: (p: any) => passes.push(p.inertia) });
      const settle = (p: Promise<unknown>) => p.then(() => 'resolved', (e: any) => ({ code: e.code, cause: e.cause?.message }));
      const aborting = (worker: boolean) => {
        const controller = new AbortController();
        let seen = 0;
        return settle(segmentImageData(image, {
          k: 32, tolerance: 0, worker, signal: controller.signal,
          onProgress: () => { if (++seen === 2) controller.abort(new Error('stop')); },
        })).then((r) => ({ r, seen }));
      };
      const before = new AbortController();
      before.abort(new Error('early'));
      return {
        history: full.history, passes,
        inWorker: await aborting(true), onMainThread: await aborting(false),
        already: await settle(segmentImageData(image, { signal: before.signal })),
        after: (await segmentImageData(image, { k: 8 })).inertia,
      };
    });
    expect(out.passes).toEqual(out.history);
    expect(out.inWorker).toEqual({ r: { code: 'ERR_ABORTED', cause: 'stop' }, seen: 2 });
    expect(out.onMainThread).toEqual({ r: { code: 'ERR_ABORTED', cause: 'stop' }, seen: 2 });
    expect(out.already).toEqual({ code: 'ERR_ABORTED', cause: 'early' });
    expect(out.after).toBe(out.history.at(-1)); // a fresh worker took over from the one ended
    await page.close();
  });

  it('survives a bad file, works from the keyboard, and looks right (screenshot)', async () => {
    const page = await openDemo(isolated);
    await page.setInputFiles('#file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG\n') });
    await expect.poll(() => page.locator('#error').textContent()).toContain('Could not read “notes.png” as an image');
    expect(await page.locator('#error').isVisible()).toBe(true);
    expect(await runs(page)).toBe(0);

    await page.setInputFiles('#file', png);
    await waitForRun(page, 1);
    expect(await page.locator('#error').isVisible()).toBe(false);

    // Keyboard only: Tab reaches the documentation link, the file chooser, then K; typing a value and
    // Enter re-runs.
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('docs-link');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('file');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('k');
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('5');
    await page.keyboard.press('Enter');
    await waitForRun(page, 2);
    const got = await lastResult(page);
    expect(got.summary.k).toBe(5);
    expect(await page.locator('#palette li').count()).toBe(5);
    expect(await page.locator('#chart svg polyline').count()).toBe(1);
    expect(await page.locator('#download').isEnabled()).toBe(true);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('coffee-240-k5.png');

    await mkdir(OUTPUT, { recursive: true });
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.screenshot({ path: path.join(OUTPUT, 'browser-demo.png'), fullPage: true });
    await page.close();
  });

  it('first visit: the sample photo is loaded and segmented, credited; the chart says what cost is; the page links to the docs', async () => {
    const page = await openDemo(plain);
    const first = await page.evaluate(() => {
      const demo = (window as any).kmeansSegDemo;
      const credit = document.getElementById('credit')!;
      const result = document.getElementById('result') as HTMLCanvasElement;
      return {
        name: demo.imageName, size: [demo.image.width, demo.image.height], drawn: [result.width, result.height],
        credit: credit.hidden ? null : credit.textContent, palette: document.querySelectorAll('#palette li').length,
        note: document.getElementById('cost-note')!.textContent!.replace(/\s+/g, ' '),
        axis: document.querySelector('#chart svg')?.textContent ?? '',
        docs: (document.getElementById('docs-link') as HTMLAnchorElement).href,
      };
    });
    expect(first).toMatchObject({ name: 'coffee.jpg', size: [600, 400], drawn: [600, 400], palette: 8 });
    expect(first.credit).toMatch(/Coffee.*Rachel Michetti.*CC0/);
    expect(first.note).toMatch(/^Cost \(inertia\): the sum, over all pixels, of the squared distance/);
    expect(first.axis).toContain('cost (inertia)');
    const docs = await page.evaluate(async (href) => {
      const res = await fetch(href);
      return { status: res.status, text: await res.text() };
    }, first.docs);
    expect(docs.status).toBe(200);
    expect(docs.text).toMatch(/^# In a web page\n/);
    expect((await lastResult(page)).summary).toEqual(summarise(await nodeKMeans(await pagePixels(page), { k: 8, seed: 0 })));
    await page.close();
  });

  it('on a phone-sized screen the result is in the first screen, above the form, with no sideways scroll', async () => {
    const page = await openDemo(isolated, { width: 390, height: 844 });
    const layout = await page.evaluate(() => {
      const box = (id: string) => {
        const r = document.getElementById(id)!.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, height: r.height };
      };
      return { scrollY, innerWidth, innerHeight, width: document.documentElement.scrollWidth, result: box('result'), form: box('controls') };
    });
    expect([layout.innerWidth, layout.innerHeight, layout.scrollY]).toEqual([390, 844, 0]);
    expect(layout.result.height).toBeGreaterThan(150);
    expect(layout.result.top).toBeGreaterThanOrEqual(0);
    expect(layout.result.bottom).toBeLessThanOrEqual(layout.innerHeight);
    expect(layout.result.top).toBeLessThan(layout.form.top);
    expect(layout.width).toBeLessThanOrEqual(390);
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'browser-demo-phone.png') });
    await page.close();
  });

  it('colour space and spatial weight reach the run, bit-identical to Node; an out-of-range weight is refused', async () => {
    const page = await openDemo(isolated);
    await page.setInputFiles('#file', png);
    await waitForRun(page, 1);
    await page.selectOption('#color-space', 'lab');
    await page.fill('#spatial-weight', '1');
    await page.fill('#k', '6');
    await page.click('#run');
    await waitForRun(page, 2);
    expect((await lastResult(page)).summary).toEqual(summarise(await nodeKMeans(rgba, { k: 6, seed: 0, colorSpace: 'lab', spatialWeight: 1 })));
    await page.fill('#spatial-weight', '300');
    await page.click('#run');
    await expect.poll(() => page.locator('#error').textContent()).toContain('Spatial weight must be a number from 0 to 257');
    expect(await runs(page)).toBe(2);
    await page.close();
  });

  it('the palette lists every colour at K = 48: none cut off, none in an inner scroll', async () => {
    const page = await openDemo(plain);
    await page.fill('#k', '48');
    await page.click('#run');
    await waitForRun(page, 1);
    const list = await page.evaluate(() => {
      const ol = document.getElementById('palette')!;
      const box = ol.getBoundingClientRect();
      const items = Array.from(ol.querySelectorAll('li'), (li) => li.getBoundingClientRect());
      return {
        k: (window as any).kmeansSegDemo.result.k, items: items.length,
        hexes: new Set(Array.from(ol.querySelectorAll('code'), (c) => c.textContent)).size,
        innerScroll: ol.scrollHeight > ol.clientHeight + 1,
        clipped: items.filter((r) => r.height === 0 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5).length,
      };
    });
    expect(list).toEqual({ k: 48, items: 48, hexes: 48, innerScroll: false, clipped: 0 });
    await page.close();
  });
});
