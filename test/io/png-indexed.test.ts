/**
 * Indexed PNGs: every pixel sharp decodes from one is the pixel it decodes from the truecolour file
 * of the same image (opaque and translucent, K from 1 to 256 and past it), the bit depth is the
 * smallest that holds the colours, tRNS is there only when needed, and the bytes never vary.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { encodePixels, encodeSegmented, indexedSegmentedPNG } from '../../src/io/encode.js';
import { adler32, PART_BYTES, tableCrc32 } from '../../src/io/png-writer.js';
import { terminateWorkers } from '../../src/kernel/select.js';
import { segment } from '../../src/segment.js';
import type { KMeansResult, RGBAImage } from '../../src/types.js';
import { expectKMeansError, noiseImage } from '../helpers.js';

afterAll(async () => { await terminateWorkers(); });

interface Chunks { colourType: number; depth: number; types: string[]; plte: number; trns: Buffer | undefined; idat: Buffer }

/** The chunks of a PNG, each CRC checked. */
function chunks(png: Buffer): Chunks {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  const types: string[] = [];
  const idat: Buffer[] = [];
  let ihdr: Buffer = Buffer.alloc(0), plte = 0, trns: Buffer | undefined;
  for (let at = 8; at < png.length;) {
    const len = png.readUInt32BE(at), type = png.toString('latin1', at + 4, at + 8), body = png.subarray(at + 8, at + 8 + len);
    expect(png.readUInt32BE(at + 8 + len), `${type} CRC`).toBe(tableCrc32(png.subarray(at + 4, at + 8 + len)));
    types.push(type);
    if (type === 'IHDR') ihdr = body;
    if (type === 'PLTE') plte = len / 3;
    if (type === 'tRNS') trns = body;
    if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  return { colourType: ihdr[9]!, depth: ihdr[8]!, types: [...new Set(types)], plte, trns, idat: Buffer.concat(idat) };
}

/** What sharp decodes: the bytes and the channel count (3 for an opaque file, 4 with alpha). */
async function pixelsOf(png: Buffer): Promise<{ channels: number; data: Buffer }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { channels: info.channels, data };
}

/** Noise of at least `colours` distinct colours, with `translucent` pixels in 16 at alpha 0, 100 or 200. */
function picture(width: number, height: number, seed: number, translucent = 0): RGBAImage {
  const img = noiseImage(width, height, seed);
  for (let p = 0; p < width * height; p++) if (p % 16 < translucent) img.data[p * 4 + 3] = [0, 100, 200][p % 3]!;
  return img;
}

async function expectSamePixels(result: KMeansResult, indexed: Buffer): Promise<void> {
  const truecolour = await encodeSegmented(result, 'png', 'x.png', { pngColors: 'truecolour' });
  expect([2, 6]).toContain(chunks(truecolour).colourType);
  const [a, b] = await Promise.all([pixelsOf(truecolour), pixelsOf(indexed)]);
  expect(b.channels).toBe(a.channels);
  expect(b.data.equals(a.data)).toBe(true);
}

const distinct = (r: KMeansResult): number => new Set(r.palette.map((p) => p.hex)).size;

describe('indexed PNG of a result', () => {
  for (const translucent of [0, 3]) {
    for (const k of [1, 2, 3, 4, 5, 16, 17, 255, 256]) {
      it(`K = ${k}, ${translucent ? 'translucent' : 'opaque'}: the truecolour file's pixels, at the smallest depth`, async () => {
        const img = picture(k > 17 ? 41 : 24, k > 17 ? 37 : 9, k, translucent); // 24: rows of whole words
        const result = await kmeans(img, { k, seed: 1, backend: 'js', maxIterations: 4 });
        expect(result.k).toBe(k);
        const png = await encodeSegmented(result, 'png', 'x.png');
        const c = chunks(png);
        if (translucent && k > 64) {
          // (colour, alpha) pairs past 256: truecolour, still the same pixels.
          expect(c.colourType).toBe(6);
        } else {
          const entries = distinct(result) * (translucent ? 3 : 1); // each colour at alpha 100, 200 and 255 ...
          expect(c.colourType).toBe(3);
          expect(c.types).toEqual(translucent ? ['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND'] : ['IHDR', 'PLTE', 'IDAT', 'IEND']);
          expect(c.plte).toBeLessThanOrEqual(entries + 1); // ... and transparent black
          expect(c.depth).toBe(c.plte <= 2 ? 1 : c.plte <= 4 ? 2 : c.plte <= 16 ? 4 : 8);
          if (translucent) expect([...c.trns!].every((a) => a < 255)).toBe(true);
        }
        await expectSamePixels(result, png);
      });
    }
  }

  it('falls back to truecolour for K > 256, with the same pixels', async () => {
    const result = await kmeans(picture(40, 30, 7), { k: 300, seed: 1, backend: 'js', maxIterations: 2 });
    expect(distinct(result)).toBeGreaterThan(256);
    expect(indexedSegmentedPNG(result, 'x.png')).toBeNull();
    const png = await encodeSegmented(result, 'png', 'x.png');
    expect(chunks(png).colourType).toBe(2);
    await expectSamePixels(result, png);
  });

  it('indexes a K > 256 result whose colours are 256 or fewer (labels rounding to one colour share an entry)', async () => {
    const result = await kmeans(picture(40, 30, 8), { k: 300, seed: 1, backend: 'js', maxIterations: 2 });
    const grey = result.palette.map((p, j) => ({ ...p, rgb: [j % 200, j % 200, j % 200] as [number, number, number] }));
    const folded = { ...result, palette: grey, toRGB: () => paint(folded, 3), toRGBA: () => paint(folded, 4) };
    const png = indexedSegmentedPNG(folded, 'x.png');
    expect(png).not.toBeNull();
    expect(chunks(await png!)).toMatchObject({ colourType: 3, depth: 8, plte: 200 });
    await expectSamePixels(folded, await png!);
  });

  it('reads the alpha from the original when given, and writes the same bytes as from toRGBA()', async () => {
    const img = picture(31, 7, 3, 2);
    const result = await kmeans(img, { k: 6, seed: 2, backend: 'js' });
    const fromOriginal = await indexedSegmentedPNG(result, 'x.png', img.data as Uint8Array)!;
    expect(fromOriginal.equals(await indexedSegmentedPNG(result, 'x.png')!)).toBe(true);
    expect(fromOriginal.equals(await encodeSegmented(result, 'png', 'x.png'))).toBe(true);
  });

  it('pngColors: truecolour writes RGB, and a bad value is refused', async () => {
    const result = await kmeans(picture(9, 9, 4), { k: 4, backend: 'js' });
    expect(chunks(await encodeSegmented(result, 'png', 'x.png', { pngColors: 'truecolour' })).colourType).toBe(2);
    await expectKMeansError(encodeSegmented(result, 'png', 'x.png', { pngColors: 'indexed' as 'auto' }), 'ERR_INVALID_OPTION', 'pngColors', 'truecolour');
  });

  it('JPEG and WebP are painted and encoded as before', async () => {
    const result = await kmeans(picture(9, 9, 5), { k: 4, backend: 'js' });
    const webp = await encodeSegmented(result, 'webp', 'x.webp');
    expect((await sharp(webp).metadata()).format).toBe('webp');
    expect((await pixelsOf(webp)).data.equals(Buffer.from(result.toRGB()))).toBe(true);
  });
});

/** The result's pixels as toRGB (3) or toRGBA (4) would paint them, for a result whose palette was changed. */
function paint(r: KMeansResult, channels: 3 | 4): Uint8ClampedArray {
  const out = new Uint8ClampedArray(r.width * r.height * channels);
  for (let p = 0; p < r.labels.length; p++) {
    const l = r.labels[p]!;
    if (l < r.k) out.set(r.palette[l]!.rgb, p * channels);
    if (channels === 4) out[p * 4 + 3] = l < r.k ? 255 : 0;
  }
  return out;
}

describe('indexed PNG of any pixels (encodePixels)', () => {
  it('indexes RGB and RGBA pixels of up to 256 colours, odd widths at every depth, with the same pixels', async () => {
    for (const colours of [2, 3, 4, 9, 16, 100, 256]) {
      for (const width of [1, 3, 7, 8, 9, 12, 13]) {
        const height = 5;
        const rgba = new Uint8Array(width * height * 4);
        for (let p = 0; p < width * height; p++) {
          const c = (p * 7 + (p >> 2)) % colours;
          rgba.set([c, 255 - c, (c * 37) & 255, c % 3 === 0 && width % 2 ? 128 : 255], p * 4); // even widths opaque
        }
        const png = await encodePixels(rgba, width, height, 'png', 'x.png');
        const truecolour = await encodePixels(rgba, width, height, 'png', 'x.png', { pngColors: 'truecolour' });
        const c = chunks(png);
        expect(c.colourType).toBe(3);
        expect(c.depth).toBe(c.plte <= 2 ? 1 : c.plte <= 4 ? 2 : c.plte <= 16 ? 4 : 8);
        const [a, b] = await Promise.all([pixelsOf(truecolour), pixelsOf(png)]);
        expect(b.data.equals(a.data), `${colours} colours, width ${width}`).toBe(true);
      }
    }
  });

  it('gives up on the 257th colour and writes truecolour', async () => {
    const rgb = new Uint8Array(257 * 3);
    for (let p = 0; p < 257; p++) rgb.set([p & 255, p >> 8, 7], p * 3);
    expect(chunks(await encodePixels(rgb, 257, 1, 'png', 'x.png')).colourType).toBe(2);
    expect(chunks(await encodePixels(rgb.subarray(0, 256 * 3), 256, 1, 'png', 'x.png')).colourType).toBe(3);
  });

  it('keeps the colour of transparent pixels, as the truecolour file does', async () => {
    const rgba = Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 0, 40, 50, 60, 255]);
    const png = await encodePixels(rgba, 3, 1, 'png', 'x.png');
    expect(chunks(png)).toMatchObject({ colourType: 3, plte: 3 });
    expect([...(await pixelsOf(png)).data]).toEqual([...rgba]);
  });
});

describe('the zlib stream', () => {
  it('deflated in parts, is one valid stream whose bytes do not vary between runs', async () => {
    // 1200 x 1000 of 256 colours at 8 bits is more than one part.
    const width = 1200, height = 1000;
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) { const c = ((p % width) ^ Math.floor(p / width / 3)) & 255; rgb.set([c, c, 255 - c], p * 3); }
    const png = await encodePixels(rgb, width, height, 'png', 'x.png');
    const c = chunks(png);
    expect(c.depth).toBe(8);
    const raw = inflateSync(c.idat);
    expect(raw.length).toBe((width + 1) * height);
    expect(raw.length).toBeGreaterThan(PART_BYTES);
    expect(c.idat.readUInt32BE(c.idat.length - 4)).toBe(adler32(raw));
    expect((await pixelsOf(png)).data.equals(Buffer.from(rgb))).toBe(true);
    expect((await encodePixels(rgb, width, height, 'png', 'x.png')).equals(png)).toBe(true);
  });

  it('adler32 matches zlib on a known input', () => {
    // zlib.adler32 is not in node:zlib; "Wikipedia" is the usual worked example, 0x11E60398.
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
  });
});

describe('segment(): pngColors', () => {
  it("save() writes indexed by default and truecolour with pngColors: 'truecolour', the same pixels; a bad value fails before decoding", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-png-'));
    try {
      const img = picture(30, 20, 9, 2);
      const input = await sharp(img.data, { raw: { width: 30, height: 20, channels: 4 } }).png().toBuffer();
      const files: Buffer[] = [];
      for (const pngColors of [undefined, 'truecolour'] as const) {
        const result = await segment(input, { k: 5, seed: 3, backend: 'js', pngColors });
        const file = path.join(dir, `${pngColors ?? 'auto'}.png`);
        await result.save(file);
        await result.save(file, { force: true }); // twice: the second save reads what the first left
        files.push(await readFile(file));
      }
      expect(chunks(files[0]!).colourType).toBe(3);
      expect(chunks(files[1]!).colourType).toBe(6);
      const [a, b] = await Promise.all(files.map(pixelsOf));
      expect(a!.data.equals(b!.data)).toBe(true);
      await expectKMeansError(segment(Buffer.from('not an image'), { pngColors: 'palette' as 'auto' }), 'ERR_INVALID_OPTION', 'pngColors');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
