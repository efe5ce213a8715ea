/**
 * The main command's summary says which of the seeded restarts won, in the text and in --json, and
 * agrees with the API's result.attempt for the same run; and a JPEG written from pixels with alpha
 * (flattened onto white) is said in a warning.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segment } from '../../src/segment.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PHOTO = path.join(ROOT, 'examples', 'coffee.jpg');
const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
  execFile(process.execPath, [path.join(ROOT, 'bin', 'kmeans-seg.js'), ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
    resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
  });
});

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-summary-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('which attempt won', () => {
  it('the text says "attempt i of n kept" and --json gives attempts and attempt, as the API does', async () => {
    const options = { k: 6, seed: 1, init: 'random' as const, attempts: 4 };
    const api = await segment(PHOTO, options);
    expect(api.attempt, 'a seed whose winner is not the first attempt').toBeGreaterThan(0);
    const args = [PHOTO, '-k', '6', '--seed', '1', '--init', 'random', '--attempts', '4', '-o', path.join(tmp, 'o.png'), '--force'];
    const text = await run(args);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toContain(`, attempt ${api.attempt + 1} of 4 kept, `);
    const json = JSON.parse((await run([...args, '--json'])).stdout) as { attempts: number; attempt: number; inertia: number };
    expect([json.attempts, json.attempt, json.inertia]).toEqual([4, api.attempt, api.inertia]);
  });

  it('one attempt: the text says nothing of it, --json gives attempt 0 of 1', async () => {
    const args = [PHOTO, '-k', '3', '-o', path.join(tmp, 'p.png'), '--force'];
    expect((await run(args)).stdout.split('\n')[0]).not.toContain('attempt');
    expect(JSON.parse((await run([...args, '--json'])).stdout)).toMatchObject({ attempts: 1, attempt: 0 });
  });
});

describe('a JPEG of pixels with alpha', () => {
  it('warns, on stderr and in --json, once per JPEG output; not for PNG, nor for an opaque input', async () => {
    const input = path.join(tmp, 'half.png');
    await sharp({ create: { width: 8, height: 6, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.5 } } }).png().toFile(input);
    const r = await run([input, '-k', '2', '-o', path.join(tmp, 'h.jpg'), '--overlay', path.join(tmp, 'h-o.jpg'), '--force']);
    expect(r.code).toBe(0);
    const flattened = r.stderr.split('\n').filter((l) => l.includes('flattened onto white'));
    expect(flattened).toHaveLength(2);
    expect(flattened[0]).toMatch(/^kmeans-seg: warning: -o .*h\.jpg: JPEG has no alpha.*write \.png or \.webp/);
    const json = JSON.parse((await run([input, '-k', '2', '-o', path.join(tmp, 'h.jpg'), '--force', '--json'])).stdout) as { warnings: string[] };
    expect(json.warnings.filter((w) => w.includes('flattened'))).toHaveLength(1);
    expect((await run([input, '-k', '2', '-o', path.join(tmp, 'h.png'), '--force'])).stderr).not.toContain('flattened');
    expect((await run([PHOTO, '-k', '2', '-o', path.join(tmp, 'c.jpg'), '--force'])).stderr).not.toContain('flattened');
  });
});
