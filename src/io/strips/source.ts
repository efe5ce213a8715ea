/**
 * An image read strip by strip: libvips decodes it once, sequentially, into its own raw `.v` file
 * (8-bit sRGB RGBA, rows end to end after a 64-byte header) in the temporary folder, and each strip is
 * then one read at its offset. Invariant: a strip's bytes are the rows decodeImage would give, or the
 * input is refused for the strip path (see stripRefusal), never read approximately.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Metadata } from 'sharp';
import { KMeansSegError } from '../../errors.js';
import { quote } from '../../validate.js';
import { firstLine } from '../error-text.js';
import { loadSharp } from '../sharp.js';
import { guardTemp } from '../temp-guard.js';

/** What the strip path measured: sharp's extract re-decodes from the top for every strip (quadratic), so the file is decoded once into raw rows. */
export interface StripSource {
  width: number;
  height: number;
  /** Whether the file has an alpha channel. */
  hasAlpha: boolean;
  format: string;
  /** RGBA rows top to top + rows - 1, a new buffer. @throws ERR_READ. */
  read(top: number, rows: number): Promise<Uint8Array>;
  /** Remove the raw file. Never throws. */
  close(): Promise<void>;
}

const READABLE = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'heif']);
const HEADER = 64;

/**
 * Why the strip path cannot reproduce decodeImage's pixels for this header, or undefined when it
 * can: a rotation needs the whole image, 16-bit samples and colour profiles other than sRGB are
 * converted by the in-memory path only, and interlaced PNG or progressive JPEG are decoded whole by libvips anyway.
 */
export function stripRefusal(meta: Metadata): string | undefined {
  if (!READABLE.has(meta.format ?? '')) return `${String(meta.format).toUpperCase()} is not read in strips`;
  if ((meta.orientation ?? 1) !== 1) return `its EXIF orientation is ${meta.orientation} (a rotation needs the whole image)`;
  if (meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char') return `it has ${meta.bitsPerSample ?? 16}-bit samples`;
  if (meta.isProgressive === true) return meta.format === 'png' ? 'it is an interlaced PNG' : `it is a progressive ${String(meta.format).toUpperCase()}`;
  if (meta.icc !== undefined && !isSrgbProfile(meta.icc)) return 'it has a colour profile other than sRGB';
  return undefined;
}

/** Whether an ICC profile names itself sRGB (its description tag, ASCII or UTF-16). */
function isSrgbProfile(icc: Buffer): boolean {
  return icc.includes('sRGB', 0, 'latin1') || icc.includes(Buffer.from('sRGB', 'utf16le').swap16());
}

/** The header of an input, as sharp reads it. @throws ERR_DECODE when it is no image. */
export async function readMeta(file: string, name: string): Promise<Metadata> {
  const sharp = await loadSharp();
  try {
    return await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new KMeansSegError('ERR_DECODE', `${name} could not be read (${firstLine(error)}): pass a JPEG, PNG, TIFF, WebP or GIF file`, { cause: error });
  }
}

/**
 * Decode `file` once into raw rows in a temporary folder (os.tmpdir(): it needs 4 bytes a pixel of
 * free space there), for strips. `limit` is the pixel limit sharp keeps as a second guard.
 *
 * @throws ERR_DECODE when libvips cannot decode it; ERR_WRITE when the raw file cannot be written.
 */
export async function openStripSource(file: string, meta: Metadata, name: string, limit: number | false): Promise<StripSource> {
  const sharp = await loadSharp();
  // A file, not a folder, so that the signal handlers of guardTemp can remove it too.
  const raw = path.join(os.tmpdir(), `kmeans-seg-strips-${process.pid}-${randomBytes(6).toString('hex')}.v`);
  const release = guardTemp(raw);
  const remove = async (): Promise<void> => { await fs.rm(raw, { force: true }).catch(() => undefined); release(); };
  try {
    // The ops of decodeImage (rotate is a no-op at orientation 1), streamed by libvips a few rows at a time.
    await sharp(file, { failOn: 'error', limitInputPixels: limit, sequentialRead: true }).rotate().toColourspace('srgb').ensureAlpha().toFile(raw);
  } catch (error) {
    await remove();
    const fix = /no space/i.test(firstLine(error)) ? `free ${quote(os.tmpdir())} of ${((meta.width ?? 0) * (meta.height ?? 0) * 4 / 2 ** 30).toFixed(1)} GiB, or set TMPDIR` : 'the file is truncated or corrupt; re-export or re-download it';
    throw new KMeansSegError('ERR_DECODE', `${name} could not be decoded in strips (${firstLine(error)}): ${fix}`, { cause: error });
  }
  const handle = await fs.open(raw, 'r');
  const header = Buffer.alloc(HEADER);
  await handle.read(header, 0, HEADER, 0);
  const width = header.readUInt32LE(4), height = header.readUInt32LE(8);
  if (header.readUInt32BE(0) !== 0xb6a6f208 || header.readUInt32LE(12) !== 4 || header.readUInt32LE(20) !== 0) {
    await handle.close();
    await remove();
    throw new KMeansSegError('ERR_DECODE', `${name} did not decode to 8-bit RGBA in strips: convert it to an 8-bit PNG first`);
  }
  const stride = width * 4;
  return {
    width, height, hasAlpha: meta.hasAlpha === true, format: String(meta.format),
    async read(top, rows) {
      const out = Buffer.allocUnsafe(stride * rows);
      for (let at = 0; at < out.length;) {
        const { bytesRead } = await handle.read(out, at, out.length - at, HEADER + top * stride + at);
        if (bytesRead === 0) throw new KMeansSegError('ERR_READ', `The raw pixels of ${name} ended early (row ${top}): is ${quote(os.tmpdir())} full?`);
        at += bytesRead;
      }
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    },
    async close() { await handle.close().catch(() => undefined); await remove(); },
  };
}
