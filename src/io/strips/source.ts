/**
 * An image read strip by strip: libvips decodes it once, sequentially, into its own raw `.v` file
 * (8-bit sRGB RGB or RGBA, rows end to end after a 64-byte header) in the temporary folder, and each
 * strip is then one read at its offset, as soon as libvips has written it. Invariant: a strip's bytes are the rows decodeImage would give, or the
 * input is refused for the strip path (see stripRefusal), never read approximately.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { Metadata } from 'sharp';
import { KMeansSegError } from '../../errors.js';
import { quote } from '../../validate.js';
import { firstLine } from '../error-text.js';
import { loadSharp, type Sharp } from '../sharp.js';
import { guardTemp } from '../temp-guard.js';

/** What the strip path measured: sharp's extract re-decodes from the top for every strip (quadratic), so the file is decoded once into raw rows. */
export interface StripSource {
  width: number;
  height: number;
  /** Whether the file has an alpha channel. */
  hasAlpha: boolean;
  format: string;
  /** Frames (animated GIF/WebP) or pages (multi-page TIFF) in the file; only the first is read. */
  pages: number;
  /** Bytes a pixel in read(): 4 (RGBA) for an image with an alpha channel, else 3 (RGB, alpha 255). */
  channels: 3 | 4;
  /**
   * Rows top to top + rows - 1 (`channels` bytes a pixel), once libvips has written them: in `into`
   * when given (at least that long: strips reuse their buffers, each fresh one costing page faults), else a new buffer.
   * @throws ERR_READ, ERR_DECODE.
   */
  read(top: number, rows: number, into?: Uint8Array): Promise<Uint8Array>;
  /** Resolves once libvips has written the whole raw file. @throws ERR_DECODE when it failed. */
  decoded(): Promise<void>;
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
  dropLoadCache(sharp);
  try {
    return await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new KMeansSegError('ERR_DECODE', `${name} could not be read (${firstLine(error)}): pass a JPEG, PNG, TIFF, WebP or GIF file`, { cause: error });
  }
}

/**
 * libvips caches a load by its arguments, the path among them, and serves it again for the same path
 * even when the file was rewritten since (measured: 5 of 6 WebP rewrites in one process came back
 * stale; sequential loads of PNG, JPEG, TIFF, GIF are never cached). decodeImage sidesteps the
 * cache by reading the bytes itself, which the strip path cannot afford: it drops libvips' cache
 * instead (its limits restored at once), before the header read and before the decode.
 */
export function dropLoadCache(sharp: Sharp): void {
  const { memory, files, items } = sharp.cache();
  sharp.cache(false);
  sharp.cache({ memory: memory.max, files: files.max, items: items.max });
}

/**
 * Decode `file` into raw rows in a temporary file (os.tmpdir(): 4 bytes a pixel of free space
 * there, 3 for an opaque image), for strips. libvips writes the rows top to bottom while it decodes
 * (its sink_disc), so strips are read as soon as they are written: pass 1 counts while libvips
 * decodes. An opaque image is kept as RGB, alpha 255 implied (a quarter less to write, and counted
 * and labelled as bytes: measured faster than widening to RGBA). `limit` is the pixel limit sharp
 * keeps as a second guard.
 *
 * @throws ERR_DECODE when libvips cannot decode it, or the file changed since `meta` was read;
 *   ERR_WRITE when the raw file cannot be written.
 */
export async function openStripSource(file: string, meta: Metadata, name: string, limit: number | false): Promise<StripSource> {
  const sharp = await loadSharp();
  // A file, not a folder, so that the signal handlers of guardTemp can remove it too.
  const raw = path.join(os.tmpdir(), `kmeans-seg-strips-${process.pid}-${randomBytes(6).toString('hex')}.v`);
  const release = guardTemp(raw);
  const opaque = meta.hasAlpha !== true;
  dropLoadCache(sharp);
  // The ops of decodeImage (rotate is a no-op at orientation 1), streamed by libvips a few rows at a
  // time; the alpha of an opaque image is added per strip instead.
  const image = sharp(file, { failOn: 'error', limitInputPixels: limit, sequentialRead: true }).rotate().toColourspace('srgb');
  const decode = new Decode((opaque ? image : image.ensureAlpha()).toFile(raw), meta, name);
  let handle: FileHandle | undefined;
  const remove = async (): Promise<void> => {
    await decode.settled();
    await handle?.close().catch(() => undefined);
    await fs.rm(raw, { force: true }).catch(() => undefined);
    release();
  };
  try {
    await decode.until(async () => (await fs.stat(raw).catch(() => undefined))?.size ?? 0, HEADER);
    handle = await fs.open(raw, 'r');
    const bands = opaque ? 3 : 4;
    const header = Buffer.alloc(HEADER);
    await handle.read(header, 0, HEADER, 0);
    const width = header.readUInt32LE(4), height = header.readUInt32LE(8);
    if (header.readUInt32BE(0) !== 0xb6a6f208 || header.readUInt32LE(12) !== bands || header.readUInt32LE(20) !== 0) {
      throw new KMeansSegError('ERR_DECODE', `${name} did not decode to 8-bit ${opaque ? 'RGB' : 'RGBA'} in strips: convert it to an 8-bit PNG first`);
    }
    if (width !== meta.width || height !== meta.height) {
      throw new KMeansSegError('ERR_DECODE', `${name} decoded to ${width} x ${height}, not the ${meta.width} x ${meta.height} of its header: was it rewritten meanwhile? Run again once it is whole`);
    }
    return rowSource(handle, decode, { width, height, bands, name, meta, remove });
  } catch (error) {
    await remove();
    throw error;
  }
}

/** libvips' decode into the raw file, watched: how far it has written, and how it ended. Exported for tests. */
export class Decode {
  private failure: KMeansSegError | undefined;
  private done = false;
  private readonly end: Promise<void>;

  constructor(job: Promise<unknown>, meta: Metadata, name: string) {
    this.end = job.then(() => { this.done = true; }, (error: unknown) => {
      const fix = /no space/i.test(firstLine(error)) ? `free ${quote(os.tmpdir())} of ${((meta.width ?? 0) * (meta.height ?? 0) * 4 / 2 ** 30).toFixed(1)} GiB, or set TMPDIR` : 'the file is truncated or corrupt; re-export or re-download it';
      this.failure = new KMeansSegError('ERR_DECODE', `${name} could not be decoded in strips (${firstLine(error)}): ${fix}`, { cause: error });
    });
  }

  /** Once libvips is done (never throws). */
  settled(): Promise<void> { return this.end; }

  /** Throw how the decode failed, if it did. */
  check(): void { if (this.failure) throw this.failure; }

  /** Wait until `size()` reaches `bytes`: false when the decode ended short of it. @throws its failure. */
  async until(size: () => Promise<number>, bytes: number): Promise<boolean> {
    for (let wait = 1; ; wait = Math.min(wait * 2, 16)) {
      this.check();
      const finished = this.done;
      if (await size() >= bytes) return true;
      if (finished) return false;
      await Promise.race([this.end, new Promise((resolve) => setTimeout(resolve, wait))]);
    }
  }
}

export interface RowFile { width: number; height: number; bands: 3 | 4; name: string; meta: Metadata; remove: () => Promise<void> }

/** The source over the raw file being written: each read waits for its rows. Exported for tests. */
export function rowSource(handle: FileHandle, decode: Decode, f: RowFile): StripSource {
  const { width, height, bands, name, meta } = f;
  const stride = width * bands;
  let size = 0;
  const sizeNow = async (): Promise<number> => (size = (await handle.stat()).size);
  return {
    width, height, channels: bands, hasAlpha: meta.hasAlpha === true, format: String(meta.format), pages: meta.pages ?? 1,
    async read(top, rows, into) {
      const start = HEADER + top * stride, bytes = stride * rows;
      if (size < start + bytes && !(await decode.until(sizeNow, start + bytes))) {
        throw new KMeansSegError('ERR_READ', `The raw pixels of ${name} ended early (row ${top}): is ${quote(os.tmpdir())} full?`);
      }
      const out = into ? Buffer.from(into.buffer, into.byteOffset, bytes) : Buffer.allocUnsafe(bytes);
      for (let at = 0; at < bytes;) {
        const { bytesRead } = await handle.read(out, at, bytes - at, start + at);
        if (bytesRead === 0) throw new KMeansSegError('ERR_READ', `The raw pixels of ${name} ended early (row ${top}): is ${quote(os.tmpdir())} full?`);
        at += bytesRead;
      }
      return new Uint8Array(out.buffer, out.byteOffset, bytes);
    },
    async decoded() { await decode.settled(); decode.check(); },
    close: f.remove,
  };
}

