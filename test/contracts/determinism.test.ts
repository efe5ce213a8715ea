/**
 * The determinism contract (docs/exactness-and-determinism.md). The same input, options and
 * seed give byte-identical output files whatever the backend (SIMD wasm or TypeScript), the number
 * of threads, and however often or in whichever order the runs are made, in one process or in
 * fresh ones (the CLI).
 *
 * What would break it: a reduction whose order depends on the thread split, state carried from one
 * run to the next (the reused histogram table, the kernel's memory, the worker pool), Math.random,
 * or a different float operation order between the kernels. The images are chosen so that both the
 * pixel path (noise: nearly every pixel a distinct colour) and the histogram path (few colours) run,
 * and large enough (n x k >= 2^18) that threads: 2 really splits each pass over two threads.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import { ThreadPool } from '../../src/kernel/pool/thread-pool.js';
import { segment, type SegmentOptions, type SegmentResult } from '../../src/segment.js';
import { noiseImage, rgbBytes } from '../helpers.js';

vi.setConfig({ testTimeout: 60_000 });

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'kmeans-seg.js');
const PONYO = path.resolve(ROOT, '../shared/images/ponyo.jpeg');
const HAVE_PONYO = existsSync(PONYO);
if (!HAVE_PONYO) console.warn(`determinism.test.ts: skipping the ponyo case: ${PONYO} is missing`);

let tmp: string;
const inputs: Record<string, string> = {};
let workersAvailable = false;

/** Deterministic noise quantised to `levels` values per channel, as RGB bytes for sharp. */
const noise = (width: number, height: number, seed: number, levels = 256): Uint8Array => rgbBytes(noiseImage(width, height, seed, levels));

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-det-'));
  inputs.noise = path.join(tmp, 'noise.png'); // 65 536 pixels, ~65 400 colours: the pixel path
  await sharp(noise(256, 256, 1), { raw: { width: 256, height: 256, channels: 3 } }).png().toFile(inputs.noise);
  inputs.levels = path.join(tmp, 'levels.png'); // 216 colours, a transparent corner: the histogram path
  const rgb = noise(192, 128, 2, 6);
  const rgba = Buffer.alloc(192 * 128 * 4);
  for (let p = 0; p < 192 * 128; p++) rgba.set([rgb[p * 3]!, rgb[p * 3 + 1]!, rgb[p * 3 + 2]!, p % 192 < 20 && p < 192 * 20 ? 0 : 255], p * 4);
  await sharp(rgba, { raw: { width: 192, height: 128, channels: 4 } }).png().toFile(inputs.levels);
  if (HAVE_PONYO) inputs.ponyo = PONYO;
  const { threads } = await getKernel('wasm', 2);
  workersAvailable = threads === 2;
  if (!workersAvailable) console.warn('determinism.test.ts: worker threads could not start here: threads: 2 runs on one thread, so thread counts are not really compared');
});
afterAll(async () => {
  await terminateWorkers();
  await rm(tmp, { recursive: true, force: true });
});

const ENGINES = [
  { name: 'wasm, 1 thread', options: { backend: 'wasm', threads: 1 } },
  { name: 'wasm, 2 threads', options: { backend: 'wasm', threads: 2 } },
  { name: 'js', options: { backend: 'js' } },
] as const satisfies readonly { name: string; options: SegmentOptions }[];

const CONFIGS: { name: string; options: SegmentOptions }[] = [
  { name: 'k 8, k-means++, rgb', options: { k: 8, seed: 5, maxIterations: 60 } },
  { name: 'k 6, random init, 3 attempts, oklab, every pixel', options: { k: 6, seed: 42, init: 'random', attempts: 3, colorSpace: 'oklab', histogram: false, maxIterations: 40 } },
  { name: 'k 5, lab, tolerance 0', options: { k: 5, seed: 9, colorSpace: 'lab', tolerance: 0, maxIterations: 40 } },
];

/** Everything a result promises to reproduce (timings and backend excepted). */
function reproducible(r: SegmentResult): unknown {
  return {
    k: r.k, palette: r.palette, centroids: r.centroids, inertia: r.inertia, iterations: r.iterations,
    converged: r.converged, history: r.history, attempt: r.attempt, warnings: r.warnings,
  };
}

async function segmentAndSave(input: string, options: SegmentOptions, out: string): Promise<{ bytes: Buffer; result: SegmentResult }> {
  // On the calling thread, so the spy on its thread pool sees the passes (job workers give the same
  // bits: test/node/job-workers.test.ts).
  const result = await segment(input, { ...options, worker: false });
  await result.save(out, { force: true });
  return { bytes: await readFile(out), result };
}

describe('byte-identical PNG files across backends, thread counts and repeated runs', () => {
  for (const image of ['noise', 'levels', 'ponyo']) {
    for (const config of CONFIGS) {
      it.skipIf(image === 'ponyo' && !HAVE_PONYO)(`${image}: ${config.name}`, async () => {
        const runSpy = vi.spyOn(ThreadPool.prototype, 'run');
        let first: { bytes: Buffer; result: SegmentResult; engine: string } | undefined;
        // Twice round every engine, interleaved, so state left by one run meets the next engine.
        for (const round of [1, 2]) {
          for (const engine of ENGINES) {
            const out = path.join(tmp, `${image}-${round}-${engine.options.backend}.png`);
            const { bytes, result } = await segmentAndSave(inputs[image]!, { ...config.options, ...engine.options }, out);
            expect(result.backend).toBe(engine.options.backend);
            if (!first) { first = { bytes, result, engine: engine.name }; continue; }
            const what = `${engine.name}, round ${round} vs ${first.engine}, round 1`;
            expect(reproducible(result), what).toEqual(reproducible(first.result));
            expect(Buffer.compare(Buffer.from(result.labels.buffer, result.labels.byteOffset, result.labels.byteLength),
              Buffer.from(first.result.labels.buffer, first.result.labels.byteOffset, first.result.labels.byteLength)), `${what}: labels`).toBe(0);
            expect(bytes.equals(first.bytes), `${what}: PNG bytes`).toBe(true);
          }
        }
        // The noise image is large enough that threads: 2 splits the passes over the pool.
        if (image === 'noise' && workersAvailable) expect(runSpy, 'the pool ran passes').toHaveBeenCalled();
        runSpy.mockRestore();
      });
    }
  }

  it('JPEG and WebP outputs are byte-identical too (same pixels, deterministic encoders)', async () => {
    const options = CONFIGS[0]!.options;
    for (const ext of ['jpg', 'webp']) {
      const a = await segmentAndSave(inputs.noise!, { ...options, backend: 'wasm', threads: 2 }, path.join(tmp, `a.${ext}`));
      const b = await segmentAndSave(inputs.noise!, { ...options, backend: 'js' }, path.join(tmp, `b.${ext}`));
      expect(a.bytes.equals(b.bytes), ext).toBe(true);
    }
  });

  it('another seed gives another result (the seed is really used)', async () => {
    const a = await segment(inputs.noise!, { k: 8, seed: 5, maxIterations: 5, backend: 'js' });
    const b = await segment(inputs.noise!, { k: 8, seed: 6, maxIterations: 5, backend: 'js' });
    expect(reproducible(a)).not.toEqual(reproducible(b));
  });
});

describe('fresh processes (the CLI) give the bytes of this process', () => {
  function cli(args: string[]): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' }, (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr });
      });
    });
  }

  it('noise, k 8, seed 5: --backend wasm --threads 1 / --threads 2 / --backend js', async () => {
    if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does)');
    const api = await segmentAndSave(inputs.noise!, { k: 8, seed: 5, maxIterations: 60 }, path.join(tmp, 'api.png'));
    const runs = [['--backend', 'wasm', '--threads', '1'], ['--backend', 'wasm', '--threads', '2'], ['--backend', 'js']];
    await Promise.all(runs.map(async (flags, i) => {
      const out = path.join(tmp, `cli-${i}.png`);
      const r = await cli([inputs.noise!, '-k', '8', '--seed', '5', '--max-iter', '60', ...flags, '-o', out, '--force']);
      expect(r.code, r.stderr).toBe(0);
      expect((await readFile(out)).equals(api.bytes), flags.join(' ')).toBe(true);
    }));
  });
});
