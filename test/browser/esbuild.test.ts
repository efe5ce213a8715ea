/**
 * The esbuild recipe of docs/browser.md, run as written (the script is read from the page): a user's
 * app bundled by esbuild, which follows no `new URL(..., import.meta.url)`, runs in Chromium on the
 * wasm tiers with no warning and the same bits as Node. Without the recipe's worker entries, the
 * plain bundle fails as the docs say (ERR_BACKEND naming the worker).
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium, serveStatic, type Chromium, type StaticServer } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ESBUILD = path.join(ROOT, 'node_modules', 'esbuild');
const HAVE_ESBUILD = existsSync(ESBUILD);
if (!HAVE_CHROMIUM) console.warn(`esbuild.test.ts: skipped: ${CHROMIUM} is missing (apt-get install -y chromium, as root)`);
if (!HAVE_ESBUILD) console.warn('esbuild.test.ts: skipped: node_modules/esbuild is missing (npm install brings it with tsx and vite)');

/** The first ```js block after "**esbuild**" in docs/browser.md: the build script users copy. */
async function recipe(): Promise<{ script: string; call: string }> {
  const doc = await readFile(path.join(ROOT, 'docs', 'browser.md'), 'utf8');
  const blocks = [...doc.slice(doc.indexOf('**esbuild**')).matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return { script: blocks[0]!, call: blocks[1]! };
}

// The app: the docs' call on pixels from a fixture, its summary left on window for the test.
const APP = `
import { segmentImageData } from 'kmeans-seg/browser';
const image = { data: new Uint8Array(await (await fetch('/__fixtures/pixels.rgba')).arrayBuffer()), width: 120, height: 80 };
try {
  const r = await segmentImageData(image, { k: 8, seed: 5, wasm: new URL('./', import.meta.url) });
  const hex = async (v) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', v)), (b) => b.toString(16).padStart(2, '0')).join('');
  window.__done = { backend: r.backend, warnings: r.warnings, k: r.k, inertia: r.inertia, iterations: r.iterations, labels: await hex(r.labels) };
} catch (e) {
  window.__done = { code: e.code, message: e.message };
}
`;

const run = (args: string[], cwd: string): Promise<{ code: number; out: string }> => new Promise((resolve) => {
  execFile(process.execPath, args, { cwd, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
    resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}\n${stderr}` });
  });
});

describe.skipIf(!HAVE_CHROMIUM || !HAVE_ESBUILD)('an esbuild bundle of kmeans-seg/browser, as docs/browser.md builds it', { timeout: 60_000 }, () => {
  let tmp = '';
  let rgba: Uint8Array;
  let browser: Chromium;
  const servers: StaticServer[] = [];

  /** A user's project: the package (this repository, as npm would link it), esbuild, the app. */
  async function project(name: string, script: string): Promise<string> {
    const app = path.join(tmp, name);
    await mkdir(path.join(app, 'src'), { recursive: true });
    await mkdir(path.join(app, 'node_modules'));
    await symlink(ROOT, path.join(app, 'node_modules', 'kmeans-seg'), 'dir');
    await symlink(ESBUILD, path.join(app, 'node_modules', 'esbuild'), 'dir');
    await writeFile(path.join(app, 'src', 'app.js'), APP);
    await writeFile(path.join(app, 'build.mjs'), script);
    const built = await run(['build.mjs'], app);
    expect(built.code, built.out).toBe(0);
    await writeFile(path.join(app, 'public', 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>\n');
    return path.join(app, 'public');
  }

  async function open(site: string, isolated: boolean): Promise<Record<string, unknown>> {
    const server = await serveStatic(site, isolated, { '/__fixtures/pixels.rgba': rgba });
    servers.push(server);
    const page = await browser.context.newPage();
    try {
      await page.goto(server.url);
      await page.waitForFunction(() => (window as any).__done !== undefined, null, { timeout: 30_000 });
      return await page.evaluate(() => (window as any).__done);
    } finally {
      await page.close();
    }
  }

  beforeAll(async () => {
    for (const f of ['dist/browser.js', 'dist/browser/worker.js', 'build/kmeans.wasm']) {
      if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first (\`npm test\` does)`);
    }
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-esbuild-'));
    const { data } = await sharp(path.join(ROOT, 'examples', 'coffee.jpg')).resize(120, 80).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    rgba = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the recipe: wasm threads where isolated, one-thread wasm where not, no warning, the same bits as Node', async () => {
    const { script, call } = await recipe();
    expect(call).toContain("wasm: new URL('./', import.meta.url)");
    expect(APP).toContain("wasm: new URL('./', import.meta.url)");
    const site = await project('recipe', script);
    const node = await kmeans({ data: rgba, width: 120, height: 80 }, { k: 8, seed: 5, threads: 1 });
    const want = {
      warnings: [], k: 8, inertia: node.inertia, iterations: node.iterations,
      labels: createHash('sha256').update(node.labels).digest('hex'),
    };
    expect(await open(site, true)).toEqual({ backend: 'wasm-threads', ...want });
    expect(await open(site, false)).toEqual({ backend: 'wasm', ...want });
  });

  it('a plain bundle, without the worker entries, fails with ERR_BACKEND naming the worker and the fix', async () => {
    const plain = `import * as esbuild from 'esbuild';\nawait esbuild.build({ entryPoints: { app: 'src/app.js' }, bundle: true, format: 'esm', outdir: 'public' });\n`;
    const site = await project('plain', plain);
    const got = await open(site, false);
    expect(got.code).toBe('ERR_BACKEND');
    expect(got.message).toMatch(/browser\/worker\.js.*esbuild.*kmeans-seg\/browser\/worker/);
  });
});
