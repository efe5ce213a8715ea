/**
 * Each output format's size limit is the encoder's real one (issue 11, defect 9: JPEG is 65500, not
 * 65535), checked before any encoding: ERR_OUTPUT_FORMAT and exit 2, never ERR_WRITE after the work.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkEncodable, encodeImage, MAX_SIDE } from '../../src/io/encode.js';
import { expectOneLineError, folder, rejects, runCli, solid, tried, useScratch } from '../hostile.js';

useScratch('format-limits.test.ts');

describe('MAX_SIDE is what the encoders accept', () => {
  for (const [format, limit] of [['jpeg', MAX_SIDE.jpeg], ['webp', MAX_SIDE.webp]] as const) {
    it(`${format}: a ${limit} x 1 image encodes, a ${limit + 1} x 1 one is refused by sharp itself`, async () => {
      tried(2);
      const encode = (w: number): Promise<Buffer> => {
        const image = solid(w, 1, '#808080');
        return (format === 'jpeg' ? image.jpeg() : image.webp({ lossless: true })).toBuffer();
      };
      expect((await sharp(await encode(limit)).metadata()).width).toBe(limit);
      await expect(encode(limit + 1)).rejects.toThrow(/too large|Maximum supported image dimension/);
    });
  }

  it('png: sharp takes raw pixels up to 100000000 a side', () => {
    tried();
    expect(MAX_SIDE.png).toBe(100_000_000);
    expect(() => sharp(Buffer.alloc(3), { raw: { width: MAX_SIDE.png + 1, height: 1, channels: 3 } })).toThrow(/raw pixel input/);
    expect(() => checkEncodable(MAX_SIDE.png + 1, 1, 'png', 'x.png')).toThrow(/at most 100000000 pixels per side/);
  });
});

describe('a size the format cannot hold: ERR_OUTPUT_FORMAT before encoding', () => {
  it('API: encodeImage refuses 65501 x 1 as JPEG naming 65500 and .png, writes 65500 x 1, and leaves no file when refusing', async () => {
    tried(2);
    const dir = await folder();
    await rejects(encodeImage(new Uint8Array(65501 * 4).fill(200), 65501, 1, path.join(dir, 'wide.jpg')), 'ERR_OUTPUT_FORMAT', '65500', '.png', 'wide.jpg');
    expect(await readdir(dir)).toEqual([]);
    await encodeImage(new Uint8Array(65500 * 4).fill(200), 65500, 1, path.join(dir, 'ok.jpg'));
    expect((await sharp(path.join(dir, 'ok.jpg')).metadata()).width).toBe(65500);
  });

  it('CLI: a 65535 x 2 image to .jpg exits 2 with ERR_OUTPUT_FORMAT\'s one line (was ERR_WRITE, exit 1, after clustering)', async () => {
    tried();
    const dir = await folder();
    const input = path.join(dir, 'wide.png');
    await writeFile(input, await solid(65535, 2, '#c0ffee').png().toBuffer());
    const r = await runCli([input, '-k', '2', '-o', path.join(dir, 'out.jpg')]);
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain('at most 65500 pixels per side');
    expect(r.stderr).toContain('.png');
    expect((await readdir(dir)).sort()).toEqual(['wide.png']);
  });
});
