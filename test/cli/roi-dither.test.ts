/**
 * --roi, --roi-outside and --dither from the command line, as docs/segments.md runs them, against the
 * built dist/, on the sample photo in examples/: the outputs agree with the API (labels, pixels,
 * quality over the inside or of the dithered image), apply dithers as the run does, and the mistakes
 * a user can make are named.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node/platform.js';
import { kmeans } from '../../src/core/kmeans.js';
import { qualityOf } from '../../src/core/quality.js';
import { roiQualityImage } from '../../src/core/roi.js';
import { decodeImage } from '../../src/io/decode.js';
import { segment } from '../../src/segment.js';
import type { RGBAImage } from '../../src/types.js';
import { runCli } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PHOTO = path.join(ROOT, 'examples', 'coffee.jpg');

const run = runCli;

let tmp: string;
let photo: RGBAImage;
let mask: { data: Uint8Array; width: number; height: number };
beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does)');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-roi-dither-'));
  photo = await decodeImage(PHOTO);
  const { width, height } = photo;
  // The left 60 % of the picture, as a black-and-white PNG.
  const grey = new Uint8Array(width * height);
  for (let p = 0; p < grey.length; p++) grey[p] = p % width < width * 0.6 ? 255 : 0;
  mask = { data: grey, width, height };
  await sharp(grey, { raw: { width, height, channels: 1 } }).png().toFile(path.join(tmp, 'mask.png'));
  await sharp(grey, { raw: { width, height, channels: 1 } }).resize(50, 40).png().toFile(path.join(tmp, 'small.png'));
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

const pixelsOf = async (file: string): Promise<Uint8Array> => (await decodeImage(path.join(tmp, file))).data;
const greyOf = async (file: string): Promise<Uint8Array> => new Uint8Array(await sharp(path.join(tmp, file)).extractChannel(0).raw().toBuffer());

describe('kmeans-seg --roi', () => {
  it('clusters the inside only, keeps the input outside, and reports the quality of the inside', async () => {
    const r = await run([PHOTO, '-k', '5', '--seed', '1', '--roi', 'mask.png', '-o', 'roi.png', '--labels', 'roi-labels.png', '--json'], tmp);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { palette: { hex: string; count: number }[]; quality: { psnr: number }; roiOutside: string };
    const api = await kmeans(photo, { k: 5, seed: 1, roi: mask });
    expect(summary.palette.map((p) => [p.hex, p.count])).toEqual(api.palette.map((p) => [p.hex, p.count]));
    expect(summary.palette.reduce((s, p) => s + p.count, 0)).toBe(mask.data.filter((v) => v === 255).length);
    expect(summary.roiOutside).toBe('keep');
    expect(summary.quality.psnr).toBeCloseTo(qualityOf(roiQualityImage(photo, mask), api).psnr, 9);
    const out = await pixelsOf('roi.png'), labels = await greyOf('roi-labels.png');
    const expected = api.toRGBA();
    expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
    for (let p = 0; p < mask.data.length; p += 97) {
      if (mask.data[p] === 0) {
        expect(Array.from(out.subarray(p * 4, p * 4 + 4))).toEqual(Array.from(photo.data.subarray(p * 4, p * 4 + 4)));
        expect(labels[p]).toBe(5);
      }
    }
  });

  it('apply --roi paints only the inside with the palette, the rest as it was', async () => {
    const k = await run([PHOTO, '-k', '5', '--seed', '1', '--roi', 'mask.png', '--palette', 'roi.json'], tmp);
    expect(k.code, k.stderr).toBe(0);
    const a = await run(['apply', '--palette', 'roi.json', PHOTO, '--roi', 'mask.png', '-o', 'roi-apply.png'], tmp);
    expect(a.code, a.stderr).toBe(0);
    const api = await kmeans(photo, { k: 5, seed: 1, roi: mask });
    expect(Buffer.from(await pixelsOf('roi-apply.png')).equals(Buffer.from(api.toRGBA()))).toBe(true);
  });

  it('--roi-outside transparent leaves alpha 0 outside', async () => {
    const r = await run([PHOTO, '-k', '5', '--seed', '1', '--roi', 'mask.png', '--roi-outside', 'transparent', '-o', 'roi-t.png'], tmp);
    expect(r.code, r.stderr).toBe(0);
    const out = await pixelsOf('roi-t.png');
    for (let p = 0; p < mask.data.length; p += 89) expect(out[p * 4 + 3], `pixel ${p}`).toBe(mask.data[p] === 0 ? 0 : 255);
  });

  it('a mask of another size, or none at all, is named', async () => {
    const small = await run([PHOTO, '-k', '4', '--roi', 'small.png', '-o', 'never.png'], tmp);
    expect(small.code).not.toBe(0);
    expect(small.stderr).toContain(`50 x 40 but the image is ${photo.width} x ${photo.height}`);
    const missing = await run([PHOTO, '-k', '4', '--roi', 'nope.png', '-o', 'never.png'], tmp);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/roi mask: .*nope\.png/);
    expect(existsSync(path.join(tmp, 'never.png'))).toBe(false);
  });
});

describe('segment() with a roi file', () => {
  it('reads the mask from a path or bytes; save() and toBuffer() write what toRGBA() paints, in both modes', async () => {
    for (const roiOutside of ['keep', 'transparent'] as const) {
      const r = await segment(PHOTO, { k: 4, seed: 1, roi: path.join(tmp, 'mask.png'), roiOutside });
      const bytes = await segment(PHOTO, { k: 4, seed: 1, roi: await readFile(path.join(tmp, 'mask.png')), roiOutside });
      expect(Buffer.from(bytes.labels).equals(Buffer.from(r.labels))).toBe(true);
      const file = `seg-${roiOutside}.png`;
      await r.save(path.join(tmp, file));
      const painted = Buffer.from(r.toRGBA());
      expect(Buffer.from(await pixelsOf(file)).equals(painted), `save, ${roiOutside}`).toBe(true);
      expect(Buffer.from((await decodeImage(await r.toBuffer())).data).equals(painted), `toBuffer, ${roiOutside}`).toBe(true);
    }
  });
});

describe('kmeans-seg --dither', () => {
  it('writes the dithered labels and image, with the quality figures of the dithered image', async () => {
    const r = await run([PHOTO, '-k', '6', '--seed', '2', '--dither', 'floyd-steinberg', '-o', 'fs.png', '--labels', 'fs-labels.png', '--palette', 'fs.json', '--json'], tmp);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { quality: { psnr: number }; dither: string };
    const api = await kmeans(photo, { k: 6, seed: 2, dither: 'floyd-steinberg' });
    const plain = await kmeans(photo, { k: 6, seed: 2 });
    expect(summary.dither).toBe('floyd-steinberg');
    expect(Buffer.from(await greyOf('fs-labels.png')).equals(Buffer.from(api.labels))).toBe(true);
    expect(Buffer.from(api.labels).equals(Buffer.from(plain.labels))).toBe(false);
    expect(Buffer.from(await pixelsOf('fs.png')).equals(Buffer.from(api.toRGBA()))).toBe(true);
    expect(summary.quality.psnr).toBeCloseTo(qualityOf(photo, api).psnr, 9);
    expect(summary.quality.psnr).not.toBeCloseTo(qualityOf(photo, plain).psnr, 3);

    // apply with that palette and the same dithering paints the same picture.
    const a = await run(['apply', '--palette', 'fs.json', PHOTO, '-o', 'fs-apply.png', '--dither', 'floyd-steinberg'], tmp);
    expect(a.code, a.stderr).toBe(0);
    expect(Buffer.from(await pixelsOf('fs-apply.png')).equals(Buffer.from(api.toRGBA()))).toBe(true);
  });

  it('the text summary says when the figures are of a dithered output, or of the inside of a mask', async () => {
    const r = await run([PHOTO, '-k', '3', '--seed', '1', '--dither', 'ordered', '--roi', 'mask.png', '--roi-outside', 'transparent', '-o', 'both.png'], tmp);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('\n  dither: ordered (the labels, counts and quality are the dithered output\'s)\n');
    expect(r.stdout).toContain('\n  roi: the palette and quality figures count only the pixels inside the mask; outside made transparent\n');
    const plain = await run([PHOTO, '-k', '3', '--seed', '1', '-o', 'plain.png'], tmp);
    expect(plain.stdout).not.toMatch(/ dither: | roi: /);
  });

  it('--serpentine false and --dither-strength change the picture; ordered works too', async () => {
    for (const [name, extra] of [['a.png', []], ['b.png', ['--serpentine', 'false']], ['c.png', ['--dither-strength', '0.5']]] as const) {
      const r = await run([PHOTO, '-k', '4', '--seed', '1', '--dither', 'floyd-steinberg', ...extra, '-o', name], tmp);
      expect(r.code, r.stderr).toBe(0);
    }
    const [a, b, c] = await Promise.all(['a.png', 'b.png', 'c.png'].map(pixelsOf));
    expect(Buffer.from(a!).equals(Buffer.from(b!))).toBe(false);
    expect(Buffer.from(a!).equals(Buffer.from(c!))).toBe(false);
    const o = await run([PHOTO, '-k', '4', '--seed', '1', '--dither', 'ordered', '-o', 'o.png'], tmp);
    expect(o.code, o.stderr).toBe(0);
  });

  it('batch dithers too and takes one roi for every file, clustering each file or with a palette', async () => {
    const r = await run(['batch', PHOTO, '-k', '4', '--seed', '1', '--dither', 'ordered', '--roi', 'mask.png', '-o', 'batch-out'], tmp);
    expect(r.code, r.stderr).toBe(0);
    const api = await kmeans(photo, { k: 4, seed: 1, dither: 'ordered', roi: mask });
    expect(Buffer.from(await pixelsOf('batch-out/coffee.png')).equals(Buffer.from(api.toRGBA()))).toBe(true);
    const p = await run(['batch', PHOTO, '--palette', 'fs.json', '--dither', 'floyd-steinberg', '-o', 'batch-palette'], tmp);
    expect(p.code, p.stderr).toBe(0);
    expect(Buffer.from(await pixelsOf('batch-palette/coffee.png')).equals(Buffer.from(await pixelsOf('fs-apply.png')))).toBe(true);
    const q = await run(['batch', PHOTO, '--palette', 'roi.json', '--roi', 'mask.png', '-o', 'batch-roi-palette'], tmp);
    expect(q.code, q.stderr).toBe(0);
    expect(Buffer.from(await pixelsOf('batch-roi-palette/coffee.png')).equals(Buffer.from(await pixelsOf('roi-apply.png')))).toBe(true);
  });

  it('bad values are named, and nothing is written', async () => {
    const cases: [string[], RegExp][] = [
      [['--dither', 'fs'], /--dither.*none, floyd-steinberg or ordered/],
      [['--dither-strength', '2'], /--dither-strength.*0 to 1/],
      [['--serpentine', 'yes'], /--serpentine.*true or false/],
      [['--roi-outside', 'hide'], /--roi-outside.*keep or transparent/],
      [['--dither', 'ordered', '--min-region', '20'], /minRegion.*dither.*--min-region/],
    ];
    for (const [flags, message] of cases) {
      const r = await run([PHOTO, '-k', '4', ...flags, '-o', 'bad.png'], tmp);
      expect(r.code, flags.join(' ')).not.toBe(0);
      expect(r.stderr, flags.join(' ')).toMatch(message);
    }
    expect(existsSync(path.join(tmp, 'bad.png'))).toBe(false);
  });
});
