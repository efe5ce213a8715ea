/**
 * A plain `npm install` of the package's tarball installs neither bullmq nor ioredis (optional peers),
 * so npm never warns about bullmq's install scripts (msgpackr-extract). Opt-in, as it needs the npm
 * registry or a warm cache: KMEANS_SEG_TEST_INSTALL=1 (CI sets it, see .ci/run).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, markRan } from './helpers.js';

const npm = (args: string[], cwd: string): Promise<{ code: number; out: string }> => new Promise((resolve) => {
  execFile('npm', args, { cwd, encoding: 'utf8', timeout: 240_000 }, (error, stdout, stderr) => {
    resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}\n${stderr}` });
  });
});

let tmp = '';
afterAll(async () => { if (tmp) await rm(tmp, { recursive: true, force: true }); });

describe.skipIf(process.env.KMEANS_SEG_TEST_INSTALL !== '1')('a plain install of the tarball', () => {
  it('installs neither bullmq nor ioredis, and no install-scripts warning names them or their dependencies', async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-install-'));
    const packed = await npm(['pack', '--ignore-scripts', '--pack-destination', tmp, ROOT], tmp);
    expect(packed.code, packed.out).toBe(0);
    const tarball = (await readdir(tmp)).find((f) => f.endsWith('.tgz'))!;
    const app = path.join(tmp, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
    const installed = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, tarball)], app);
    expect(installed.code, installed.out).toBe(0);
    expect(existsSync(path.join(app, 'node_modules', 'kmeans-seg'))).toBe(true);
    for (const name of ['bullmq', 'ioredis', 'msgpackr', 'msgpackr-extract']) expect(existsSync(path.join(app, 'node_modules', name)), name).toBe(false);
    const warnings = installed.out.split('\n').filter((l) => /install-scripts/.test(l));
    expect(warnings.filter((l) => /bullmq|ioredis|msgpackr/.test(l))).toEqual([]);
    markRan(import.meta.url);
  }, 300_000);
});
