/**
 * segment() on a file path reads and decodes it on the job worker (src/node/file-job.ts): the same
 * run, files, warnings and errors as on the calling thread (worker: false), and a timing for decode.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segment, terminateWorkers, type KMeansSegError } from '../../src/index.js';
import { runningJobs } from '../../src/node/job-pool.js';
import { noiseImage } from '../helpers.js';
import { frames } from '../hostile.js';
import { expectSame } from './same-result.js';

let dir: string;
let png: string;
let gif: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-file-job-'));
  const img = noiseImage(160, 120, 11, 20, 3); // some alpha 0: the encode needs the alpha
  png = path.join(dir, 'in.png');
  await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 4 } }).png().toFile(png);
  gif = path.join(dir, 'two.gif');
  await frames(8, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).gif({ loop: 0 }).toFile(gif);
});

afterAll(async () => {
  await terminateWorkers();
  await rm(dir, { recursive: true, force: true });
});

describe('segment(path) on the job worker', () => {
  it('same run and same bytes as on the calling thread, in every format', async () => {
    const opts = { k: 6, seed: 3 };
    const [here, there] = [await segment(png, { ...opts, worker: false }), await segment(png, opts)];
    expectSame(there, here);
    expect(there.input).toBe(png);
    expect(there.timings.decode).toBeGreaterThan(0);
    expect(there.timings.decode).toBeLessThanOrEqual(there.timings.total);
    for (const format of ['png', 'webp', 'jpeg'] as const) {
      expect((await there.toBuffer({ format })).equals(await here.toBuffer({ format })), format).toBe(true);
    }
    expect((await there.toBuffer({ pngColors: 'truecolour' })).equals(await here.toBuffer({ pngColors: 'truecolour' }))).toBe(true);
  });

  it('the decode\'s warnings come back (an animated GIF: its first frame)', async () => {
    const [here, there] = [await segment(gif, { k: 2, worker: false }), await segment(gif, { k: 2 })];
    expect(here.warnings.join()).toMatch(/first/);
    expect(there.warnings).toEqual(here.warnings);
    expect(there.width).toBe(here.width);
    expect(there.height).toBe(here.height);
  });

  it('errors are those of the calling thread: code and message', async () => {
    const cases: [string, object][] = [
      [path.join(dir, 'missing.png'), {}],
      [dir, {}],
      [png, { limitInputPixels: 100 }],
      [path.join(dir, 'bad.png'), {}],
    ];
    await writeFile(path.join(dir, 'bad.png'), 'not a png at all');
    for (const [input, options] of cases) {
      const here = (await segment(input, { k: 3, ...options, worker: false }).catch((e: unknown) => e)) as KMeansSegError;
      const there = (await segment(input, { k: 3, ...options }).catch((e: unknown) => e)) as KMeansSegError;
      expect(there.code, input).toBe(here.code);
      expect(there.code, input).toMatch(/^ERR_/);
      expect(there.message).toBe(here.message);
    }
    expect(runningJobs()).toBe(0);
  });

  it('an abort once the worker has the job rejects ERR_ABORTED at once; the worker serves the next call', async () => {
    const controller = new AbortController();
    const call = segment(png, { k: 4, signal: controller.signal });
    while (runningJobs() === 0) await new Promise((r) => setImmediate(r)); // the job is posted: reading or decoding there
    controller.abort(new Error('stop'));
    const err = (await call.catch((e: unknown) => e)) as KMeansSegError;
    expect(err.code).toBe('ERR_ABORTED');
    expect((err.cause as Error).message).toBe('stop');
    expectSame(await segment(png, { k: 4, seed: 1 }), await segment(png, { k: 4, seed: 1, worker: false }));
  });
});
