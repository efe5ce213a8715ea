/**
 * The streaming PNG writer: the bytes of one pngFile call on all the scanlines, wherever the pushes
 * cut them (one row, a prime number of rows, the whole image, odd byte counts), across deflate parts
 * and IDAT chunks; streamed to a temporary file that appears whole or not at all.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PART_BYTES, PngStream, pngFile, type ByteSink, type PngHeader } from '../../src/io/png-writer.js';
import { StreamedFiles } from '../../src/io/strips/streamed-files.js';

/** RGB scanlines (filter 0): a smooth quarter that deflates well, then noise that does not. */
function scanlines(width: number, height: number, seed: number): Uint8Array {
  const stride = width * 3 + 1;
  const raw = new Uint8Array(stride * height);
  let s = seed >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0, o = y * stride + 1; x < width * 3; x++, o++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      raw[o] = y < height / 4 ? (x + y) & 255 : s >>> 24;
    }
  }
  return raw;
}

function memorySink(): { sink: ByteSink; bytes: () => Buffer } {
  const out: Buffer[] = [];
  return { sink: { write: (b) => { out.push(Buffer.from(b)); return Promise.resolve(); } }, bytes: () => Buffer.concat(out) };
}

/** Push `raw` in pieces of `rows` scanlines (or `bytes` bytes). */
async function streamed(header: PngHeader, raw: Uint8Array, piece: number, sink: ByteSink): Promise<void> {
  const s = new PngStream(header, sink, 'x.png');
  for (let at = 0; at < raw.length; at += piece) await s.push(raw.subarray(at, at + piece));
  await s.end();
}

describe('PngStream', () => {
  // 27 MB of scanlines: 26 deflate parts, and the noise alone passes one IDAT (16 MiB).
  const width = 3001, height = 3000, stride = width * 3 + 1;
  const header: PngHeader = { width, height, depth: 8, colorType: 2 };
  const raw = scanlines(width, height, 7);
  let whole: Buffer;
  beforeAll(async () => { whole = await pngFile(header, raw, 'x.png'); }, 60_000);

  it('spans several parts and IDATs, and decodes to the scanlines', async () => {
    expect(raw.length).toBeGreaterThan(25 * PART_BYTES);
    expect(whole.length).toBeGreaterThan(1 << 24);
    const { data, info } = await sharp(whole).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([width, height, 3]);
    for (const y of [0, height / 4 - 1, height / 4, height - 1]) {
      expect(data.subarray(y * width * 3, (y + 1) * width * 3).equals(Buffer.from(raw.subarray(y * stride + 1, (y + 1) * stride))), `row ${y}`).toBe(true);
    }
  });

  it.each([
    ['one row', stride], ['7 rows (prime)', 7 * stride], ['the whole image', raw.length],
    ['65537 bytes, across rows', 65537], ['exactly one part', PART_BYTES],
  ])('gives the bytes of pngFile pushed %s at a time', async (_name, piece) => {
    const m = memorySink();
    await streamed(header, raw, piece, m.sink);
    expect(m.bytes().equals(whole)).toBe(true);
  }, 60_000);

  it('gives pngFile\'s bytes for a stream of exactly one part, and for a tiny indexed image', async () => {
    for (const [h, r] of [
      [{ width: PART_BYTES - 1, height: 1, depth: 8, colorType: 0 } as PngHeader, new Uint8Array(PART_BYTES).fill(3)],
      [{ width: 3, height: 2, depth: 2, colorType: 3, palette: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), transparency: Uint8Array.of(0) } as PngHeader, Uint8Array.of(0, 0b00011000, 0, 0b10010000)],
    ] as const) {
      r[0] = 0;
      const m = memorySink();
      await streamed(h, r, 1, m.sink);
      expect(m.bytes().equals(await pngFile(h, r, 'x.png'))).toBe(true);
    }
  });
});

describe('StreamedFiles', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-stream-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });
  const header: PngHeader = { width: 100, height: 50, depth: 8, colorType: 2 };
  const raw = scanlines(100, 50, 3);

  it('renames every file into place only at commit, with the bytes of pngFile', async () => {
    const files = new StreamedFiles();
    const a = path.join(dir, 'a.png'), b = path.join(dir, 'b.png');
    await writeFile(b, 'old');
    await streamed(header, raw, 301 * 7, await files.open(a));
    await streamed(header, raw, 301, await files.open(b));
    expect(await readdir(dir)).toHaveLength(3); // b.png (old) and two temporary files
    expect(await readFile(b, 'utf8')).toBe('old');
    await files.commit();
    expect((await readdir(dir)).sort()).toEqual(['a.png', 'b.png']);
    const expected = await pngFile(header, raw, 'x.png');
    expect((await readFile(a)).equals(expected)).toBe(true);
    expect((await readFile(b)).equals(expected)).toBe(true);
  });

  it('leaves nothing behind when discarded', async () => {
    const files = new StreamedFiles();
    const s = new PngStream(header, await files.open(path.join(dir, 'c.png')), 'c.png');
    await s.push(raw.subarray(0, 1000));
    await files.discard();
    expect((await readdir(dir)).sort()).toEqual(['a.png', 'b.png']);
  });
});
