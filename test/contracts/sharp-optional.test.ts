/**
 * sharp is an optional peer dependency: a process where `require('sharp')` finds nothing still runs
 * kmeans() on pixels, and every file function and the CLI fail with ERR_BACKEND naming the fix.
 * sharp is hidden by a preload that resolves it from an empty folder (the real "Cannot find module"),
 * never by uninstalling it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PHOTO = path.join(ROOT, 'examples', 'coffee.jpg');

// Resolution of 'sharp' from a folder that does not exist: Node's own MODULE_NOT_FOUND for it.
const HIDE_SHARP = `
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (request === 'sharp') return resolve.call(this, request, parent, isMain, { paths: [${JSON.stringify(path.join(os.tmpdir(), 'kmeans-seg-no-sharp-here'))}] });
  return resolve.call(this, request, parent, isMain, options);
};
`;

let tmp = '';
let hide = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-no-sharp-'));
  hide = path.join(tmp, 'hide-sharp.cjs');
  await writeFile(hide, HIDE_SHARP);
});
afterAll(async () => { if (tmp) await rm(tmp, { recursive: true, force: true }); });

const node = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
  execFile(process.execPath, ['--require', hide, '--import', 'tsx', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
    resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
  });
});

const SCRIPT = `
import { kmeans, segment } from ${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))};
const out = {};
const data = new Uint8Array(4 * 64);
for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 37) % 256;
out.pixels = (await kmeans({ data, width: 8, height: 8 }, { k: 3, seed: 1 })).k;
out.file = await segment(${JSON.stringify(PHOTO)}, { k: 2 }).then(() => 'resolved', (e) => ({ code: e.code, message: e.message }));
out.again = await segment(${JSON.stringify(PHOTO)}, { k: 2 }).then(() => 'resolved', (e) => e.code);
console.log(JSON.stringify(out));
`;

describe('without sharp installed', () => {
  it('kmeans() on pixels works; segment() on a file rejects with ERR_BACKEND naming "npm install sharp", every time', async () => {
    // A file, not -e: the job workers inherit execArgv, and Node refuses --input-type in a worker.
    const script = path.join(tmp, 'script.mjs');
    await writeFile(script, SCRIPT);
    const run = await node([script]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(out.pixels).toBe(3);
    expect(out.file.code).toBe('ERR_BACKEND');
    expect(out.file.message).toMatch(/^sharp is not installed: .*optional peer dependency.*Run "npm install sharp".*kmeans\(\{ data, width, height \}\)/);
    expect(out.again).toBe('ERR_BACKEND'); // a failed load is not cached as success, nor crashes later calls
  });

  it('the CLI exits non-zero with one line naming the fix', async () => {
    const main = `import { main } from ${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))}; process.exitCode = await main(process.argv.slice(2));`;
    const script = path.join(tmp, 'cli.mjs');
    await writeFile(script, main);
    const run = await node([script, PHOTO, '-k', '2', '-o', path.join(tmp, 'out.png')]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/sharp is not installed.*npm install sharp/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('package.json makes sharp an optional peer (browser-only installs skip it) and keeps it for development', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies?.sharp).toBeUndefined();
    expect(pkg.peerDependencies.sharp).toBe(pkg.devDependencies.sharp);
    expect(pkg.peerDependenciesMeta.sharp).toEqual({ optional: true });
  });
});
