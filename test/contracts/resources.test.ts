/**
 * Resource bounds. Memory does not grow across 1,000 consecutive segmentations in
 * one process (no leak of JS heap, buffers, wasm memory, file handles or listeners), and worker
 * threads do not pile up across calls, are stopped by terminateWorkers(), survive an abort in a
 * usable state, and never keep a process alive.
 *
 * Memory is read after a full GC. vitest does not pass --expose-gc, so the flag is set at run time
 * (v8.setFlagsFromString, then `gc` from a fresh context); where even that fails, the bounds fall
 * back to generous ones (100 MB) and a message says so.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import { KMeansSegError } from '../../src/errors.js';
import { kmeans } from '../../src/core/kmeans.js';
import type { KMeansOptions } from '../../src/core/options.js';
import { segment } from '../../src/segment.js';
import type { KMeansResult } from '../../src/types.js';
import { noiseImage } from '../helpers.js';

vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MB = 2 ** 20;

function findGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const gc = findGc();
if (!gc) console.warn('resources.test.ts: no way to force a GC here; memory bounds are the generous ones (100 MB)');

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Memory { rss: number; heapUsed: number; external: number; arrayBuffers: number }
function memory(): Memory {
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

/** OS threads of this process (Linux); undefined elsewhere. Each Node worker adds a few. */
function osThreads(): number | undefined {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

function openFiles(): number | undefined {
  try { return readdirSync('/proc/self/fd').length; } catch { return undefined; }
}

/** The process's one wasm kernel: its memory and its pool (null until threads > 1 is asked for). */
async function wasmKernel(): Promise<{ memory: WebAssembly.Memory; pool: { size: number } | null }> {
  return (await getKernel('wasm', 1)).kernel as unknown as { memory: WebAssembly.Memory; pool: { size: number } | null };
}

const noise = noiseImage;

afterAll(async () => { await terminateWorkers(); });

describe('memory across 1,000 consecutive segmentations', () => {
  it('kmeans(): JS heap, buffers and wasm memory stay flat', async () => {
    // A pool of small images of every kind: pixel path and histogram path, with transparency.
    const images = Array.from({ length: 24 }, (_, i) => noise(8 + (i % 6) * 8, 8 + (i % 4) * 10, i, i % 3 === 0 ? 6 : 256, i % 5));
    const variants: KMeansOptions[] = [
      { backend: 'wasm' }, { backend: 'js' }, { backend: 'wasm', histogram: false }, { backend: 'js', histogram: true },
      { backend: 'wasm', colorSpace: 'oklab' }, { backend: 'wasm', init: 'random', attempts: 2 }, { backend: 'wasm', threads: 2 },
    ];
    const run = (i: number): Promise<KMeansResult> =>
      kmeans(images[i % images.length]!, { k: 2 + (i % 15), seed: i, maxIterations: 30, ...variants[i % variants.length] });

    for (let i = 0; i < 100; i++) await run(i); // warm-up: compiled code, the histogram table, wasm memory grown
    await settle();
    const kernel = await wasmKernel();
    const wasmBytes = kernel.memory.buffer.byteLength;
    const before = memory();
    const samples: Memory[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      const r = await run(i);
      expect(r.labels.length).toBe(images[i % images.length]!.width * images[i % images.length]!.height);
      if (i % 250 === 249) { await settle(); samples.push(memory()); }
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = samples.at(-1)!;
    const grew = (key: keyof Memory): number => (after[key] - before[key]) / MB;
    console.log(`resources.test.ts: 1000 runs in ${seconds.toFixed(1)} s; growth: heap ${grew('heapUsed').toFixed(2)} MB, ` +
      `external ${grew('external').toFixed(2)} MB, arrayBuffers ${grew('arrayBuffers').toFixed(2)} MB, rss ${grew('rss').toFixed(1)} MB; ` +
      `heap per 250 runs: ${samples.map((s) => (s.heapUsed / MB).toFixed(1)).join(', ')} MB`);

    const bound = gc ? 8 : 100;
    expect(grew('heapUsed'), 'JS heap growth (MB)').toBeLessThan(bound);
    expect(grew('arrayBuffers'), 'ArrayBuffer growth (MB)').toBeLessThan(gc ? 16 : 100);
    expect(grew('rss'), 'RSS growth (MB)').toBeLessThan(100);
    // The second half grows no more than noise: a leak of even a few KB per call would show here.
    expect((after.heapUsed - samples[1]!.heapUsed) / MB, 'heap growth over the last 500 runs (MB)').toBeLessThan(gc ? 4 : 100);
    expect(kernel.memory.buffer.byteLength, 'wasm memory reused, not grown').toBe(wasmBytes);
  });

  it('segment() + save(): no file handle, listener or memory left behind (200 runs)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-res-'));
    try {
      const png = await sharp(noise(40, 30, 3).data, { raw: { width: 40, height: 30, channels: 4 } }).png().toBuffer();
      const out = path.join(dir, 'out.png');
      const listeners = (): number[] => ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e));
      for (let i = 0; i < 20; i++) await (await segment(png, { k: 4, seed: i })).save(out, { force: true });
      await settle();
      const fds = openFiles();
      const heap = memory().heapUsed;
      const l0 = listeners();
      for (let i = 0; i < 200; i++) {
        const r = await segment(png, { k: 2 + (i % 6), seed: i, backend: i % 2 ? 'js' : 'wasm' });
        await r.save(out, { force: true });
        // A failure path too: an existing file without force.
        if (i % 20 === 0) await expect(r.save(out)).rejects.toBeInstanceOf(KMeansSegError);
      }
      await settle();
      expect(listeners()).toEqual(l0);
      if (fds !== undefined) expect(openFiles(), 'open file descriptors').toBeLessThanOrEqual(fds + 2);
      expect((memory().heapUsed - heap) / MB).toBeLessThan(gc ? 8 : 100);
      expect(readdirSync(dir)).toEqual(['out.png']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('worker threads', () => {
  // Large enough that threads > 1 really uses the pool (n x k >= 2^18 distance evaluations a pass).
  const big = noise(128, 128, 7);
  const opts = { k: 16, seed: 1, histogram: false, backend: 'wasm', maxIterations: 20 } as const;
  let reference: KMeansResult;
  let baseThreads: number | undefined;

  beforeAll(async () => {
    await terminateWorkers();
    reference = await kmeans(big, { ...opts, threads: 1 });
    baseThreads = osThreads();
  });

  /**
   * The OS thread count is at most `n` (thread exit is asynchronous: poll for a while). At most, not
   * exactly: libvips' idle threads from earlier sharp calls may end meanwhile; a leak only adds.
   */
  async function expectOsThreadsAtMost(n: number | undefined): Promise<void> {
    if (n === undefined) return;
    for (let i = 0; i < 100 && osThreads()! > n; i++) await new Promise((r) => setTimeout(r, 20));
    expect(osThreads(), 'OS threads of this process').toBeLessThanOrEqual(n);
  }

  it('repeated calls reuse the pool: no worker leaks across 30 calls', async () => {
    const first = await kmeans(big, { ...opts, threads: 2 });
    const kernel = await wasmKernel();
    if (kernel.pool === null || kernel.pool.size === 0) {
      console.warn('resources.test.ts: worker threads could not start here; pool checks skipped');
      return;
    }
    expect(kernel.pool.size).toBe(1);
    const withPool = osThreads();
    for (let i = 0; i < 30; i++) {
      const r = await kmeans(big, { ...opts, threads: 2 });
      expect(r.inertia).toBe(first.inertia);
    }
    expect(kernel.pool.size, 'still one worker (the host thread is the other)').toBe(1);
    await expectOsThreadsAtMost(withPool);
    expect(first.inertia).toBe(reference.inertia);
    // Concurrent callers share it too.
    await Promise.all([1, 2, 3, 4].map(() => kmeans(big, { ...opts, threads: 2 })));
    expect(kernel.pool.size).toBe(1);
    // It grows to what is asked for, never more.
    await kmeans(big, { ...opts, threads: 3 });
    expect(kernel.pool.size).toBe(2);
  });

  it('terminateWorkers() stops every worker; the next call starts them again, with the same result', async () => {
    const kernel = await wasmKernel();
    await kmeans(big, { ...opts, threads: 2 });
    await terminateWorkers();
    expect(kernel.pool?.size ?? 0).toBe(0);
    await expectOsThreadsAtMost(baseThreads);
    await terminateWorkers(); // twice is harmless
    const again = await kmeans(big, { ...opts, threads: 2 });
    expect(again.inertia).toBe(reference.inertia);
    expect(Array.from(again.labels)).toEqual(Array.from(reference.labels));
    await terminateWorkers();
    await expectOsThreadsAtMost(baseThreads);
  });

  it('an abort mid-run leaves the pool idle and usable, not busy or grown', async () => {
    const kernel = await wasmKernel();
    await kmeans(big, { ...opts, threads: 2 });
    const size = kernel.pool?.size ?? 0;
    const threadsBefore = osThreads();
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController();
      const error = await kmeans(big, { ...opts, threads: 2, tolerance: 0, maxIterations: 1000, signal: controller.signal,
        onProgress: (p) => { if (p.iteration === 2 + i) controller.abort(); } }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KMeansSegError);
      expect((error as KMeansSegError).code).toBe('ERR_ABORTED');
    }
    expect(kernel.pool?.size ?? 0).toBe(size);
    await expectOsThreadsAtMost(threadsBefore);
    const after = await kmeans(big, { ...opts, threads: 2 });
    expect(after.inertia).toBe(reference.inertia);
    await terminateWorkers();
    await expectOsThreadsAtMost(baseThreads);
  });

  it('an idle pool never keeps a process alive: a script that never calls terminateWorkers() exits by itself', async () => {
    if (!existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run `npm run build` first (`npm test` does)');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-res-'));
    try {
      const script = path.join(dir, 'idle.mjs');
      await writeFile(script, `
import { kmeans } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))};
const w = 128, h = 128, data = new Uint8Array(w * h * 4);
for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 2654435761) >>> 24;
const r = await kmeans({ data, width: w, height: h }, { k: 16, threads: 2, histogram: false, backend: 'wasm', maxIterations: 5 });
const c = new AbortController();
await kmeans({ data, width: w, height: h }, { k: 16, threads: 2, histogram: false, backend: 'wasm', signal: c.signal,
  onProgress: () => c.abort() }).catch((e) => console.log(e.code));
console.log('done', r.k);
`);
      const t0 = performance.now();
      // The timeout is a hang guard only (it kills a child kept alive, below this test's 60 s limit,
      // so none is left behind); what is asserted is that the child was not killed: it exited by itself.
      const r = await new Promise<{ code: number | null; killed: boolean; signal: string | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [script], { timeout: 45_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
            killed: error?.killed ?? false, signal: error?.signal ?? null, stdout, stderr });
        });
      });
      console.log(`resources.test.ts: the idle-pool script exited after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      expect(r.code, `exited by itself (${r.stderr})`).toBe(0);
      expect(r.stdout).toBe('ERR_ABORTED\ndone 16\n');
      expect({ killed: r.killed, signal: r.signal }, 'not killed by the hang guard: it exited by itself').toEqual({ killed: false, signal: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
