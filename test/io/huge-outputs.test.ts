/**
 * Every output of an image just above sharp's default pixel limit (16385 x 16385 = 268,468,225 > 16383^2):
 * each writer must lift that limit when it encodes pixels already in memory, and the advice of a
 * refusal must be true; the CLI takes the strip path there by itself. About a minute and 6 GB of
 * memory, so it runs only with KMEANS_SEG_HUGE=1.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import '../../src/node/platform.js';
import { segment, type SegmentResult } from '../../src/segment.js';
import { saveLabels } from '../../src/outputs/label-map.js';
import { saveMasks } from '../../src/outputs/masks.js';
import { saveOverlay } from '../../src/outputs/overlay.js';
import { saveSweep, sweep } from '../../src/sweep/sweep.js';

const SIDE = 16385;
const RUN = process.env.KMEANS_SEG_HUGE === '1';
if (!RUN) console.warn('huge-outputs.test.ts: skipped (about a minute, 6 GB): set KMEANS_SEG_HUGE=1 to run it');
const COLOUR = { r: 0x33, g: 0x66, b: 0x99 };

/** Width, height and one pixel of an output (sharp reads the whole file: the pixel proves it decodes). */
async function probe(file: string | Buffer): Promise<{ width: number; height: number; pixel: number[] }> {
  const image = sharp(file, { limitInputPixels: false });
  const { width, height } = await image.metadata();
  const { data, info } = await image.extract({ left: SIDE - 1, top: SIDE - 1, width: 1, height: 1 }).raw().toBuffer({ resolveWithObject: true });
  return { width: width!, height: height!, pixel: [...data.subarray(0, info.channels)] };
}

describe.runIf(RUN)('outputs above sharp\'s default pixel limit', () => {
  let tmp: string, input: string, result: SegmentResult;
  const out = (name: string): string => path.join(tmp, name);
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-huge-'));
    input = out('one.png');
    await sharp({ create: { width: SIDE, height: SIDE, channels: 3, background: COLOUR }, limitInputPixels: false }).png().toFile(input);
    result = await segment(input, { k: 2, limitInputPixels: false });
  }, 120_000);
  afterAll(async () => { if (tmp) await rm(tmp, { recursive: true, force: true }); });

  it('writes the segmented image as PNG (indexed and truecolour) and JPEG', async () => {
    expect(result.k).toBe(1);
    await result.save(out('a.png'));
    expect(await probe(out('a.png'))).toEqual({ width: SIDE, height: SIDE, pixel: [0x33, 0x66, 0x99] });
    // sharp's PNG, not ours: the path that kept sharp's default limit.
    const truecolour = await result.toBuffer({ pngColors: 'truecolour' });
    expect(await probe(truecolour)).toEqual({ width: SIDE, height: SIDE, pixel: [0x33, 0x66, 0x99] });
    await result.save(out('a.jpg'));
    const jpeg = await probe(out('a.jpg'));
    expect([jpeg.width, jpeg.height]).toEqual([SIDE, SIDE]);
    jpeg.pixel.forEach((v, i) => expect(Math.abs(v - [0x33, 0x66, 0x99][i]!)).toBeLessThanOrEqual(2));
  }, 120_000);

  it('refuses WebP up front with advice that holds: a .png output', async () => {
    await expect(result.save(out('a.webp'))).rejects.toMatchObject({ code: 'ERR_OUTPUT_FORMAT', message: expect.stringContaining('use a .png output') });
  });

  it('writes the label map, the masks and the overlay', async () => {
    await saveLabels(result, out('labels.png'));
    expect(await probe(out('labels.png'))).toEqual({ width: SIDE, height: SIDE, pixel: [0, 0, 0] }); // sharp reads grey as sRGB
    expect(await saveMasks(result, out('masks'))).toEqual([out('masks/mask-00.png')]);
    expect(await probe(out('masks/mask-00.png'))).toEqual({ width: SIDE, height: SIDE, pixel: [255, 255, 255] });
    const data = new Uint8Array(SIDE * SIDE * 4);
    new Uint32Array(data.buffer).fill(0xff996633); // little-endian r, g, b, a
    await saveOverlay({ data, width: SIDE, height: SIDE }, result, out('overlay.jpg'));
    expect((await probe(out('overlay.jpg'))).width).toBe(SIDE);
  }, 120_000);

  it('takes the strip path by itself above the threshold, with the in-memory label map and image', async () => {
    let text = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c) => { text += String(c); return true; });
    try {
      expect(await main([input, '-k', '2', '--limit-input-pixels', '0', '-o', out('strip.png'), '--labels', out('strip-labels.png')])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(text).toMatch(/strips of 256 rows/);
    // A JPEG output, which the strip path does not write, runs in memory instead: the image fits there.
    text = '';
    const again = vi.spyOn(process.stdout, 'write').mockImplementation((c) => { text += String(c); return true; });
    try {
      expect(await main([input, '-k', '2', '--limit-input-pixels', '0', '-o', out('auto.jpg')])).toBe(0);
    } finally {
      again.mockRestore();
    }
    expect(text).toMatch(/-> .*auto\.jpg: 16385x16385/);
    expect(text).not.toMatch(/strips of/);
    expect((await readFile(out('strip-labels.png'))).equals(await readFile(out('labels.png')))).toBe(true);
    expect((await readFile(out('strip.png'))).equals(await readFile(out('a.png')))).toBe(true);
  }, 120_000);

  it('writes a sweep\'s contact sheet and charts', async () => {
    const s = await sweep(input, { ks: [1], limitInputPixels: false });
    const files = await saveSweep(s, out('sheet.png'));
    expect((await sharp(files.sheet).metadata()).width).toBeGreaterThan(0);
    expect((await readdir(tmp)).filter((f) => f.startsWith('sheet'))).toHaveLength(5);
  }, 120_000);
});
