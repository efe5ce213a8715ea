/**
 * How a batch starts (issue 12, target 3): its workers boot while the calling thread pins sharp, and no
 * file starts before sharp is pinned there (a worker's exit could otherwise unload sharp's libraries
 * under the others, lovell/sharp#2263). Each case runs in a fresh process, where nothing else loaded sharp.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCES = pathToFileURL(path.join(ROOT, 'src', 'batch', 'batch.ts')).href;

/** Run `code` as a module under tsx in a fresh node, with `batch` imported from the sources; its stdout. */
function app(code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { batch } from ${JSON.stringify(SOURCES)};\n${code}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (c) => resolve({ code: c, stdout, stderr }));
  });
}

let tmp: string;
const inputs: string[] = [];
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-batch-startup-'));
  for (const [i, colour] of ['#c83228', '#3040d0', '#20a040'].entries()) {
    const file = path.join(tmp, `in${i}.png`);
    await sharp({ create: { width: 24, height: 16, channels: 3, background: colour } })
      .composite([{ input: { create: { width: 8, height: 16, channels: 3, background: '#f0f0e0' } }, left: 0, top: 0 }]).png().toFile(file);
    inputs.push(file);
  }
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('a batch at its start', () => {
  it('has sharp loaded on the calling thread before its first file ends, for clustering and for a palette', async () => {
    // sharp's CommonJS build in the calling thread's require cache: what loadSharp() loads (import('sharp')
    // would load the ES build instead, in three times the time).
    const r = await app(`
      import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const pinned = () => Object.keys(cache).some((k) => /[\\\\/]sharp[\\\\/]dist[\\\\/]index\\.cjs$/.test(k));
      const seen = [];
      const onProgress = (p) => { if (p.file) seen.push(pinned()); };
      seen.push(pinned()); // before: nothing loaded it
      const a = await batch(${JSON.stringify(inputs)}, { output: ${JSON.stringify(path.join(tmp, 'k'))}, k: 2, concurrency: 2, onProgress });
      const b = await batch(${JSON.stringify(inputs)}, { output: ${JSON.stringify(path.join(tmp, 'p'))}, palette: ['#000000', '#ffffff'], concurrency: 1, onProgress });
      console.log(JSON.stringify({ seen, done: [a.done, b.done], failed: [a.failed, b.failed] }));`);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ seen: [false, true, true, true, true, true, true], done: [3, 3], failed: [0, 0] });
  });

  it('stopped before any file, still ends every worker and reports every file cancelled', async () => {
    // Aborted while the workers boot and sharp loads: the process must end by itself (no worker left).
    const r = await app(`
      const controller = new AbortController();
      const run = batch(${JSON.stringify(inputs)}, { output: ${JSON.stringify(path.join(tmp, 'stopped'))}, k: 2, concurrency: 2, signal: controller.signal,
        onProgress: (p) => { if (p.file === null) setImmediate(() => controller.abort()); } });
      const report = await run;
      console.log(JSON.stringify({ interrupted: report.interrupted, statuses: report.files.map((f) => f.status) }));`);
    expect(r.code, r.stderr).toBe(0);
    const { interrupted, statuses } = JSON.parse(r.stdout) as { interrupted: boolean; statuses: string[] };
    expect(interrupted).toBe(true);
    // A file a worker had already taken may finish; none is failed, and each is reported once.
    expect(statuses).toHaveLength(3);
    expect(statuses.every((s) => s === 'cancelled' || s === 'done'), statuses.join(' ')).toBe(true);
  });
});
