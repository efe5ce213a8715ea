/**
 * The strip source against what decodeImage guarantees: fresh pixels for a path rewritten in the
 * same process (libvips' cache), the first frame only with the in-memory path's warning, strips
 * read while libvips is still writing them, and a decode that fails part way.
 */
import { appendFile, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/core/options.js';
import { runStrips } from '../../src/io/strips/pipeline.js';
import { Decode, openStripSource, readMeta, rowSource } from '../../src/io/strips/source.js';
import { segment } from '../../src/segment.js';
import { frames } from '../hostile.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-strip-source-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const mine = async (): Promise<string[]> => (await readdir(os.tmpdir())).filter((n) => n.startsWith(`kmeans-seg-strips-${process.pid}-`));

/** Smooth colours with seeded noise, opaque: many distinct colours, cheap to make. */
function noisy(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  let s = 99;
  for (let p = 0, o = 0; p < width * height; p++, o += 3) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const x = p % width, y = (p / width) | 0;
    data[o] = (x * 255 / width + (s >>> 28)) & 255; data[o + 1] = (y * 255 / height) & 255; data[o + 2] = ((x + y) & 127) + (s >>> 29);
  }
  return data;
}

async function firstPixel(file: string): Promise<number[]> {
  const source = await openStripSource(file, await readMeta(file, 'x'), 'x', false);
  try {
    return Array.from((await source.read(0, 1)).subarray(0, 3));
  } finally {
    await source.close();
  }
}

describe('the strip source', () => {
  it('reads a WebP rewritten at the same path in this process afresh (libvips caches loads by path)', async () => {
    const file = path.join(dir, 'again.webp');
    // Before the cache was dropped, 5 of 6 rewrites here came back with the previous pixels.
    for (const [r, g, b] of [[250, 10, 10], [10, 250, 10], [10, 10, 250], [200, 200, 20]]) {
      await sharp({ create: { width: 24, height: 16, channels: 3, background: { r, g, b } } }).webp({ lossless: true }).toFile(file);
      expect(await firstPixel(file)).toEqual([r, g, b]);
    }
  });

  it('segments the first frame only, with the in-memory path\'s warning', async () => {
    const file = path.join(dir, 'frames.gif');
    await frames(12, [[200, 30, 30], [30, 200, 30], [30, 30, 200]]).gif().toFile(file);
    const memory = await segment(file, { k: 2 });
    const source = await openStripSource(file, await readMeta(file, 'x'), 'x', false);
    try {
      const run = await runStrips(source, resolveOptions({ k: 2 }), { labels: path.join(dir, 'frames-labels.png') }, { stripRows: 5, pngColors: 'auto' });
      expect(run.result.palette).toEqual(memory.palette);
      expect(run.result.warnings).toEqual(memory.warnings);
      expect(run.result.warnings[0]).toMatch(/first of the 3 frames/);
    } finally {
      await source.close();
    }
  });

  it('waits for rows libvips has not written yet, and says when the file ends short', async () => {
    const file = path.join(dir, 'growing.v');
    const width = 5, height = 4, row = (y: number): Buffer => Buffer.from(Array.from({ length: width * 3 }, (_, i) => y * 40 + i));
    await writeFile(file, Buffer.concat([Buffer.alloc(64), row(0), row(1)]));
    let finish!: () => void;
    const decode = new Decode(new Promise<void>((resolve) => { finish = resolve; }), {} as Metadata, 'x');
    const handle = await open(file, 'r');
    const source = rowSource(handle, decode, { width, height, bands: 3, name: 'x', meta: { width, height } as Metadata, remove: () => handle.close() });
    try {
      const late = source.read(1, 3); // rows 2 and 3 are not there yet
      await new Promise((resolve) => setTimeout(resolve, 40));
      await appendFile(file, Buffer.concat([row(2), row(3).subarray(0, 7)]));
      await new Promise((resolve) => setTimeout(resolve, 40));
      await appendFile(file, row(3).subarray(7));
      expect(Buffer.from(await late).equals(Buffer.concat([row(1), row(2), row(3)]))).toBe(true);
      finish();
      await source.decoded();
      await expect(source.read(3, 2)).rejects.toMatchObject({ code: 'ERR_READ' }); // past the end, once libvips is done
    } finally {
      await source.close();
    }
    const failed = new Decode(Promise.reject(new Error('VipsForeignLoad: out of order read')), {} as Metadata, 'x');
    const again = await open(file, 'r');
    const broken = rowSource(again, failed, { width, height: 9, bands: 3, name: 'x', meta: {} as Metadata, remove: () => again.close() });
    await expect(broken.read(5, 2)).rejects.toMatchObject({ code: 'ERR_DECODE' });
    await expect(broken.decoded()).rejects.toMatchObject({ code: 'ERR_DECODE' });
    await broken.close();
  });

  it('fails with ERR_DECODE, leaving no raw file, when the image is cut short past its header', async () => {
    const width = 1000, height = 700;
    const whole = path.join(dir, 'whole.png');
    await sharp(noisy(width, height), { raw: { width, height, channels: 3 } }).png().toFile(whole);
    const cut = path.join(dir, 'cut.png');
    const bytes = await readFile(whole);
    await writeFile(cut, bytes.subarray(0, bytes.length >>> 1));
    const meta = await readMeta(cut, 'x');
    const run = async (): Promise<unknown> => {
      const source = await openStripSource(cut, meta, 'x', false);
      try {
        return await runStrips(source, resolveOptions({ k: 4 }), { labels: path.join(dir, 'cut-labels.png') }, { stripRows: 64, pngColors: 'auto' });
      } finally {
        await source.close();
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'ERR_DECODE' });
    expect(await mine()).toEqual([]);
    expect((await readdir(dir)).filter((n) => n.startsWith('cut-labels'))).toEqual([]);
  });
});
