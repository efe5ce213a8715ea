/**
 * Every image file a user may hand the API, good, odd or hostile (crafted headers, bombs, frames,
 * depths, unreadable paths): a typed error with a stable code or a documented behaviour.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { describe, expect, it } from 'vitest';
import { KMeansSegError } from '../../src/errors.js';
import { decodeImage } from '../../src/io/decode.js';
import { kmeans } from '../../src/core/kmeans.js';
import { segment } from '../../src/segment.js';
import { IS_ROOT, NOBODY, tried, folder, rejects, solid, frames, noisePng, pngBomb, runCli, expectOneLineError, skipWith, scratch, useScratch } from '../hostile.js';

useScratch('decode.test.ts');

// =============================================================================================
// 1. Inputs: typed errors or documented behaviour

describe('image files of every kind: documented behaviour (API)', () => {
  interface Kind {
    name: string;
    bytes: () => Promise<Buffer>;
    /** What the file is, by sharp's own reading: makes sure the test builds what it names. */
    meta: Partial<Metadata>;
    decoded: { width: number; height: number; hasAlpha: boolean; pages: number };
    /** First pixel after decoding, RGBA, and how far each channel may be off (colour conversion). */
    first: [number, number, number, number];
    slack?: number;
    warning?: RegExp;
  }
  const kinds: Kind[] = [
    {
      name: '16-bit RGBA PNG (alpha 0.5)',
      bytes: () => solid(4, 3, { r: 10, g: 20, b: 30, alpha: 0.5 }, 4).toColourspace('rgb16').png().toBuffer(),
      meta: { depth: 'ushort', channels: 4 },
      decoded: { width: 4, height: 3, hasAlpha: true, pages: 1 }, first: [10, 20, 30, 128],
    },
    {
      name: '16-bit greyscale PNG',
      bytes: () => solid(4, 3, '#646464').greyscale().toColourspace('grey16').png().toBuffer(),
      meta: { depth: 'ushort', channels: 1 },
      decoded: { width: 4, height: 3, hasAlpha: false, pages: 1 }, first: [100, 100, 100, 255],
    },
    {
      name: 'grey + alpha PNG',
      bytes: () => solid(4, 3, { r: 100, g: 100, b: 100, alpha: 0.5 }, 4).toColourspace('b-w').png().toBuffer(),
      meta: { channels: 2, hasAlpha: true },
      decoded: { width: 4, height: 3, hasAlpha: true, pages: 1 }, first: [100, 100, 100, 128],
    },
    {
      name: 'palette PNG',
      bytes: () => solid(4, 3, '#ff0000').png({ palette: true }).toBuffer(),
      meta: { isPalette: true },
      decoded: { width: 4, height: 3, hasAlpha: false, pages: 1 }, first: [255, 0, 0, 255],
    },
    {
      name: 'palette PNG with a transparent entry (tRNS)',
      bytes: () => sharp(Buffer.from([0, 0, 0, 0, 255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255]), { raw: { width: 2, height: 2, channels: 4 } })
        .png({ palette: true }).toBuffer(),
      meta: { isPalette: true, hasAlpha: true },
      decoded: { width: 2, height: 2, hasAlpha: true, pages: 1 }, first: [0, 0, 0, 0], slack: 255, // the colour of a transparent pixel is not specified
    },
    {
      name: 'CMYK JPEG',
      bytes: () => solid(4, 3, '#336699').toColourspace('cmyk').jpeg().toBuffer(),
      meta: { space: 'cmyk', channels: 4, format: 'jpeg' },
      // Converted to sRGB through the CMYK profile: close to the colour that went in, not equal.
      decoded: { width: 4, height: 3, hasAlpha: false, pages: 1 }, first: [51, 102, 153, 255], slack: 24,
    },
    {
      name: 'CMYK TIFF',
      bytes: () => solid(4, 3, '#336699').toColourspace('cmyk').tiff().toBuffer(),
      meta: { space: 'cmyk', format: 'tiff' },
      decoded: { width: 4, height: 3, hasAlpha: false, pages: 1 }, first: [51, 102, 153, 255], slack: 24,
    },
    {
      name: 'animated GIF (3 frames)',
      bytes: () => frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).gif({ loop: 0 }).toBuffer(),
      meta: { format: 'gif', pages: 3 },
      decoded: { width: 4, height: 4, hasAlpha: true, pages: 3 }, first: [255, 0, 0, 255],
      warning: /only the first of the 3 frames \(or pages\) of the GIF was segmented/,
    },
    {
      name: 'animated WebP (3 frames)',
      bytes: () => frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).webp({ lossless: true, loop: 0 }).toBuffer(),
      meta: { format: 'webp', pages: 3 },
      decoded: { width: 4, height: 4, hasAlpha: false, pages: 3 }, first: [255, 0, 0, 255],
      warning: /first of the 3 frames .* WEBP/,
    },
    {
      name: 'multi-page TIFF (3 pages)',
      bytes: () => frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).tiff().toBuffer(),
      meta: { format: 'tiff', pages: 3 },
      // sharp writes TIFF with JPEG compression by default: a channel may be off by one.
      decoded: { width: 4, height: 4, hasAlpha: false, pages: 3 }, first: [255, 0, 0, 255], slack: 2,
      warning: /first of the 3 frames .* TIFF/,
    },
    {
      name: '1 x 1 image',
      bytes: () => solid(1, 1, '#102030').png().toBuffer(),
      meta: { width: 1, height: 1 },
      decoded: { width: 1, height: 1, hasAlpha: false, pages: 1 }, first: [16, 32, 48, 255],
      warning: /k reduced from 8 to 1/,
    },
    {
      name: '1 x 500 strip (one column)',
      bytes: () => noisePng(1, 500, 3),
      meta: { width: 1, height: 500 },
      decoded: { width: 1, height: 500, hasAlpha: true, pages: 1 }, first: [-1, -1, -1, 255], slack: 255,
    },
    {
      name: '500 x 1 strip (one row)',
      bytes: () => noisePng(500, 1, 4),
      meta: { width: 500, height: 1 },
      decoded: { width: 500, height: 1, hasAlpha: true, pages: 1 }, first: [-1, -1, -1, 255], slack: 255,
    },
  ];

  for (const kind of kinds) {
    it(`${kind.name}: decoded to 8-bit sRGB RGBA${kind.decoded.pages > 1 ? ', first frame only, with a warning' : ''}; segment works`, async () => {
      tried();
      const bytes = await kind.bytes();
      expect(await sharp(bytes).metadata()).toMatchObject(kind.meta);
      const image = await decodeImage(bytes);
      expect(image).toMatchObject(kind.decoded);
      expect(image.data).toBeInstanceOf(Uint8Array);
      expect(image.data.length).toBe(image.width * image.height * 4);
      const slack = kind.slack ?? 0;
      kind.first.forEach((v, i) => { if (v >= 0) expect(Math.abs(image.data[i]! - v), `channel ${i}`).toBeLessThanOrEqual(i === 3 ? 0 : slack); });

      const result = await segment(bytes, { k: 8, seed: 1 });
      expect(result).toMatchObject({ width: kind.decoded.width, height: kind.decoded.height });
      expect(result.labels).toHaveLength(kind.decoded.width * kind.decoded.height);
      if (kind.warning) expect(result.warnings.join('\n')).toMatch(kind.warning);
      else if (kind.decoded.pages === 1) expect(result.warnings.join('\n')).not.toMatch(/frames/);
    });
  }

  it('an entirely transparent image: ERR_INVALID_IMAGE from the core, naming the file through segment()', async () => {
    tried(3);
    const png = await solid(5, 4, { r: 9, g: 9, b: 9, alpha: 0 }, 4).png().toBuffer();
    const dir = await folder();
    const file = path.join(dir, 'clear.png');
    await writeFile(file, png);
    await rejects(kmeans(await decodeImage(png)), 'ERR_INVALID_IMAGE', 'fully transparent', '20 pixels');
    await rejects(segment(png), 'ERR_INVALID_IMAGE', 'The input buffer', 'fully transparent');
    const e = await rejects(segment(file), 'ERR_INVALID_IMAGE', `Input file ${JSON.stringify(file)}`, 'fully transparent', 'visible pixels');
    expect(e.cause).toBeInstanceOf(KMeansSegError);
  });

  it('a decompression bomb (20000 x 20000 PNG of one colour, ~50 KB): ERR_TOO_LARGE from the header, saying how to raise the limit', async () => {
    tried(3);
    const bomb = pngBomb(20000, 20000);
    expect(bomb.length).toBeLessThan(100_000);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({ format: 'png', width: 20000, height: 20000 });
    const dir = await folder();
    const file = path.join(dir, 'bomb.png');
    await writeFile(file, bomb);
    const mentions = ['20000 x 20000 = 400000000 pixels', 'limit of 268402689', '--limit-input-pixels 400000000', 'limitInputPixels: 400000000'];
    await rejects(decodeImage(bomb), 'ERR_TOO_LARGE', 'The input buffer', ...mentions);
    await rejects(segment(file, { k: 4 }), 'ERR_TOO_LARGE', JSON.stringify(file), ...mentions);
    // A smaller bomb under a lower limit, then the limit raised as the message says.
    const small = pngBomb(3000, 2000);
    await rejects(decodeImage(small, { limitInputPixels: 1_000_000 }), 'ERR_TOO_LARGE', 'limitInputPixels: 6000000');
    const ok = await decodeImage(small, { limitInputPixels: 6_000_000 });
    expect(ok).toMatchObject({ width: 3000, height: 2000, hasAlpha: false });
    expect(Array.from(ok.data.subarray(0, 4))).toEqual([0, 0, 0, 255]);
  });

  it('a bomb larger than any Node buffer, with the limit off: ERR_TOO_LARGE before anything is allocated', async () => {
    tried(2);
    const bomb = pngBomb(33000, 33000); // 1.09 G pixels: 4.06 GiB of RGBA
    const before = process.memoryUsage().rss;
    await rejects(decodeImage(bomb, { limitInputPixels: false }), 'ERR_TOO_LARGE', '33000 x 33000', 'largest buffer Node can allocate', 'downscale');
    await rejects(segment(bomb, { limitInputPixels: false }), 'ERR_TOO_LARGE', 'largest buffer');
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });
});


describe('unreadable inputs: ERR_READ naming the file and the cause', () => {
  it('a symbolic link that points to itself (ELOOP)', async () => {
    tried();
    const dir = await folder();
    const loop = path.join(dir, 'loop.png');
    await symlink(loop, loop);
    await rejects(decodeImage(loop), 'ERR_READ', JSON.stringify(loop), 'ELOOP', 'symbolic link');
  });

  it('a file name longer than the filesystem allows (ENAMETOOLONG)', async () => {
    tried();
    const long = path.join(scratch(), `${'a'.repeat(300)}.png`);
    await rejects(decodeImage(long), 'ERR_READ', 'ENAMETOOLONG', 'too long');
  });

  it('a file without read permission (EACCES): as an unprivileged user', async (ctx) => {
    tried();
    const dir = await folder();
    const file = path.join(dir, 'secret.png');
    await writeFile(file, await solid(2, 2, '#abcdef').png().toBuffer());
    await chmod(file, 0o000);
    if (!IS_ROOT) {
      await rejects(decodeImage(file), 'ERR_READ', 'EACCES', 'permissions');
      return;
    }
    // root reads everything: run the CLI as nobody instead, into a folder nobody may write (the
    // output's folder is checked first).
    const out = path.join(dir, 'out');
    await mkdir(out);
    await chmod(out, 0o777);
    const r = await runCli([file, '-o', path.join(out, 'out.png')], { uid: NOBODY });
    if (!r.stderr.startsWith('kmeans-seg:')) { skipWith(`cannot run the CLI as nobody (uid ${NOBODY}): ${r.stderr}`); ctx.skip(); return; }
    expect(r.code, r.stderr).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(JSON.stringify(file));
    expect(r.stderr).toMatch(/could not be read \(EACCES\): check its permissions/);
  });
});
