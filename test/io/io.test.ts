import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/atomic-write.js';
import { decodeImage } from '../../src/io/decode.js';
import { encodeImage } from '../../src/io/encode.js';
import { checkOutputPath } from '../../src/io/output-path.js';
import { segment } from '../../src/segment.js';
import { expectKMeansError } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PONYO = path.resolve(ROOT, '../shared/images/ponyo.jpeg');
const HAVE_PONYO = existsSync(PONYO);
if (!HAVE_PONYO) console.warn(`io.test.ts: skipping the ponyo tests: ${PONYO} (../shared/images/ponyo.jpeg from the repo root) is missing`);

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-io-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

/** A fresh folder per test, so listings before and after can be compared. */
async function folder(): Promise<string> {
  return mkdtemp(path.join(tmp, 'case-'));
}

const rejects = expectKMeansError;

// 3 x 2, RGBA: red, green, blue / half-transparent white, transparent black, opaque grey.
const PIXELS = Uint8Array.from([
  255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255,
  255, 255, 255, 128, 0, 0, 0, 0, 90, 90, 90, 255,
]);
const rgbaPng = (): Promise<Buffer> => sharp(PIXELS, { raw: { width: 3, height: 2, channels: 4 } }).png().toBuffer();
const opaque = (w: number, h: number, rgb: [number, number, number]) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });

describe('decodeImage', () => {
  it('decodes an RGBA PNG exactly and reports its alpha', async () => {
    const image = await decodeImage(await rgbaPng());
    expect(image).toMatchObject({ width: 3, height: 2, hasAlpha: true, format: 'png' });
    expect(Array.from(image.data)).toEqual(Array.from(PIXELS));
  });

  it('gives opaque RGBA for an image without alpha', async () => {
    const image = await decodeImage(await opaque(5, 4, [10, 20, 30]).png().toBuffer());
    expect(image).toMatchObject({ width: 5, height: 4, hasAlpha: false, format: 'png' });
    expect(image.data.length).toBe(5 * 4 * 4);
    expect(Array.from(image.data.subarray(0, 8))).toEqual([10, 20, 30, 255, 10, 20, 30, 255]);
  });

  it('applies the EXIF orientation', async () => {
    const jpeg = await opaque(8, 2, [200, 100, 50]).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    expect(await decodeImage(jpeg)).toMatchObject({ width: 2, height: 8, format: 'jpeg' });
  });

  it('turns greyscale and 16-bit images into 8-bit sRGB RGBA', async () => {
    const grey = await opaque(2, 2, [120, 120, 120]).greyscale().png().toBuffer();
    expect(Array.from((await decodeImage(grey)).data.subarray(0, 4))).toEqual([120, 120, 120, 255]);
    const deep = await opaque(2, 2, [10, 20, 30]).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const image = await decodeImage(deep);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(image.data.subarray(0, 4))).toEqual([10, 20, 30, 255]);
  });

  it('converts an embedded colour profile to sRGB', async () => {
    // sRGB red stored as Display P3 numbers (about 234, 51, 34) must come back as sRGB red.
    const p3 = await opaque(2, 2, [255, 0, 0]).withIccProfile('p3').png().toBuffer();
    expect(Array.from((await sharp(p3, { ignoreIcc: true }).raw().toBuffer()).subarray(0, 3))).not.toEqual([255, 0, 0]);
    const [r, g, b] = (await decodeImage(p3)).data;
    expect(r).toBeGreaterThanOrEqual(254);
    expect(g).toBeLessThanOrEqual(1);
    expect(b).toBeLessThanOrEqual(1);
  });

  it('reads WebP, AVIF, TIFF and GIF', async () => {
    const base = () => opaque(4, 4, [0, 128, 255]);
    for (const [buffer, format] of [
      [await base().webp().toBuffer(), 'webp'],
      [await base().avif().toBuffer(), 'avif'],
      [await base().tiff().toBuffer(), 'tiff'],
      [await base().gif().toBuffer(), 'gif'],
    ] as const) {
      expect(await decodeImage(buffer)).toMatchObject({ width: 4, height: 4, format });
    }
  });

  it("honours a Uint8Array view's byteOffset", async () => {
    const png = await rgbaPng();
    const padded = new Uint8Array(png.length + 7);
    padded.set(png, 7);
    expect(Array.from((await decodeImage(padded.subarray(7))).data)).toEqual(Array.from(PIXELS));
  });

  it('refuses a missing file, a directory, an empty file and a text file, naming the path and the fix', async () => {
    const dir = await folder();
    const missing = path.join(dir, 'nope.png');
    await rejects(decodeImage(missing), 'ERR_INPUT_NOT_FOUND', missing, 'check the path');
    await rejects(decodeImage(dir), 'ERR_INPUT_NOT_FILE', dir, 'is a directory');
    const empty = path.join(dir, 'empty.png');
    await writeFile(empty, '');
    await rejects(decodeImage(empty), 'ERR_DECODE', empty, 'empty (0 bytes)', 're-export');
    const text = path.join(dir, 'notes.png');
    await writeFile(text, 'these are my notes, not a picture\n');
    await rejects(decodeImage(text), 'ERR_DECODE', text, 'starts with text', 'expected JPEG, PNG');
    await rejects(decodeImage(new Uint8Array(0)), 'ERR_DECODE', 'empty');
    await rejects(decodeImage(new Uint8Array(3 * 2 * 4)), 'ERR_DECODE', 'pass { data, width, height } instead');
  });

  it('refuses formats outside the list (SVG)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="red"/></svg>');
    await rejects(decodeImage(svg), 'ERR_DECODE', 'SVG', 'convert it to PNG');
  });

  it('refuses a truncated image', async () => {
    const png = await opaque(64, 64, [1, 2, 3]).png({ compressionLevel: 0 }).toBuffer();
    await rejects(decodeImage(png.subarray(0, png.length >> 1)), 'ERR_DECODE', 'truncated or corrupt');
  });

  it('enforces the pixel limit before decoding and says how to raise it', async () => {
    const png = await rgbaPng();
    await rejects(decodeImage(png, { limitInputPixels: 5 }), 'ERR_TOO_LARGE', '3 x 2 = 6 pixels', 'limit of 5', '--limit-input-pixels 6', 'limitInputPixels: 6');
    expect((await decodeImage(png, { limitInputPixels: 6 })).width).toBe(3);
    expect((await decodeImage(png, { limitInputPixels: false })).width).toBe(3);
  });

  it('rejects bad limitInputPixels values and inputs that are neither a path nor bytes', async () => {
    const png = await rgbaPng();
    for (const bad of [0, -1, 1.5, NaN, '100', true, null]) {
      await rejects(decodeImage(png, { limitInputPixels: bad as never }), 'ERR_INVALID_OPTION', 'limitInputPixels');
    }
    for (const bad of [42, '', null, [1, 2], new Uint16Array(4)]) {
      await rejects(decodeImage(bad as never), 'ERR_INVALID_OPTION', 'input');
    }
  });

  describe.skipIf(!HAVE_PONYO)('on ../shared/images/ponyo.jpeg', () => {
    it('decodes it to 225 x 225 RGBA', async () => {
      const image = await decodeImage(PONYO);
      expect(image).toMatchObject({ width: 225, height: 225, hasAlpha: false, format: 'jpeg' });
      expect(image.data.length).toBe(225 * 225 * 4);
    });

    it('refuses it cut in half (truncated JPEG)', async () => {
      const dir = await folder();
      const half = path.join(dir, 'half.jpeg');
      const bytes = await readFile(PONYO);
      await writeFile(half, bytes.subarray(0, bytes.length >> 1));
      await rejects(decodeImage(half), 'ERR_DECODE', half, 'JPEG', 'truncated or corrupt');
    });
  });
});

describe('encodeImage', () => {
  it('writes lossless PNG and WebP that decode to the same pixels, alpha included', async () => {
    const dir = await folder();
    for (const name of ['out.png', 'out.webp', 'UPPER.PNG']) {
      const file = path.join(dir, name);
      await encodeImage(PIXELS, 3, 2, file);
      const back = await decodeImage(file);
      expect(back.hasAlpha).toBe(true);
      // Lossless encoders may zero the colour of fully transparent pixels: compare visible ones.
      for (let p = 0; p < 6; p++) {
        if (PIXELS[p * 4 + 3] === 0) expect(back.data[p * 4 + 3]).toBe(0);
        else expect(Array.from(back.data.subarray(p * 4, p * 4 + 4))).toEqual(Array.from(PIXELS.subarray(p * 4, p * 4 + 4)));
      }
    }
    expect((await readdir(dir)).sort()).toEqual(['UPPER.PNG', 'out.png', 'out.webp']);
  });

  it('drops an all-opaque alpha channel and writes JPEG for .jpg and .jpeg', async () => {
    const dir = await folder();
    const rgba = new Uint8ClampedArray(4 * 4 * 4).fill(255);
    await encodeImage(rgba, 4, 4, path.join(dir, 'a.png'));
    expect(await sharp(path.join(dir, 'a.png')).metadata()).toMatchObject({ format: 'png', channels: 3 });
    for (const name of ['b.jpg', 'c.jpeg']) {
      await encodeImage(PIXELS, 3, 2, path.join(dir, name));
      expect(await sharp(path.join(dir, name)).metadata()).toMatchObject({ format: 'jpeg', width: 3, height: 2 });
    }
  });

  it('refuses an unsupported extension, naming it and the supported ones', async () => {
    const dir = await folder();
    await rejects(encodeImage(PIXELS, 3, 2, path.join(dir, 'out.bmp')), 'ERR_OUTPUT_FORMAT', '".bmp"', '.png, .jpg, .jpeg or .webp', 'out.png');
    await rejects(encodeImage(PIXELS, 3, 2, path.join(dir, 'out')), 'ERR_OUTPUT_FORMAT', 'no extension');
    expect(await readdir(dir)).toEqual([]);
  });

  it('never creates the output folder', async () => {
    const dir = await folder();
    const missing = path.join(dir, 'not', 'there');
    await rejects(encodeImage(PIXELS, 3, 2, path.join(missing, 'out.png')), 'ERR_OUTPUT_DIR', missing, 'create it first');
    await writeFile(path.join(dir, 'file'), 'x');
    await rejects(encodeImage(PIXELS, 3, 2, path.join(dir, 'file', 'out.png')), 'ERR_OUTPUT_DIR', 'is not a folder');
    expect(await readdir(dir)).toEqual(['file']);
  });

  it('refuses an existing output unless force, and then replaces it', async () => {
    const dir = await folder();
    const out = path.join(dir, 'out.png');
    await writeFile(out, 'old');
    await rejects(encodeImage(PIXELS, 3, 2, out), 'ERR_OUTPUT_EXISTS', out, '--force / force: true');
    expect(await readFile(out, 'utf8')).toBe('old');
    await encodeImage(PIXELS, 3, 2, out, { force: true });
    expect((await decodeImage(out)).width).toBe(3);
    expect(await readdir(dir)).toEqual(['out.png']);
  });

  it('refuses to overwrite the input, however the path is spelled, unless force', async () => {
    const dir = await folder();
    const input = path.join(dir, 'in.png');
    await writeFile(input, await rgbaPng());
    const before = await readFile(input);
    await symlink(input, path.join(dir, 'link.png'));
    for (const out of [input, path.join(dir, '..', path.basename(dir), 'in.png'), path.join(dir, 'link.png')]) {
      await rejects(encodeImage(PIXELS, 3, 2, out, { inputPath: input }), 'ERR_OUTPUT_EXISTS', 'is the input file', '--force');
    }
    // Through a path relative to the working folder too.
    await rejects(encodeImage(PIXELS, 3, 2, path.relative(process.cwd(), input), { inputPath: input }), 'ERR_OUTPUT_EXISTS', 'is the input');
    expect(await readFile(input)).toEqual(before);
    await encodeImage(new Uint8Array(3 * 2 * 4).fill(7), 3, 2, input, { inputPath: input, force: true });
    expect(await readFile(input)).not.toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(['in.png', 'link.png']);
  });

  it('refuses a directory as the output, even with force', async () => {
    const dir = await folder();
    await mkdir(path.join(dir, 'sub.png'));
    await rejects(encodeImage(PIXELS, 3, 2, path.join(dir, 'sub.png'), { force: true }), 'ERR_OUTPUT_EXISTS', 'is a directory');
  });

  it('checks the pixels against width and height, and the size against the format', async () => {
    const dir = await folder();
    await rejects(encodeImage(PIXELS, 3, 3, path.join(dir, 'out.png')), 'ERR_INVALID_IMAGE', '36', 'received length 24');
    await rejects(encodeImage(PIXELS, 0, 2, path.join(dir, 'out.png')), 'ERR_INVALID_IMAGE');
    await rejects(encodeImage(new Uint8Array(16384 * 4), 16384, 1, path.join(dir, 'wide.webp')), 'ERR_OUTPUT_FORMAT', '16383', '.png');
    expect(await readdir(dir)).toEqual([]);
  });

  it('checkOutputPath passes a writable new path and names its format', async () => {
    const dir = await folder();
    expect(await checkOutputPath(path.join(dir, 'x.JPG'))).toBe('jpeg');
    expect(await checkOutputPath(path.join(dir, 'x.webp'))).toBe('webp');
  });
});

describe('writeFileAtomic', () => {
  it('writes, replaces, and leaves no temporary file', async () => {
    const dir = await folder();
    const file = path.join(dir, 'data.bin');
    await writeFileAtomic(file, Uint8Array.from([1, 2, 3]));
    await writeFileAtomic(file, Uint8Array.from([4, 5]));
    expect(Array.from(await readFile(file))).toEqual([4, 5]);
    expect(await readdir(dir)).toEqual(['data.bin']);
  });

  it('turns a failed write into ERR_WRITE and removes its temporary file', async () => {
    const dir = await folder();
    await mkdir(path.join(dir, 'taken'));
    await writeFile(path.join(dir, 'taken', 'child'), 'x');
    await rejects(writeFileAtomic(path.join(dir, 'taken'), Uint8Array.from([1])), 'ERR_WRITE', 'taken');
    expect(await readdir(dir)).toEqual(['taken']);
    await rejects(writeFileAtomic(path.join(dir, 'missing', 'f'), Uint8Array.from([1])), 'ERR_WRITE', 'ENOENT');
  });
});

describe('segment', () => {
  it('validates every option before it reads the input', async () => {
    const missing = path.join(tmp, 'never-read.png');
    await rejects(segment(missing, { k: 0 }), 'ERR_INVALID_OPTION', 'k', '0');
    await rejects(segment(missing, { maxIter: 5 } as never), 'ERR_INVALID_OPTION', 'maxIter');
    await rejects(segment(missing, { limitInputPixels: -1 }), 'ERR_INVALID_OPTION', 'limitInputPixels');
    await rejects(segment(missing, null as never), 'ERR_INVALID_OPTION');
    await rejects(segment(missing, { k: 3 }), 'ERR_INPUT_NOT_FOUND', missing);
  });

  it('passes limitInputPixels to the decoder, not to kmeans', async () => {
    const png = await rgbaPng();
    await rejects(segment(png, { k: 2, limitInputPixels: 5 }), 'ERR_TOO_LARGE', '--limit-input-pixels 6');
    const result = await segment(png, { k: 2, limitInputPixels: 6 });
    expect(result.k).toBe(2);
  });

  it('segments bytes and saves the result', async () => {
    const dir = await folder();
    const result = await segment(await rgbaPng(), { k: 3, seed: 1 });
    expect(result).toMatchObject({ input: '<buffer>', width: 3, height: 2, k: 3 });
    expect(result.palette).toHaveLength(3);
    expect(result.timings.decode).toBeGreaterThanOrEqual(0);
    expect(result.timings.total).toBeGreaterThanOrEqual(result.timings.decode);
    expect(result.toRGBA()).toHaveLength(3 * 2 * 4);
    const out = path.join(dir, 'seg.png');
    await result.save(out);
    expect(await sharp(out).metadata()).toMatchObject({ width: 3, height: 2 });
    await rejects(result.save(out), 'ERR_OUTPUT_EXISTS', '--force');
    await result.save(out, { force: true });
    await rejects(result.save(path.join(dir, 'seg.gif')), 'ERR_OUTPUT_FORMAT', '".gif"');
  });

  describe.skipIf(!HAVE_PONYO)('on ../shared/images/ponyo.jpeg', () => {
    it('segments the file, and save refuses to overwrite the input unless force', async () => {
      const dir = await folder();
      const input = path.join(dir, 'ponyo.jpeg');
      await copyFile(PONYO, input);
      const before = await readFile(input);
      const result = await segment(input, { k: 4, seed: 1 });
      expect(result).toMatchObject({ input, width: 225, height: 225, k: 4 });
      await rejects(result.save(input), 'ERR_OUTPUT_EXISTS', 'is the input file');
      expect(await readFile(input)).toEqual(before);
      await result.save(input, { force: true });
      expect(await readFile(input)).not.toEqual(before);
      expect(await readdir(dir)).toEqual(['ponyo.jpeg']);
    });
  });
});
