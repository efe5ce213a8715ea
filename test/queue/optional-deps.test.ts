/**
 * bullmq and ioredis are optional peers: a local batch never loads them, and without them --redis and
 * `kmeans-seg worker` say how to install them. Runs without Redis; the packages are hidden by a
 * resolve hook (fixtures/no-queue-packages.mjs) that fails as a missing package does.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cli, ROOT, noiseImages } from './helpers.js';

const HIDE = ['--import', path.join(ROOT, 'test', 'queue', 'fixtures', 'no-queue-packages.mjs')];
let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-optional-'));
  await noiseImages(path.join(tmp, 'in'), 2);
});
afterAll(async () => { if (tmp) await rm(tmp, { recursive: true, force: true }); });

describe('without bullmq and ioredis', () => {
  it('the hook hides them (the check is not vacuous)', async () => {
    const probe = new Cli(['batch', path.join(tmp, 'in', '*.png'), '-o', path.join(tmp, 'p'), '--redis', 'redis://127.0.0.1:1'], HIDE);
    expect(await probe.exited).toBe(1);
    expect(probe.stderr).toMatch(/bullmq/);
  });

  it('a local batch runs, never loading them', async () => {
    const local = new Cli(['batch', path.join(tmp, 'in', '*.png'), '-k', '3', '-o', path.join(tmp, 'local')], HIDE);
    expect(await local.exited, local.stderr).toBe(0);
    expect((await readdir(path.join(tmp, 'local'))).filter((f) => f.endsWith('.png'))).toHaveLength(2);
  });

  it('batch --redis and kmeans-seg worker fail with exit 1, saying how to install them', async () => {
    const runs = [
      new Cli(['batch', path.join(tmp, 'in', '*.png'), '-o', path.join(tmp, 'q'), '--redis', 'redis://127.0.0.1:1'], HIDE),
      new Cli(['worker', '--redis', 'redis://127.0.0.1:1', '--root', tmp], HIDE),
    ];
    for (const run of runs) {
      expect(await run.exited, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/^kmeans-seg: error: Queued batches .* need the optional packages bullmq and ioredis, which are not installed: run npm install bullmq ioredis/m);
    }
  });
});

describe('the packaging of the optional peers', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown> | undefined>;

  it('are optional peer dependencies (never installed with kmeans-seg, so no install script runs) and devDependencies', () => {
    for (const name of ['bullmq', 'ioredis']) {
      expect(pkg.peerDependencies?.[name], name).toBeTypeOf('string');
      expect(pkg.peerDependenciesMeta?.[name], name).toEqual({ optional: true });
      expect(pkg.devDependencies?.[name], name).toBeTypeOf('string');
      expect(pkg.dependencies?.[name], name).toBeUndefined();
      expect(pkg.optionalDependencies?.[name], name).toBeUndefined();
    }
  });

  it('src/ imports them only as types, or through the one lazy import() in src/batch/queue/connection.ts', () => {
    const files = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const offending: string[] = [];
    let lazy = 0;
    for (const f of files) {
      const text = readFileSync(path.join(ROOT, 'src', f), 'utf8');
      for (const line of text.split('\n')) {
        if (/^import type .* from '(bullmq|ioredis)';$/.test(line)) continue;
        if (/import\('(bullmq|ioredis)'\)/.test(line) && !/typeof import/.test(line)) { lazy++; if (!f.endsWith(path.join('queue', 'connection.ts'))) offending.push(`${f}: ${line.trim()}`); continue; }
        if (/['"](bullmq|ioredis)['"]/.test(line) && /\b(import|require|from)\b/.test(line) && !/typeof import/.test(line)) offending.push(`${f}: ${line.trim()}`);
      }
    }
    expect(offending).toEqual([]);
    expect(lazy).toBeGreaterThanOrEqual(2);
    expect(existsSync(path.join(ROOT, 'src', 'batch', 'queue', 'connection.ts'))).toBe(true);
  });
});
