/**
 * The quality target and sampling from the command line: --max-delta-e / --min-psnr with -k as the
 * bound (the K chosen and every K tried, in the summary and --json), --strict (exit 1, nothing
 * written), --sample (never silent), and the mistakes a user can make with them.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node/platform.js';
import { kmeans } from '../../src/core/kmeans.js';
import { noiseImage, runCli } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const run = runCli;

const IMG = noiseImage(48, 32, 7, 10);
let tmp: string, input: string;
beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'quality-target.js'))) throw new Error('dist/cli/quality-target.js is missing: run `npm run build` first (`npm test` does)');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-target-'));
  input = path.join(tmp, 'in.png');
  await sharp(Buffer.from(IMG.data), { raw: { width: 48, height: 32, channels: 4 } }).png().toFile(input);
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

interface Summary { k: number; kSearch: { k: number; met: boolean; maxK: number; tried: { k: number; deltaE: number; psnr: number | null; met: boolean }[] } | null; sample: { size: number; of: number } | null; quality: { deltaE: { mean: number } } }

describe('kmeans-seg --max-delta-e / --min-psnr', () => {
  it('chooses the K the API chooses, and reports every K tried in --json and the summary', async () => {
    const api = await kmeans(IMG, { k: 'auto', target: { maxDeltaE: 9 }, maxK: 40, seed: 3 });
    const r = await run([input, '--max-delta-e', '9', '-k', '40', '--seed', '3', '-o', 'a.png', '--json'], tmp);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.k).toBe(api.k);
    expect(s.kSearch!.met).toBe(true);
    expect(s.kSearch!.maxK).toBe(40);
    expect(s.kSearch!.tried.map((t) => t.k)).toEqual(api.kSearch!.tried.map((t) => t.k));
    expect(s.quality.deltaE.mean).toBeLessThanOrEqual(9);
    expect(s.quality.deltaE.mean).toBeCloseTo(s.kSearch!.tried.find((t) => t.k === s.k)!.deltaE, 9);
    expect(s.sample).toBeNull();
    const text = await run([input, '--max-delta-e', '9', '-k', '40', '--seed', '3', '-o', 'b.png'], tmp);
    expect(text.stdout).toContain(`target mean ΔE <= 9: K = ${api.k} chosen`);
    expect(text.stdout.match(/^ {4}K = +\d+ +ΔE/gm)).toHaveLength(api.kSearch!.tried.length);
  });

  it('with both targets, both hold', async () => {
    const r = await run([input, '--max-delta-e', '30', '--min-psnr', '24', '--seed', '1', '-o', 'both.png', '--json'], tmp);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary & { quality: { psnr: number } };
    expect(s.quality.psnr).toBeGreaterThanOrEqual(24);
    const below = s.kSearch!.tried.find((t) => t.k === s.k - 1);
    expect(below?.met ?? s.k === 1).toBe(s.k === 1);
  });

  it('warns and exits 0 when even -k misses; with --strict exits 1 and writes nothing', async () => {
    const dir = await mkdtemp(path.join(tmp, 'miss-'));
    const soft = await run([input, '--max-delta-e', '0.001', '-k', '5', '-o', 'soft.png'], dir);
    expect(soft.code, soft.stderr).toBe(0);
    expect(soft.stderr).toMatch(/warning: quality target missed: even K = 5/);
    expect(soft.stdout).toContain('missed: even K = 5, the bound, misses it');
    const strict = await run([input, '--max-delta-e', '0.001', '-k', '5', '--strict', '-o', 'strict.png', '--labels', 'l.png'], dir);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/error: quality target missed \(--strict\)/);
    expect(await readdir(dir)).toEqual(['soft.png']);
  });

  it('refuses bad values and --strict without a target', async () => {
    for (const args of [['--max-delta-e', '-1'], ['--min-psnr', 'lots'], ['--strict']]) {
      const r = await run([input, ...args, '-o', 'x.png'], tmp);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error: /);
    }
  });
});

describe('kmeans-seg --sample', () => {
  it('says so in a warning, the summary and --json', async () => {
    const r = await run([input, '-k', '4', '--spatial-weight', '1', '--sample', '500', '-o', 's.png', '--json'], tmp);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Summary).sample).toEqual({ size: 500, of: 1536 });
    expect(r.stderr).toContain('warning: clustered a seeded sample of 500 of the 1536 visible pixels');
    const text = await run([input, '-k', '4', '--spatial-weight', '1', '--sample', '500', '-o', 's2.png'], tmp);
    expect(text.stdout).toContain('sample: 500 of 1536 pixels clustered, every pixel assigned');
  });
});
