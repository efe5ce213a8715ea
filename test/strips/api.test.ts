/**
 * segmentStrips(), the strip path from the Node API: the in-memory label map and palette, and every
 * refusal before the image is decoded (a non-PNG output, a feature the strip path does not do, a bad
 * stripRows, the pixel limit, an input it cannot read exactly).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentStrips } from '../../src/index.js';
import { labelsPNG } from '../../src/outputs/label-map.js';
import { segment } from '../../src/segment.js';

let dir: string, input: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-strips-api-'));
  const width = 33, height = 19, data = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set([(p % width) * 7, Math.floor(p / width) * 13, (p * 3) & 255], p * 3);
  input = path.join(dir, 'in.png');
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(input);
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('segmentStrips', () => {
  it('writes the in-memory label map and returns its palette and quality', async () => {
    const labels = path.join(dir, 'labels.png');
    const seen: { stage: string; done: number; total: number }[] = [];
    const run = await segmentStrips(input, { labels }, { k: 5, seed: 9, stripRows: 3, onProgress: ({ stage, done, total }) => seen.push({ stage, done, total }) });
    // Rows of both passes (2 x 19 in all), in 7 strips of at most 3 rows each, and the Lloyd passes between.
    const strips = seen.filter((p) => p.stage === 'strips');
    expect(strips.map((p) => p.done)).toEqual([3, 6, 9, 12, 15, 18, 19, 22, 25, 28, 31, 34, 37, 38]);
    expect(new Set(strips.map((p) => p.total))).toEqual(new Set([38]));
    expect(seen.findIndex((p) => p.stage === 'lloyd')).toBe(7);
    const memory = await segment(input, { k: 5, seed: 9 });
    expect(run.result.palette).toEqual(memory.palette);
    expect(run.quality.psnr).toBeGreaterThan(10);
    expect((await readFile(labels)).equals(await labelsPNG(memory))).toBe(true);
  });

  it('runs on a job worker by default: the same files and run as worker: false, and an abort rejects with nothing written', async () => {
    const a = { output: path.join(dir, 'w.png'), labels: path.join(dir, 'w-labels.png') };
    const b = { output: path.join(dir, 'h.png'), labels: path.join(dir, 'h-labels.png') };
    const onWorker = await segmentStrips(input, a, { k: 4, seed: 3, stripRows: 5 });
    const here = await segmentStrips(input, b, { k: 4, seed: 3, stripRows: 5, worker: false });
    const untimed = (r: typeof here): unknown => ({ ...r, timings: null, result: { ...r.result, timings: null } });
    expect(untimed(onWorker)).toEqual(untimed(here));
    expect((await readFile(a.output)).equals(await readFile(b.output))).toBe(true);
    expect((await readFile(a.labels)).equals(await readFile(b.labels))).toBe(true);
    const controller = new AbortController();
    const out = path.join(dir, 'aborted.png');
    const onProgress = ({ stage }: { stage: string }): void => { if (stage === 'strips') controller.abort(new Error('enough')); };
    await expect(segmentStrips(input, { output: out }, { k: 4, stripRows: 1, signal: controller.signal, onProgress })).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(segmentStrips(input, { output: out }, { worker: 'yes' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('worker') });
    expect((await readdir(dir)).includes('aborted.png')).toBe(false);
  });

  it('refuses, before any work, what it does not do', async () => {
    await expect(segmentStrips(input, { output: path.join(dir, 'a.webp') })).rejects.toMatchObject({ code: 'ERR_OUTPUT_FORMAT', message: expect.stringContaining('.png') });
    await expect(segmentStrips(input, { output: path.join(dir, 'a.png') }, { minRegion: 9 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('minRegion') });
    await expect(segmentStrips(input, { output: path.join(dir, 'a.png') }, { stripRows: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(segmentStrips(input, { output: path.join(dir, 'a.png') }, { limitInputPixels: 100 })).rejects.toMatchObject({ code: 'ERR_TOO_LARGE' });
    const interlaced = path.join(dir, 'interlaced.png');
    await sharp(input).png({ progressive: true }).toFile(interlaced);
    await expect(segmentStrips(interlaced, { output: path.join(dir, 'a.png') })).rejects.toMatchObject({ code: 'ERR_TOO_LARGE', message: expect.stringContaining('interlaced PNG') });
    expect((await readdir(dir)).filter((n) => n.startsWith('a.'))).toEqual([]);
  });
});
