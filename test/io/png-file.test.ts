/**
 * pngFile (src/io/png-writer.ts) hands every deflate part to libuv at once, each with an output buffer
 * for its whole output: the stream must still be zlib's own. One part: the IDAT payload is exactly
 * zlib.deflateSync's at the same level (several parts: test/strips/png-stream.test.ts checks pngFile
 * against PngStream at every cut); and no part waits for this thread to be free to start.
 */
import zlib from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { PART_BYTES, PNG_LEVEL, pngFile } from '../../src/io/png-writer.js';

/** Noisy 4-bit-like rows: their deflated form is far above zlib's 16 KiB output chunk. */
function rows(bytes: number, seed: number): Uint8Array {
  const raw = new Uint8Array(bytes);
  let s = seed >>> 0;
  for (let i = 0; i < bytes; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    raw[i] = i % 1001 === 0 ? 0 : ((s >>> 28) * 17) & 0xff;
  }
  return raw;
}

/** The concatenated IDAT payloads of a PNG. */
function idat(png: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at), type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  return Buffer.concat(parts);
}

describe('pngFile', () => {
  it('one part: its IDAT is zlib.deflateSync of the scanlines, byte for byte', async () => {
    const raw = rows(1001 * 600, 3);
    expect(raw.length).toBeLessThan(PART_BYTES);
    const png = await pngFile({ width: 1000, height: 600, depth: 8, colorType: 0 }, raw, 'x.png');
    const expected = zlib.deflateSync(raw, { level: PNG_LEVEL, memLevel: 9 });
    expect(expected.length).toBeGreaterThan(64 * 1024);
    expect(idat(png).equals(expected)).toBe(true);
  });

  it('every part is with zlib before the call returns, each with room for its whole output', async () => {
    const raw = rows(1001 * 3000, 5); // three parts
    const spy = vi.spyOn(zlib, 'deflateRaw');
    try {
      const file = pngFile({ width: 1000, height: 3000, depth: 8, colorType: 0 }, raw, 'x.png');
      // Nothing awaited yet: a thread that now computes for a while (the CLI's quality figures) holds no part back.
      expect(spy).toHaveBeenCalledTimes(Math.ceil(raw.length / PART_BYTES));
      for (const [part, options] of spy.mock.calls as unknown as [Uint8Array, zlib.ZlibOptions][]) expect(options.chunkSize).toBeGreaterThan(part.length);
      expect((await file).length).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });
});
