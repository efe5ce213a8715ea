/**
 * Image files and encoded bytes in, as 8-bit sRGB RGBA. Invariant: every check that can fail from the
 * header alone (format, pixel limit, buffer size) runs before a pixel is decoded.
 */
import { constants as bufferConstants } from 'node:buffer';
import { MessageChannel } from 'node:worker_threads';
import type { Metadata } from 'sharp';
import { KMeansSegError } from '../errors.js';
import { DEFAULT_LIMIT_INPUT_PIXELS } from '../limits.js';
import type { ResolvedOptions } from '../core/options.js';
import { warmKernel } from '../core/prepare-kernel.js';
import { invalidOption, quote } from '../validate.js';
import { firstLine } from './error-text.js';
import { undecodable, unreadableHeader } from './sniff.js';
import { isByteStream, readRegularFile, readStream, startsOwnBuffer, type ByteStream } from './read-file.js';
import { loadSharp, type Sharp } from './sharp.js';

export interface DecodeOptions {
  /** Refuse images with more pixels (width x height, read from the header before decoding). A positive integer, or false for no limit. Default 268402689. */
  limitInputPixels?: number | false;
  /**
   * The options of the kmeans run the pixels are for: its kernel starts while sharp loads and
   * decodes (the wasm at once, the worker threads once the header gives the size; see warmKernel),
   * so that kmeans finds it ready. Nothing else changes.
   */
  kernel?: Pick<ResolvedOptions, 'k' | 'threads' | 'backend'>;
}

export interface DecodedImage {
  /** RGBA, 8 bits per channel, sRGB, row-major, width * height * 4 bytes; EXIF orientation applied. */
  data: Uint8Array;
  width: number;
  height: number;
  /** Whether the file had an alpha channel (without one, every alpha byte is 255). */
  hasAlpha: boolean;
  /** The container: 'jpeg', 'png', 'webp', 'avif', 'heif', 'tiff' or 'gif'. */
  format: string;
  /** Frames (animated GIF/WebP) or pages (multi-page TIFF) in the file; only the first is decoded. */
  pages: number;
  /** What the caller should be told about the decoding (e.g. that frames were left out), one line each. */
  warnings: string[];
}

/**
 * An encoded image as a program has one: a file path, the file's bytes (a Buffer, any Uint8Array, an
 * ArrayBuffer), or a stream of them (a Node Readable such as process.stdin or an HTTP request, or a
 * web ReadableStream), read to its end with a file's size cap.
 */
export type EncodedInput = string | Uint8Array | ArrayBuffer | ByteStream;

/** What an encoded input may be, in words, for the message that refuses anything else. */
export const ENCODED_INPUTS = 'a file path, a Buffer, Uint8Array or ArrayBuffer of an encoded image file, or a Readable stream of one';

/** Whether `value` is an encoded input (see EncodedInput); a string is one only when not empty. */
export function isEncodedInput(value: unknown): value is EncodedInput {
  return (typeof value === 'string' && value !== '') || value instanceof Uint8Array || value instanceof ArrayBuffer || isByteStream(value);
}

/** How messages name an input: 'Input file "a.png"', 'The input buffer', 'The input stream', 'Standard input'. */
export function inputName(input: EncodedInput): string {
  if (typeof input === 'string') return `Input file ${quote(input)}`;
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return 'The input buffer';
  return input === (process.stdin as unknown) ? 'Standard input' : 'The input stream';
}

const READABLE = new Set(['jpeg', 'png', 'webp', 'heif', 'tiff', 'gif']);
const READABLE_NAMES = 'JPEG, PNG, WebP, AVIF, TIFF or GIF';

/**
 * Validate `limitInputPixels` (undefined gives the default).
 *
 * @throws ERR_INVALID_OPTION for anything but a positive integer or false.
 */
export function resolveLimitInputPixels(value: unknown): number | false {
  if (value === undefined) return DEFAULT_LIMIT_INPUT_PIXELS;
  if (value === false || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1)) return value;
  throw invalidOption('limitInputPixels', 'a positive integer or false', value,
    `the default is ${DEFAULT_LIMIT_INPUT_PIXELS}; pass a larger number, or false for no limit, for images you trust`);
}

/**
 * Decode an encoded image (a path, bytes or a stream: see EncodedInput) to 8-bit sRGB RGBA, EXIF
 * orientation applied.
 *
 * @throws ERR_INVALID_OPTION for an input that is none of those, or a bad limitInputPixels;
 *   ERR_INPUT_NOT_FOUND, ERR_INPUT_NOT_FILE or ERR_READ when the file or stream cannot be read; ERR_DECODE
 *   when it is not a readable image; ERR_TOO_LARGE above the pixel limit, past MAX_INPUT_FILE_BYTES or
 *   Node's largest buffer; ERR_BACKEND when sharp cannot be loaded.
 */
export async function decodeImage(input: EncodedInput, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const limit = resolveLimitInputPixels(opts.limitInputPixels);
  const onHeader = opts.kernel === undefined ? undefined : warmKernel(opts.kernel);
  const { bytes, name } = await readSource(input);
  // A PNG's size is in its first bytes: the kernel's threads then boot while sharp loads, rather than
  // while libvips decodes, which they slowed (their memory interleaved with the decoder's too).
  const early = onHeader === undefined ? undefined : pngSize(bytes);
  if (early !== undefined) onHeader!(early.width, early.height);
  // A file's bytes were read here, so are ours alone: freed as soon as they are decoded (see release).
  // A stream's may be the caller's own chunk.
  const ours = typeof input === 'string';
  let image: DecodedImage;
  try {
    const sharp = await loadSharp();
    const meta = await readHeader(sharp, bytes, name, typeof input === 'string');
    const format = checkHeader(meta, name, limit);
    if (early === undefined) onHeader?.(meta.width ?? 0, meta.height ?? 0);
    image = await decodePixels(sharp, bytes, meta, format, name, limit);
  } finally {
    if (ours) await release(bytes);
  }
  return image;
}

/**
 * Width and height from a PNG's IHDR (always its first chunk), or undefined for anything else. Only
 * a hint for warming the kernel: sharp's header, checked against the limits, is what counts.
 */
function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const ihdr = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];
  if (bytes.length < 24 || !ihdr.every((b, i) => bytes[i] === b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 24);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Free `bytes` now rather than at the collector's next major run: the encoded file (33 MB for the
 * 12 MP benchmark photo) would otherwise stay resident through K-means and the encode, the run's
 * memory peak. Transferring the buffer to a closed port detaches it here; Node drops the message,
 * and with it the memory, when the port's handle closes, in the close phase of this loop iteration:
 * two turns of the loop later it is gone. Only for buffers nothing else holds: sharp is done with
 * them once its promise has settled. @internal exported for its test.
 */
export async function release(bytes: Buffer): Promise<void> {
  if (!startsOwnBuffer(bytes)) return; // a slice of Node's pool: not ours to free
  const { port1, port2 } = new MessageChannel();
  port2.close();
  try {
    port1.postMessage(null, [bytes.buffer as ArrayBuffer]);
  } catch {
    return; // not transferable: the collector frees it
  } finally {
    port1.close();
  }
  await turn();
  await turn();
}

/** The encoded bytes of a path, a buffer or a stream, and the name every message about them starts with. */
async function readSource(input: EncodedInput): Promise<{ bytes: Buffer; name: string }> {
  if (!isEncodedInput(input)) {
    throw invalidOption('input', ENCODED_INPUTS, input, 'for raw RGBA pixels call kmeans({ data, width, height }) or segment({ data, width, height })');
  }
  const name = inputName(input);
  if (typeof input === 'string') {
    if (input.includes('\0')) throw invalidOption('input', 'a file path without NUL characters', input);
    return { bytes: await readInput(input, name), name };
  }
  // A view, not a copy, that honours the caller's byteOffset; a stream is read whole, with a file's cap.
  const bytes = input instanceof Uint8Array ? Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    : input instanceof ArrayBuffer ? Buffer.from(input) : await readStream(input, name);
  if (bytes.byteLength === 0) {
    throw new KMeansSegError('ERR_DECODE', `${name} is empty (0 bytes): pass the bytes of an encoded image file (${READABLE_NAMES})`);
  }
  return { bytes, name };
}

async function readHeader(sharp: Sharp, bytes: Buffer, name: string, fromFile: boolean): Promise<Metadata> {
  try {
    // No limit here: the header alone is read, and we want to name the size in our own message.
    return await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    // sharp's "Input buffer contains unsupported image format" would misname a file: say it our way.
    throw new KMeansSegError('ERR_DECODE', `${name} ${unreadableHeader(bytes, firstLine(error),
      `expected ${READABLE_NAMES}${fromFile ? '' : '; for raw RGBA pixels pass { data, width, height } instead'}`)}`, { cause: error });
  }
}

/** Refuse, from the header alone, a format we do not read and an image too large; returns the format's name. */
function checkHeader(meta: Metadata, name: string, limit: number | false): string {
  const format = meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : String(meta.format);
  if (!READABLE.has(meta.format)) {
    throw new KMeansSegError('ERR_DECODE', `${name} is ${format.toUpperCase()}, which kmeans-seg does not read: convert it to PNG first (readable: ${READABLE_NAMES})`);
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (limit !== false && pixels > limit) {
    throw new KMeansSegError('ERR_TOO_LARGE',
      `${name} is ${meta.width} x ${meta.height} = ${pixels} pixels, more than the limit of ${limit}: ` +
      `if you trust the file, raise the limit with --limit-input-pixels ${pixels} (CLI) or limitInputPixels: ${pixels} (API)`);
  }
  // With the limit raised or off, the RGBA pixels must still fit one Node buffer (4 GiB on 64-bit
  // Node 20, about 1.07 G pixels). Said here, from the header, before libvips allocates anything.
  if (pixels * 4 > bufferConstants.MAX_LENGTH) {
    throw new KMeansSegError('ERR_TOO_LARGE',
      `${name} is ${meta.width} x ${meta.height} = ${pixels} pixels, whose RGBA (${(pixels * 4 / 2 ** 30).toFixed(2)} GiB) ` +
      `exceeds the largest buffer Node can allocate (${(bufferConstants.MAX_LENGTH / 2 ** 30).toFixed(2)} GiB): downscale or tile the image first`);
  }
  return format;
}

async function decodePixels(sharp: Sharp, bytes: Buffer, meta: Metadata, format: string, name: string, limit: number | false): Promise<DecodedImage> {
  try {
    // failOn 'error' rejects truncated or broken pixel data (sharp's default 'warning' would also
    // reject JPEGs with recoverable glitches that every viewer shows). sharp keeps its own pixel limit
    // as a second guard.
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: limit })
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      hasAlpha: meta.hasAlpha === true,
      format,
      pages: meta.pages ?? 1,
      warnings: (meta.pages ?? 1) > 1
        ? [`only the first of the ${meta.pages} frames (or pages) of the ${format.toUpperCase()} was segmented`]
        : [],
    };
  } catch (error) {
    if (/exceeds pixel limit/i.test(firstLine(error))) {
      // The header lied (or sharp counts pages we did not): the second guard fired. Same code, same fix.
      throw new KMeansSegError('ERR_TOO_LARGE',
        `${name} decodes to more pixels than the limit of ${limit}: if you trust the file, raise --limit-input-pixels (CLI) or limitInputPixels (API)`,
        { cause: error });
    }
    throw new KMeansSegError('ERR_DECODE',
      `${name} could not be decoded as ${format.toUpperCase()} (${undecodable(bytes, firstLine(error))}): the file is truncated or corrupt; re-export or re-download it`,
      { cause: error });
  }
}

/**
 * Read the whole file ourselves rather than hand sharp the path: one read gives metadata and pixels
 * the same bytes, and sidesteps libvips' cache of open files, which can serve stale pixels for a path
 * rewritten in the same process. readRegularFile opens it once, without blocking, and reads what it checked.
 */
async function readInput(file: string, name: string): Promise<Buffer> {
  const bytes = await readRegularFile(file, name, 'image');
  if (bytes.length === 0) throw new KMeansSegError('ERR_DECODE', `${name} is empty (0 bytes): re-export or re-download the image`);
  return bytes;
}
