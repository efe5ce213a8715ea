/**
 * The outputs besides the recoloured image: label map, masks, palette files, border overlay. PNGs are
 * read back by a small decoder written here (zlib + the five PNG filters), not by sharp, so a header
 * or depth mistake in what sharp writes cannot hide behind the same library reading it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminateWorkers } from '../../src/kernel/select.js';
import { kmeans } from '../../src/core/kmeans.js';
import { labelsPNG, saveLabels } from '../../src/outputs/label-map.js';
import { maskName, maskPlanes, masksPNG, saveMasks } from '../../src/outputs/masks.js';
import { overlayBorders, saveOverlay } from '../../src/outputs/overlay.js';
import { paletteGPL, paletteJSON, savePalette } from '../../src/palette/write.js';
import type { KMeansResult, RGBAImage } from '../../src/types.js';
import { ROOT, expectKMeansError, image, noiseImage } from '../helpers.js';

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-outputs-')); });
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  await terminateWorkers();
});

interface Png { width: number; height: number; depth: number; colourType: number; samples: number[] }

/** Decode a non-interlaced grayscale PNG (1, 2, 4, 8 or 16 bits) to its samples, unscaled. */
function decodeGrayPNG(bytes: Uint8Array): Png {
  const buf = Buffer.from(bytes);
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  let at = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const body = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') ihdr = body;
    if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const width = ihdr!.readUInt32BE(0), height = ihdr!.readUInt32BE(4), depth = ihdr![8]!, colourType = ihdr![9]!;
  expect(ihdr![12], 'not interlaced').toBe(0);
  const bpp = Math.max(1, depth / 8); // bytes per pixel (at least one) for the filters
  const stride = Math.ceil((width * depth) / 8);
  const raw = inflateSync(Buffer.concat(idat));
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? rows[y * stride + x - bpp]! : 0;
      const b = y > 0 ? rows[(y - 1) * stride + x]! : 0;
      const c = x >= bpp && y > 0 ? rows[(y - 1) * stride + x - bpp]! : 0;
      const paeth = (): number => {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const pred = [0, a, b, (a + b) >> 1, paeth()][filter]!;
      rows[y * stride + x] = (line[x]! + pred) & 255;
    }
  }
  const samples: number[] = [];
  if (depth < 8) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * depth;
        samples.push((rows[y * stride + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1));
      }
    }
    return { width, height, depth, colourType, samples };
  }
  for (let i = 0; i < rows.length; i += bpp) samples.push(bpp === 2 ? (rows[i]! << 8) | rows[i + 1]! : rows[i]!);
  return { width, height, depth, colourType, samples };
}

/** An image with transparent pixels (label k) among noise. */
function withHoles(img: RGBAImage): RGBAImage {
  for (let p = 0; p < img.width * img.height; p += 7) img.data[p * 4 + 3] = 0;
  return img;
}

describe('label map', () => {
  it('is an 8-bit grayscale PNG that decodes to exactly result.labels (k for transparent pixels)', async () => {
    const img = withHoles(noiseImage(23, 11, 1));
    const result = await kmeans(img, { k: 6, seed: 2, backend: 'js' });
    expect(result.labels).toBeInstanceOf(Uint8Array);
    const png = decodeGrayPNG(await labelsPNG(result));
    expect(png).toMatchObject({ width: 23, height: 11, depth: 8, colourType: 0 });
    expect(png.samples).toEqual(Array.from(result.labels));
    expect(png.samples.filter((l) => l === 6).length).toBe(Math.ceil((23 * 11) / 7));
  });

  it('is 16-bit when the labels do not fit in 8 bits', async () => {
    const img = withHoles(noiseImage(40, 20, 3));
    const result = await kmeans(img, { k: 300, seed: 1, backend: 'js', maxIterations: 3 });
    expect(result.labels).toBeInstanceOf(Uint16Array);
    const png = decodeGrayPNG(await labelsPNG(result));
    expect(png).toMatchObject({ width: 40, height: 20, depth: 16, colourType: 0 });
    expect(png.samples).toEqual(Array.from(result.labels));
    expect(Math.max(...png.samples)).toBe(300);
  });

  it('saveLabels writes the same bytes, and refuses a non-PNG name or an existing file', async () => {
    const result = await kmeans(noiseImage(8, 8, 4), { k: 3, backend: 'js' });
    const file = path.join(tmp, 'labels.png');
    await saveLabels(result, file);
    expect(decodeGrayPNG(await readFile(file)).samples).toEqual(Array.from(result.labels));
    await expectKMeansError(saveLabels(result, file), 'ERR_OUTPUT_EXISTS', file, '--force');
    await saveLabels(result, file, { force: true });
    await expectKMeansError(saveLabels(result, path.join(tmp, 'labels.jpg')), 'ERR_OUTPUT_FORMAT', '".jpg"', '.png');
  });
});

describe('masks', () => {
  it('partition the opaque pixels: each is white in exactly one 1-bit mask, the one of its label', async () => {
    const img = withHoles(noiseImage(19, 13, 5));
    const result = await kmeans(img, { k: 5, seed: 3, backend: 'js' });
    const files = await masksPNG(result);
    const masks = files.map((b) => decodeGrayPNG(b));
    expect(masks).toHaveLength(5);
    for (const m of masks) expect(m).toMatchObject({ width: 19, height: 13, depth: 1, colourType: 0 });
    for (let p = 0; p < 19 * 13; p++) {
      const on = masks.map((m) => m.samples[p]);
      expect(on.every((v) => v === 0 || v === 1)).toBe(true);
      const opaque = img.data[p * 4 + 3] !== 0;
      expect(on.filter((v) => v === 1).length).toBe(opaque ? 1 : 0);
      if (opaque) expect(on[result.labels[p]!]).toBe(1);
    }
    // Each mask covers its cluster's pixel count.
    masks.forEach((m, j) => expect(m.samples.filter((v) => v === 1).length).toBe(result.palette[j]!.count));
    // Readers scale 1-bit samples up: sharp reads exactly the 0 and 255 of 8-bit masks.
    for (let j = 0; j < 5; j++) {
      expect(await sharp(files[j]!).metadata()).toMatchObject({ channels: 1, bitsPerSample: 1 });
      const data = await sharp(files[j]!).extractChannel(0).raw().toBuffer();
      expect([...data]).toEqual(masks[j]!.samples.map((v) => v * 255));
    }
  });

  it('fill any range of labels in one pass, as the whole range does (the groups of a large K)', () => {
    const labels = Uint16Array.from({ length: 21 * 5 }, (_, p) => (p * 13) % 9);
    const all = maskPlanes(labels, 21, 5, 0, 9);
    expect([...maskPlanes(labels, 21, 5, 3, 7)]).toEqual(all.slice(3, 7));
    expect(new Set(all.map((plane) => plane.length))).toEqual(new Set([(Math.ceil(21 / 8) + 1) * 5]));
  });

  it('are named so they sort in label order', () => {
    expect(maskName(0, 1)).toBe('mask-00.png');
    expect(maskName(7, 100)).toBe('mask-07.png');
    expect(maskName(7, 101)).toBe('mask-007.png');
    expect(maskName(1234, 65536)).toBe('mask-01234.png');
  });

  it('saveMasks creates the folder, refuses to overwrite before writing anything, and rejects a file', async () => {
    const result = await kmeans(noiseImage(8, 8, 6), { k: 3, backend: 'js' });
    const dir = path.join(tmp, 'nested', 'masks');
    const written = await saveMasks(result, dir);
    expect(written).toEqual(['mask-00.png', 'mask-01.png', 'mask-02.png'].map((n) => path.join(dir, n)));
    expect((await readdir(dir)).sort()).toEqual(['mask-00.png', 'mask-01.png', 'mask-02.png']);

    const partial = path.join(tmp, 'partial');
    await mkdir(partial);
    await writeFile(path.join(partial, 'mask-02.png'), 'keep me');
    await expectKMeansError(saveMasks(result, partial), 'ERR_OUTPUT_EXISTS', 'mask-02.png', '--force');
    expect(await readdir(partial)).toEqual(['mask-02.png']);
    expect(await readFile(path.join(partial, 'mask-02.png'), 'utf8')).toBe('keep me');
    await saveMasks(result, partial, { force: true });
    expect((await readdir(partial)).sort()).toEqual(['mask-00.png', 'mask-01.png', 'mask-02.png']);

    const file = path.join(tmp, 'a-file');
    await writeFile(file, '');
    await expectKMeansError(saveMasks(result, file), 'ERR_OUTPUT_DIR', 'is a file');
    await expectKMeansError(saveMasks(result, path.join(file, 'masks')), 'ERR_OUTPUT_DIR', 'is a file');
  });
});

describe('palette files', () => {
  let result: KMeansResult;
  beforeAll(async () => { result = await kmeans(noiseImage(30, 20, 7), { k: 7, seed: 5, backend: 'js' }); });

  it('JSON holds hex, rgb, count and share of every colour, plus the space and centroids when given', () => {
    const plain = JSON.parse(paletteJSON(result));
    expect(plain).toEqual({ k: 7, palette: result.palette });
    const full = JSON.parse(paletteJSON(result, { colorSpace: 'lab' }));
    expect(full).toEqual({ k: 7, colorSpace: 'lab', palette: result.palette, centroids: result.centroids });
  });

  it('.gpl is a GIMP palette whose colour lines give back the palette', () => {
    const text = paletteGPL(result, { name: 'test\nname' });
    const lines = text.split('\n');
    expect(lines[0]).toBe('GIMP Palette');
    expect(lines[1]).toBe('Name: test name');
    expect(lines[2]).toMatch(/^Columns: \d+$/);
    expect(text.endsWith('\n')).toBe(true);
    // GIMP's reader: after the header, "R G B<whitespace>name"; "#" lines are comments.
    const colours = lines.slice(3).filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
      const m = /^\s*(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\t(.*)$/.exec(l);
      expect(m, l).not.toBeNull();
      return { rgb: [Number(m![1]), Number(m![2]), Number(m![3])], name: m![4] };
    });
    expect(colours.map((c) => c.rgb)).toEqual(result.palette.map((p) => p.rgb));
    expect(colours.map((c) => c.name.split(' ')[0])).toEqual(result.palette.map((p) => p.hex));
  });

  it('savePalette picks the format from the extension and refuses to overwrite', async () => {
    const gpl = path.join(tmp, 'p.GPL');
    const json = path.join(tmp, 'p.json');
    await savePalette(result, gpl, { name: 'x' });
    await savePalette(result, json, { colorSpace: 'rgb' });
    expect(await readFile(gpl, 'utf8')).toBe(paletteGPL(result, { name: 'x' }));
    expect(JSON.parse(await readFile(json, 'utf8')).palette).toEqual(result.palette);
    await expectKMeansError(savePalette(result, json), 'ERR_OUTPUT_EXISTS', json);
    await expectKMeansError(savePalette(result, path.join(tmp, 'missing', 'p.json')), 'ERR_OUTPUT_DIR', 'does not exist');
  });

  it.skipIf(!existsSync(path.join(ROOT, 'src', 'palette', 'parse.ts')))('both formats read back through apply\'s parsePalette', async () => {
    const { parsePalette } = await import('../../src/palette/parse.js');
    const rgb = result.palette.map((p) => p.rgb);
    const json = parsePalette(paletteJSON(result, { colorSpace: 'oklab' }));
    expect(json.palette.map((p) => p.rgb)).toEqual(rgb);
    expect(json).toMatchObject({ colorSpace: 'oklab', centroids: result.centroids });
    expect(parsePalette(paletteGPL(result), { gpl: true }).palette.map((p) => p.rgb)).toEqual(rgb);
  });
});

describe('border overlay', () => {
  // Left 5 columns red, right 4 blue (with some noise so it is a photo-like case): two clusters.
  const w = 9, h = 6;
  const img = image(Array.from({ length: w * h }, (_, p) => (p % w < 5 ? [200 + (p % 3), 10, 20] as const : [10, 20, 200 + (p % 2)] as const)), w);

  it('paints exactly the pixels whose right or lower neighbour has another label', async () => {
    const result = await kmeans(img, { k: 2, backend: 'js' });
    const out = overlayBorders(img, result, { color: [0, 255, 0] });
    for (let p = 0; p < w * h; p++) {
      const border = p % w === 4;
      const px = Array.from(out.subarray(p * 4, p * 4 + 4));
      expect(px, `pixel ${p}`).toEqual(border ? [0, 255, 0, 255] : Array.from(img.data.subarray(p * 4, p * 4 + 4)));
    }
  });

  it('saveOverlay writes it (yellow by default) and refuses the input as output', async () => {
    const result = await kmeans(img, { k: 2, backend: 'js' });
    const file = path.join(tmp, 'overlay.png');
    await saveOverlay(img, result, file);
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data.subarray(4 * info.channels, 4 * info.channels + 3))).toEqual([255, 255, 0]);
    expect(Array.from(data.subarray(0, 3))).toEqual([200, 10, 20]);
    await expectKMeansError(saveOverlay(img, result, file, { inputPath: file }), 'ERR_OUTPUT_EXISTS', 'is the input file');
    await expectKMeansError(Promise.resolve().then(() => overlayBorders(noiseImage(3, 3, 1), result)), 'ERR_INVALID_IMAGE');
  });
});

describe('kmeans-seg with every output', () => {
  const BIN = path.join(ROOT, 'bin', 'kmeans-seg.js');
  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
  let input: string;
  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does)');
    input = path.join(tmp, 'cli-in.png');
    const img = noiseImage(20, 12, 9, 5);
    await sharp(img.data, { raw: { width: 20, height: 12, channels: 4 } }).png().toFile(input);
  });

  it('writes labels, masks, palette and overlay, and reports PSNR and ΔE in --json', async () => {
    const dir = await mkdtemp(path.join(tmp, 'cli-'));
    const f = (n: string): string => path.join(dir, n);
    const r = await run([input, '-k', '4', '--color-space', 'oklab', '--labels', f('l.png'), '--masks', f('m'),
      '--palette', f('p.gpl'), '--overlay', f('o.png'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ output: null, k: 4, colorSpace: 'oklab', outputs: { labels: f('l.png'), palette: f('p.gpl'), overlay: f('o.png') } });
    expect(s.outputs.masks).toHaveLength(4);
    expect(s.quality.psnr).toBeGreaterThan(0);
    expect(s.quality.deltaE.mean).toBeGreaterThan(0);
    expect(s.quality.deltaE.max).toBeGreaterThanOrEqual(s.quality.deltaE.p95);
    expect((await readdir(dir)).sort()).toEqual(['l.png', 'm', 'o.png', 'p.gpl']);
    const labels = decodeGrayPNG(await readFile(f('l.png'))).samples;
    const counts = [0, 1, 2, 3].map((j) => labels.filter((l) => l === j).length);
    expect(counts).toEqual(s.palette.map((p: { count: number }) => p.count));
  });

  it('refuses bad values and unwritable outputs before writing anything', async () => {
    const dir = await mkdtemp(path.join(tmp, 'bad-'));
    await writeFile(path.join(dir, 'file'), '');
    const cases: [string[], number, string][] = [
      [['--color-space', 'hsv', '-o', path.join(dir, 'o.png')], 2, '"hsv" for --color-space: expected rgb, linear-rgb, lab or oklab'],
      [['--labels', path.join(dir, 'l.jpg')], 2, 'use .png'],
      [['-o', path.join(dir, 'same.png'), '--overlay', path.join(dir, 'same.png')], 2, 'both name'],
      [['--border-color', 'yellow', '--overlay', path.join(dir, 'o.png')], 2, '#rrggbb'],
      [['--palette', path.join(dir, 'nope', 'p.json')], 1, 'does not exist'],
      [['--masks', path.join(dir, 'file'), '-o', path.join(dir, 'o.png')], 1, 'is a file'],
      [['--labels', path.join(dir, 'file', 'l.png')], 1, 'is not a folder'],
    ];
    for (const [args, code, mention] of cases) {
      const r = await run([input, '-k', '3', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(/^kmeans-seg: error: .+\n$/);
      expect(r.stderr).toContain(mention);
      expect(r.stdout).toBe('');
      expect(await readdir(dir)).toEqual(['file']);
    }
  });
});
