/**
 * What the browser tests need around Chromium: a static server for the built demo (with or without
 * cross-origin isolation) and a headless Chromium in a throwaway profile.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

export interface StaticServer { url: string; close(): Promise<void> }

/**
 * Serve `root` on 127.0.0.1 (a secure context, so crypto.subtle works). `isolated` adds COOP and
 * COEP to every response, which makes the page cross-origin isolated. `extra` maps absolute paths
 * to bytes served as application/octet-stream (test fixtures that stay out of the repo).
 */
export async function serveStatic(root: string, isolated: boolean, extra: Record<string, Uint8Array> = {}): Promise<StaticServer> {
  const server = http.createServer(async (req, res) => {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const fixture = extra[pathname];
    if (fixture) {
      res.writeHead(200, { ...headers, 'Content-Type': 'application/octet-stream' });
      res.end(fixture);
      return;
    }
    const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (!file.startsWith(root + path.sep)) {
      res.writeHead(403, headers).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`not found: ${pathname}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export interface Chromium { context: BrowserContext; close(): Promise<void> }

/** Debian's Chromium, headless, in a fresh profile folder removed on close. */
export async function launchChromium(): Promise<Chromium> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The demo built into a temporary folder, served cross-origin isolated with `fixtures`, and a Chromium to open it. */
export interface DemoSite { url: string; browser: Chromium; close(): Promise<void> }

/** Build the demo (Vite, demo/vite.config.ts), serve it isolated with `fixtures`, and launch Chromium. */
export async function openDemo(name: string, fixtures: Record<string, Uint8Array>): Promise<DemoSite> {
  const { build } = await import('vite');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tmp = await mkdtemp(path.join(os.tmpdir(), `kmeans-seg-browser-${name}-`));
  const site = path.join(tmp, 'site');
  await build({ configFile: path.join(root, 'demo/vite.config.ts'), logLevel: 'error', build: { outDir: site } });
  const server = await serveStatic(site, true, fixtures);
  const browser = await launchChromium();
  return {
    url: server.url,
    browser,
    async close() {
      await browser.close();
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/**
 * A new page of the demo, its page errors collected, once the demo's own first run (its sample photo)
 * is done: a test's run then has the page to itself.
 */
export async function demoPage(demo: DemoSite): Promise<{ page: Page; errors: string[] }> {
  const page = await demo.browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(demo.url);
  await page.waitForFunction(() => (window as any).kmeansSegDemo?.runs === 1 && document.body.dataset.state === 'done', null, { timeout: 30_000 });
  return { page, errors };
}
