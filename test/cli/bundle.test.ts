/**
 * The CLI's bundles (made by scripts/bundle-cli.mjs after tsc): bin/kmeans-seg.js runs dist/cli/bundle.js
 * only for the main command and dist/cli/batch-bundle.js only for `batch`, each only when it is not
 * older than the file it bundles; the main bundle writes the same files and figures as
 * dist/cli/main.js, and every bundle finds its workers and wasm from their dist/ files.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noisePng } from '../hostile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLE = path.join(ROOT, 'dist', 'cli', 'bundle.js');
const BUNDLES = [BUNDLE, path.join(ROOT, 'dist', 'cli', 'batch-bundle.js'), path.join(ROOT, 'dist', 'batch', 'worker-bundle.js')];
const HAVE_BUNDLE = existsSync(BUNDLE);
if (!HAVE_BUNDLE) console.warn('bundle.test.ts: skipping the bundle runs: dist/cli/bundle.js is missing (npm run build:ts makes it when esbuild is installed)');

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-bundle-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('bin/kmeans-seg.js', () => {
  /** A package whose dist/cli/main.js and bundle.js each print their name; returns its bin. */
  async function fakePackage(bundleAge: 'newer' | 'older' | 'none'): Promise<string> {
    const pkg = await mkdtemp(path.join(tmp, 'pkg-'));
    await mkdir(path.join(pkg, 'bin'));
    await mkdir(path.join(pkg, 'dist', 'cli'), { recursive: true });
    await copyFile(path.join(ROOT, 'bin', 'kmeans-seg.js'), path.join(pkg, 'bin', 'kmeans-seg.js'));
    const entry = (name: string) => `export async function main(argv) { process.stdout.write('${name} ' + argv.join(' ')); return 0; }\n`;
    for (const [built, bundled] of [['main', 'bundle'], ['batch', 'batch-bundle']]) {
      const main = path.join(pkg, 'dist', 'cli', `${built}.js`), bundle = path.join(pkg, 'dist', 'cli', `${bundled}.js`);
      await writeFile(main, entry(built!));
      await utimes(main, 1_000_000, 1_000_000);
      if (bundleAge !== 'none') {
        await writeFile(bundle, entry(bundled!));
        const t = bundleAge === 'newer' ? 1_000_000 : 999_000; // the same second counts as fresh
        await utimes(bundle, t, t);
      }
    }
    return path.join(pkg, 'bin', 'kmeans-seg.js');
  }

  it('runs the bundle for the main command when it is not older than main.js', async () => {
    const bin = await fakePackage('newer');
    expect((await run(bin, ['in.png', '-o', 'out.png'])).stdout).toBe('bundle in.png -o out.png');
    expect((await run(bin, ['--help'])).stdout).toBe('bundle --help');
  });

  it('runs main.js for a subcommand, a stale or missing bundle, and KMEANS_SEG_NO_BUNDLE=1', async () => {
    const fresh = await fakePackage('newer');
    for (const sub of ['sweep', 'apply', 'worker']) expect((await run(fresh, [sub, 'x'])).stdout).toBe(`main ${sub} x`);
    expect((await run(fresh, ['in.png'], { KMEANS_SEG_NO_BUNDLE: '1' })).stdout).toBe('main in.png');
    expect((await run(await fakePackage('older'), ['in.png'])).stdout).toBe('main in.png');
    expect((await run(await fakePackage('none'), ['in.png'])).stdout).toBe('main in.png');
  });

  it('runs the batch bundle, without the word batch, for `batch` when it is fresh; else main.js', async () => {
    expect((await run(await fakePackage('newer'), ['batch', 'a/*.png', '-o', 'out'])).stdout).toBe('batch-bundle a/*.png -o out');
    expect((await run(await fakePackage('newer'), ['batch', 'x'], { KMEANS_SEG_NO_BUNDLE: '1' })).stdout).toBe('main batch x');
    expect((await run(await fakePackage('older'), ['batch', 'x'])).stdout).toBe('main batch x');
    expect((await run(await fakePackage('none'), ['batch', 'x'])).stdout).toBe('main batch x');
  });
});

describe.skipIf(!HAVE_BUNDLE)('the bundle', () => {
  it.each(BUNDLES)('%s names only dist/ files in its rewritten module URLs', async (file) => {
    const text = await readFile(file, 'utf8');
    const bases = [...text.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)].map((m) => m[1]!);
    expect(bases.length).toBeGreaterThan(1); // the wasm module or a worker's entry, sharp's loader at least
    for (const base of bases) expect(existsSync(path.resolve(path.dirname(file), base)), base).toBe(true);
    expect(text).not.toMatch(/(?<!new URL\("[^"]+", )import\.meta\.url(?!\)\.href)/); // every import.meta.url was rewritten
  });

  it('writes the same file and summary as main.js, on the wasm kernel and its worker pool', async () => {
    const input = path.join(tmp, 'noise.png');
    await writeFile(input, await noisePng(128, 128, 5)); // 128 x 128 x K 16: the kernel starts its worker pool
    const bin = path.join(ROOT, 'bin', 'kmeans-seg.js');
    const outs = [path.join(tmp, 'bundle.png'), path.join(tmp, 'main.png')];
    const runs = [];
    for (const [i, env] of [{}, { KMEANS_SEG_NO_BUNDLE: '1' }].entries()) {
      const r = await run(bin, [input, '-k', '16', '--seed', '3', '-o', outs[i]!, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { backend: string; timings?: unknown; output?: string };
      expect(summary.backend).toBe('wasm');
      expect(summary.output).toBe(outs[i]);
      delete summary.timings;
      delete summary.output;
      runs.push(summary);
    }
    expect(runs[0]).toEqual(runs[1]);
    expect((await readFile(outs[0]!)).equals(await readFile(outs[1]!))).toBe(true);
  });
});
