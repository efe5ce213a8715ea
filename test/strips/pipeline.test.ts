/**
 * The strip path against the in-memory path on small images, split at one row, a prime number of
 * rows and the whole image: the same palette, iterations and inertia; the label map and masks byte
 * for byte; the segmented image and the overlay decode to the same pixels (and an opaque indexed
 * image is the same bytes). Then what the strip path refuses.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/core/options.js';
import { encodePixels, encodeSegmented } from '../../src/io/encode.js';
import { checkStripOptions } from '../../src/io/strips/cluster.js';
import { runStrips } from '../../src/io/strips/pipeline.js';
import { openStripSource, readMeta, stripRefusal } from '../../src/io/strips/source.js';
import { labelsPNG } from '../../src/outputs/label-map.js';
import { masksPNG, maskName } from '../../src/outputs/masks.js';
import { overlayBorders } from '../../src/outputs/overlay.js';
import { segment } from '../../src/segment.js';
import { IMAGES_DIR } from '../helpers.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-strips-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

/** A small image of smooth colour bands with noise; alpha: some pixels transparent, some half. */
function picture(width: number, height: number, alpha: boolean): Buffer {
  const data = Buffer.alloc(width * height * 4);
  let s = 12345;
  for (let p = 0; p < width * height; p++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const x = p % width, y = Math.floor(p / width);
    data.set([(x * 9 + (s >>> 29)) & 255, (y * 11) & 255, ((x + y) * 5 + (s >>> 30)) & 255, !alpha ? 255 : (x + y) % 7 === 0 ? 0 : (x * y) % 5 === 0 ? 128 : 255], p * 4);
  }
  return data;
}

async function rgbaOf(file: string | Buffer): Promise<Buffer> {
  return sharp(file).ensureAlpha().raw().toBuffer();
}

const CASES = [
  { name: 'opaque 37 x 23, k 5', width: 37, height: 23, alpha: false, k: 5 },
  { name: 'with alpha 31 x 17, k 4', width: 31, height: 17, alpha: true, k: 4 },
  { name: 'opaque 40 x 29, k 300 (more than 256 colours: truecolour, 16-bit labels)', width: 40, height: 29, alpha: false, k: 300 },
];

describe.each(CASES)('the strip path on $name', ({ width, height, alpha, k }) => {
  let input: string;
  let memory: Awaited<ReturnType<typeof segment>>;
  let expected: { labels: Buffer; masks: Buffer[]; output: Buffer; overlay: Buffer };
  beforeAll(async () => {
    const data = picture(width, height, alpha);
    input = path.join(dir, `in-${width}.png`);
    await sharp(data, { raw: { width, height, channels: 4 } }).png().toFile(input);
    memory = await segment(input, { k, seed: 3 });
    const original = { data: new Uint8Array(await rgbaOf(input)), width, height };
    expected = {
      labels: await labelsPNG(memory),
      masks: k <= 256 ? await masksPNG(memory) : [],
      output: await encodeSegmented(memory, 'png', 'x.png', {}),
      overlay: await encodePixels(overlayBorders(original, memory), width, height, 'png', 'o.png'),
    };
  });

  it.each([1, 7, 1 << 16])('gives the in-memory results at %i rows a strip', async (stripRows) => {
    const out = path.join(dir, `${width}-${stripRows}`);
    const outputs = { output: `${out}-seg.png`, labels: `${out}-labels.png`, overlay: `${out}-overlay.png`, masks: k <= 256 ? `${out}-masks` : undefined };
    const source = await openStripSource(input, await readMeta(input, 'x'), 'x', false);
    let run;
    try {
      run = await runStrips(source, resolveOptions({ k, seed: 3 }), outputs, { stripRows, pngColors: 'auto' });
    } finally {
      await source.close();
    }
    expect(run.result.palette).toEqual(memory.palette);
    expect([run.result.iterations, run.result.inertia, run.result.k, run.result.hasAlpha]).toEqual([memory.iterations, memory.inertia, memory.k, memory.hasAlpha]);
    expect((await readFile(outputs.labels)).equals(expected.labels)).toBe(true);
    for (let j = 0; j < expected.masks.length; j++) {
      expect((await readFile(path.join(outputs.masks!, maskName(j, k)))).equals(expected.masks[j]!), `mask ${j}`).toBe(true);
    }
    expect((await rgbaOf(outputs.output)).equals(await rgbaOf(expected.output))).toBe(true);
    if (!alpha && k <= 256) expect((await readFile(outputs.output)).equals(expected.output)).toBe(true);
    expect((await rgbaOf(outputs.overlay)).equals(await rgbaOf(expected.overlay))).toBe(true);
  });
});

describe.runIf(existsSync(path.join(IMAGES_DIR, 'coffee.png')))('the strip path on coffee.png (600 x 400), k 16', () => {
  it('gives the in-memory palette, label map and pixels at 13 rows a strip', async () => {
    const input = path.join(IMAGES_DIR, 'coffee.png');
    const memory = await segment(input, { k: 16 });
    const source = await openStripSource(input, await readMeta(input, 'x'), 'x', false);
    const outputs = { output: path.join(dir, 'coffee-seg.png'), labels: path.join(dir, 'coffee-labels.png') };
    try {
      const run = await runStrips(source, resolveOptions({ k: 16 }), outputs, { stripRows: 13, pngColors: 'auto' });
      expect(run.result.palette).toEqual(memory.palette);
    } finally {
      await source.close();
    }
    expect((await readFile(outputs.labels)).equals(await labelsPNG(memory))).toBe(true);
    expect((await readFile(outputs.output)).equals(await encodeSegmented(memory, 'png', 'x.png'))).toBe(true);
  });
});

describe.each(['jpeg', 'tiff', 'webp'] as const)('the strip path on a %s input', (format) => {
  it('gives the in-memory palette and label map at 5 rows a strip', async () => {
    const width = 41, height = 27;
    const input = path.join(dir, `in.${format}`);
    // Baseline JPEG (not progressive), striped TIFF, lossy WebP: each decoded by libvips either way.
    await sharp(picture(width, height, false), { raw: { width, height, channels: 4 } }).removeAlpha().toFormat(format).toFile(input);
    const meta = await readMeta(input, 'x');
    expect(stripRefusal(meta)).toBeUndefined();
    const memory = await segment(input, { k: 6, seed: 1 });
    const labels = path.join(dir, `labels-${format}.png`);
    const source = await openStripSource(input, meta, 'x', false);
    try {
      const run = await runStrips(source, resolveOptions({ k: 6, seed: 1 }), { labels }, { stripRows: 5, pngColors: 'auto' });
      expect(run.result.palette).toEqual(memory.palette);
    } finally {
      await source.close();
    }
    expect((await readFile(labels)).equals(await labelsPNG(memory))).toBe(true);
  });
});

describe('what the strip path refuses', () => {
  it('sends an interlaced PNG, a rotated, a progressive or a Display P3 JPEG and a 16-bit PNG to the in-memory path', async () => {
    const data = picture(8, 8, false);
    const raw = { raw: { width: 8, height: 8, channels: 4 as const } };
    const interlaced = await sharp(data, raw).png({ progressive: true }).toBuffer();
    const rotated = await sharp(data, raw).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const deep = await sharp(data, raw).toColourspace('rgb16').png().toBuffer();
    const plain = await sharp(data, raw).png().toBuffer();
    expect(stripRefusal(await sharp(interlaced).metadata())).toMatch(/interlaced PNG/);
    expect(stripRefusal(await sharp(rotated).metadata())).toMatch(/EXIF orientation is 6/);
    expect(stripRefusal(await sharp(deep).metadata())).toMatch(/16-bit/);
    expect(stripRefusal(await sharp(plain).metadata())).toBeUndefined();
    const progressive = await sharp(data, raw).jpeg({ progressive: true }).toBuffer();
    const p3 = await sharp(data, raw).withIccProfile('p3').jpeg().toBuffer();
    const srgb = await sharp(data, raw).withIccProfile('srgb').jpeg().toBuffer();
    expect(stripRefusal(await sharp(progressive).metadata())).toMatch(/progressive JPEG/);
    expect(stripRefusal(await sharp(p3).metadata())).toMatch(/colour profile other than sRGB/);
    expect(stripRefusal(await sharp(srgb).metadata())).toBeUndefined();
  });

  it('refuses the segment features it does not do, naming them and the fix', () => {
    expect(() => checkStripOptions(resolveOptions({ spatialWeight: 1 }))).toThrow(/spatialWeight.*strips: false/);
    expect(() => checkStripOptions(resolveOptions({ minRegion: 20 }))).toThrow(/regions and minRegion/);
    expect(() => checkStripOptions(resolveOptions({ dither: 'ordered' }))).toThrow(/dither/);
    expect(() => checkStripOptions(resolveOptions({ k: 8 }))).not.toThrow();
  });
});

describe('the raw file', () => {
  it('is gone once a source is closed, and when decoding fails', async () => {
    const mine = async (): Promise<string[]> => (await readdir(os.tmpdir())).filter((n) => n.startsWith(`kmeans-seg-strips-${process.pid}-`));
    const input = path.join(dir, 'raw-gone.png');
    await sharp(picture(9, 5, false), { raw: { width: 9, height: 5, channels: 4 } }).png().toFile(input);
    const source = await openStripSource(input, await readMeta(input, 'x'), 'x', false);
    expect(await mine()).toHaveLength(1);
    await source.close();
    expect(await mine()).toEqual([]);
    const broken = path.join(dir, 'broken.png');
    await writeFile(broken, (await readFile(input)).subarray(0, 60));
    await expect(openStripSource(broken, await readMeta(input, 'x'), 'x', false)).rejects.toMatchObject({ code: 'ERR_DECODE' });
    expect(await mine()).toEqual([]);
  });
});
