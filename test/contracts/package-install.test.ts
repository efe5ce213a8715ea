/**
 * The tarball as a newcomer gets it: `npm pack` (prepack holds `prepare` back), installed into an
 * empty project without any install-scripts warning and without sharp (an optional peer); pixels
 * work, files name the fix until sharp is installed; Vite's dev server serves kmeans-seg/browser
 * with no source-map warning. Opt-in, as it installs (the local cache, else the registry):
 * KMEANS_SEG_TEST_INSTALL=1 (CI sets it, see .ci/run).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, createServer, type Logger } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, launchChromium } from '../browser/helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PHOTO = path.join(ROOT, 'examples', 'coffee.jpg');

const sh = (cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> => new Promise((resolve) => {
  execFile(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000 }, (error, stdout, stderr) => {
    resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}\n${stderr}` });
  });
});
const npm = (args: string[], cwd: string) => sh('npm', [...args, '--no-audit', '--no-fund'], cwd);

const PIXELS = `
const data = new Uint8Array(4 * 64);
for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 37) % 256;
`;

describe.skipIf(process.env.KMEANS_SEG_TEST_INSTALL !== '1')('the packed tarball, installed into an empty project', { timeout: 300_000 }, () => {
  let tmp = '';
  let app = '';
  let tarball = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-tarball-'));
    // Packed from a copy of what npm reads, so that prepack's edit of package.json never meets the
    // other test files, which read the repository's while this runs.
    const stage = path.join(tmp, 'stage');
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    for (const f of ['package.json', 'scripts/pack-manifest.mjs', 'README.md', 'CHANGELOG.md', 'CONTRIBUTING.md', 'LICENSE', 'dist', 'bin', 'docs', 'build']) {
      await cp(path.join(ROOT, f), path.join(stage, f), { recursive: true });
    }
    await mkdir(path.join(stage, 'node_modules'));
    const before = await readFile(path.join(stage, 'package.json'), 'utf8');
    // With its scripts: prepack strips `prepare`, postpack puts it back.
    const packed = await npm(['pack', '--pack-destination', tmp], stage);
    expect(packed.code, packed.out).toBe(0);
    expect(packed.out).toContain('pack-manifest.mjs strip');
    expect(await readFile(path.join(stage, 'package.json'), 'utf8'), 'postpack restores package.json').toBe(before);
    expect(pkg.files).toContain('dist'); // the copy above holds what `files` names
    tarball = path.join(tmp, (await readdir(tmp)).find((f) => f.endsWith('.tgz'))!);
    app = path.join(tmp, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true, "type": "module" }\n');
  }, 300_000);
  afterAll(async () => { if (tmp) await rm(tmp, { recursive: true, force: true }); });

  it('the tarball has no prepare script and no source map', async () => {
    const manifest = JSON.parse((await sh('tar', ['-xzOf', tarball, 'package/package.json'], tmp)).out);
    expect(manifest.scripts.prepare).toBeUndefined();
    expect(manifest.scripts.build).toBeDefined(); // the rest is kept
    const list = (await sh('tar', ['-tzf', tarball], tmp)).out.split('\n');
    expect(list).toContain('package/LICENSE');
    expect(list.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('installs with no install-scripts warning and without sharp; pixels work, files ask for sharp', async () => {
    const installed = await npm(['install', '--prefer-offline', tarball], app);
    expect(installed.code, installed.out).toBe(0);
    expect(installed.out.split('\n').filter((l) => /install-scripts|prepare/.test(l))).toEqual([]);
    expect(existsSync(path.join(app, 'node_modules', 'kmeans-seg'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules', 'sharp'))).toBe(false);

    await writeFile(path.join(app, 'pixels.js'), `import { kmeans } from 'kmeans-seg';${PIXELS}
      console.log('k=' + (await kmeans({ data, width: 8, height: 8 }, { k: 3, seed: 1 })).k);\n`);
    const pixels = await sh(process.execPath, ['pixels.js'], app);
    expect(pixels.out).toContain('k=3');
    const cli = await sh(process.execPath, [path.join(app, 'node_modules', '.bin', 'kmeans-seg'), PHOTO, '-k', '3', '-o', path.join(tmp, 'a.png')], app);
    expect(cli.code).not.toBe(0);
    expect(cli.out).toMatch(/sharp is not installed.*npm install sharp/);
  });

  it.skipIf(!HAVE_CHROMIUM)("Vite's dev server serves kmeans-seg/browser with no source-map warning, and it runs", async () => {
    await writeFile(path.join(app, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>\n');
    await writeFile(path.join(app, 'main.js'), `import { segmentImageData } from 'kmeans-seg/browser';${PIXELS}
      segmentImageData({ data, width: 8, height: 8 }, { k: 3 }).then((r) => { window.__done = r.k + ' ' + r.backend + ' ' + r.warnings.length; }, (e) => { window.__done = e.message; });\n`);
    const lines: string[] = [];
    const base = createLogger('info');
    const logger: Logger = { ...base, info: (m) => lines.push(m), warn: (m) => lines.push(m), warnOnce: (m) => lines.push(m), error: (m) => lines.push(m) };
    const server = await createServer({ root: app, configFile: false, customLogger: logger, server: { port: 0, host: '127.0.0.1' }, cacheDir: path.join(tmp, 'vite-cache') });
    const browser = await launchChromium();
    try {
      await server.listen();
      const page = await browser.context.newPage();
      await page.goto(server.resolvedUrls!.local[0]!);
      // Vite may reload the page once after optimizing a newly found dependency: wait again then.
      const done = () => page.waitForFunction(() => (window as any).__done !== undefined, null, { timeout: 60_000 });
      await done().catch(async (err: Error) => {
        if (!/context was destroyed|navigat/i.test(err.message)) throw err;
        await page.waitForLoadState();
        await done();
      });
      expect(await page.evaluate(() => (window as any).__done)).toMatch(/^3 wasm(-threads)? 0$/);
    } finally {
      await browser.close();
      await server.close();
    }
    expect(lines.filter((l) => /source ?map/i.test(l))).toEqual([]);
  });

  it('with sharp installed beside it, the CLI segments a file', async () => {
    const sharpVersion = JSON.parse(await readFile(path.join(ROOT, 'node_modules', 'sharp', 'package.json'), 'utf8')).version;
    const added = await npm(['install', '--prefer-offline', `sharp@${sharpVersion}`], app);
    expect(added.code, added.out).toBe(0);
    const out = path.join(tmp, 'b.png');
    const cli = await sh(process.execPath, [path.join(app, 'node_modules', '.bin', 'kmeans-seg'), PHOTO, '-k', '3', '-o', out], app);
    expect(cli.code, cli.out).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});
