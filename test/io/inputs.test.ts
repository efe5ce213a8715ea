/**
 * The inputs and outputs a program has: segment(), sweep() and applyPalette() read a path, a Buffer,
 * a Uint8Array view, an ArrayBuffer, a Node Readable or a web ReadableStream alike (and segment() RGBA
 * pixels), with a file's size cap on streams; toBuffer() gives save()'s bytes; paletteBuffer() a palette file's.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node/platform.js';
import { KMeansSegError } from '../../src/errors.js';
import { readStream } from '../../src/io/read-file.js';
import { applyPalette } from '../../src/palette/apply.js';
import { parsePalette } from '../../src/palette/parse.js';
import { paletteBuffer, paletteGPL, paletteJSON } from '../../src/palette/write.js';
import { segment } from '../../src/segment.js';
import { sweep } from '../../src/sweep/sweep.js';
import type { RGBAImage } from '../../src/types.js';

let tmp: string;
let png: string;
let bytes: Buffer;
let pixels: RGBAImage;

/** A seeded noisy gradient with some translucent pixels. */
function noisy(width: number, height: number, seed: number): RGBAImage {
  let s = seed >>> 0;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 24; };
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    data[p * 4] = ((p % width) * 255) / width; data[p * 4 + 1] = rnd(); data[p * 4 + 2] = (Math.floor(p / width) * 255) / height;
    data[p * 4 + 3] = p % 17 === 0 ? 128 : 255;
  }
  return { data, width, height };
}

async function expectCode(promise: Promise<unknown>, code: string, text: string): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, `expected ${code}`).toBeInstanceOf(KMeansSegError);
  expect((error as KMeansSegError).code).toBe(code);
  expect((error as Error).message).toContain(text);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-inputs-'));
  png = path.join(tmp, 'in.png');
  pixels = noisy(40, 30, 9);
  await sharp(Buffer.from(pixels.data), { raw: { width: 40, height: 30, channels: 4 } }).png().toFile(png);
  bytes = await readFile(png);
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('every input form gives the same result', () => {
  it('segment: a path, a Buffer, a Uint8Array view with an offset, an ArrayBuffer, a Readable, a web stream, RGBA pixels', async () => {
    const options = { k: 5, seed: 2 };
    const reference = await segment(png, options);
    const offset = new Uint8Array(bytes.length + 7);
    offset.set(bytes, 7);
    const inputs: [unknown, string][] = [
      [bytes, '<buffer>'],
      [offset.subarray(7), '<buffer>'],
      [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), '<buffer>'],
      [createReadStream(png, { highWaterMark: 97 }), '<stream>'], // many small chunks
      [Readable.toWeb(createReadStream(png)), '<stream>'],
      [pixels, '<pixels>'],
    ];
    for (const [input, name] of inputs) {
      const r = await segment(input as never, options);
      expect(r.input, name).toBe(name);
      expect(r.labels, name).toEqual(reference.labels);
      expect(r.colorSpace).toBe('rgb');
    }
  });

  it('sweep and applyPalette read streams and ArrayBuffers too', async () => {
    const ref = await sweep(png, { ks: [2, 4] });
    const s = await sweep(createReadStream(png), { ks: [2, 4] });
    expect(s.input).toBe('<stream>');
    expect(s.entries.map((e) => e.result.inertia)).toEqual(ref.entries.map((e) => e.result.inertia));
    const fit = await segment(png, { k: 4, colorSpace: 'oklab' });
    const a = await applyPalette(createReadStream(png), fit);
    expect(a).toMatchObject({ input: '<stream>', colorSpace: 'oklab', exactCentroids: true });
    expect(a.labels).toEqual(fit.labels);
    const b = await applyPalette(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, fit);
    expect(b.labels).toEqual(fit.labels);
  });

  it('segment of pixels in memory never paints over them, whatever it saves', async () => {
    const before = Uint8Array.from(pixels.data);
    const r = await segment(pixels, { k: 6 });
    await r.toBuffer({ format: 'webp' });
    await r.save(path.join(tmp, 'from-pixels.webp'));
    expect(Array.from(pixels.data)).toEqual(Array.from(before));
  });
});

describe('wrong inputs and streams that misbehave', () => {
  it('a wrong type names every accepted input', async () => {
    for (const input of [42, {}, new Map(), null, '', [1, 2, 3]]) {
      await expectCode(segment(input as never), 'ERR_INVALID_OPTION', 'a Readable stream');
      await expectCode(sweep(input as never, { ks: [2] }), 'ERR_INVALID_OPTION', 'a Buffer, Uint8Array or ArrayBuffer');
      await expectCode(applyPalette(input as never, ['#000000']), 'ERR_INVALID_OPTION', '{ data, width, height }');
    }
  });

  it('a stream past the cap stops being read and is destroyed: a stream that never ends cannot fill the memory', async () => {
    let pulled = 0;
    const endless = new Readable({ read() { pulled++; this.push(Buffer.alloc(1024)); } });
    await expectCode(readStream(endless, 'The input stream', 10_000), 'ERR_TOO_LARGE', 'more than 10000 bytes');
    expect(endless.destroyed).toBe(true);
    expect(pulled).toBeLessThan(40);
  });

  it('the pixel limit, an empty stream, a failing stream, a text-mode stream', async () => {
    await expectCode(segment(createReadStream(png), { limitInputPixels: 100 }), 'ERR_TOO_LARGE', 'The input stream is 40 x 30');
    await expectCode(segment(Readable.from([])), 'ERR_DECODE', 'The input stream is empty');
    const failing = new Readable({ read() { this.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })); } });
    await expectCode(segment(failing), 'ERR_READ', 'ECONNRESET');
    await expectCode(segment(createReadStream(png, { encoding: 'latin1' })), 'ERR_INVALID_OPTION', 'not bytes');
    await expectCode(segment(Readable.from(['not', 'an', 'image'].map((t) => Buffer.from(t)))), 'ERR_DECODE', 'The input stream');
  });
});

describe('outputs as bytes', () => {
  it('toBuffer: save()\'s bytes for png, the same pixels as webp, jpeg decodes; a bad format is refused', async () => {
    const r = await segment(png, { k: 5 });
    const out = path.join(tmp, 'saved.png');
    await r.save(out);
    const buffer = await r.toBuffer();
    expect(buffer.equals(await readFile(out))).toBe(true);
    const rgba = Array.from(r.toRGBA());
    for (const format of ['png', 'webp'] as const) {
      const { data, info } = await sharp(await r.toBuffer({ format })).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(info.format).toBe('raw');
      expect(Array.from(data), format).toEqual(rgba);
    }
    expect((await sharp(await r.toBuffer({ format: 'jpeg' })).metadata()).format).toBe('jpeg');
    const truecolour = await sharp(await r.toBuffer({ pngColors: 'truecolour' })).metadata();
    expect(truecolour.isPalette).toBe(false);
    expect((await sharp(buffer).metadata()).isPalette).toBe(true); // 5 colours: indexed by default
    await expectCode(r.toBuffer({ format: 'jpg' as never }), 'ERR_INVALID_OPTION', "'jpeg'");
    await expectCode(r.toBuffer({ fromat: 'png' } as never), 'ERR_INVALID_OPTION', 'did you mean "format"');
    const applied = await applyPalette(png, r);
    const painted = await sharp(await applied.toBuffer({ format: 'webp' })).ensureAlpha().raw().toBuffer();
    expect(Array.from(painted)).toEqual(Array.from(applied.toRGBA()));
  });

  it('paletteBuffer: the JSON with the result\'s own colour space (exact when applied), or GIMP', async () => {
    const r = await segment(png, { k: 4, colorSpace: 'lab' });
    const json = paletteBuffer(r);
    expect(json.toString()).toBe(paletteJSON(r, { colorSpace: 'lab' }));
    expect((await applyPalette(png, parsePalette(json.toString()))).labels).toEqual(r.labels);
    expect(paletteBuffer(r, { format: 'gpl', name: 'x' }).toString()).toBe(paletteGPL(r, { name: 'x' }));
  });
});
