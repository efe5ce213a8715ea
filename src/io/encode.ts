/**
 * RGBA (or RGB) pixels out as a PNG, JPEG or WebP file. Invariant: the path, the size and the pixels
 * are checked before anything is encoded, and the file appears whole or not at all (writeOutputFile).
 */
import { KMeansSegError } from '../errors.js';
import { quote } from '../validate.js';
import { firstLine } from './error-text.js';
import { checkOutputPath, type OutputFormat, type WriteOptions } from './output-path.js';
import { writeOutputFile } from './output-set.js';
import { loadSharp } from './sharp.js';

/**
 * Largest side each encoder accepts, checked up front so the error names the fix, not libvips
 * internals: libjpeg's JPEG_MAX_DIMENSION (65500, not the 65535 the format's header could hold),
 * libwebp's 16383, and for PNG the 100000000 that sharp allows for raw pixels.
 */
export const MAX_SIDE: Readonly<Record<OutputFormat, number>> = { png: 100_000_000, jpeg: 65500, webp: 16383 };

/**
 * Refuse a `width` x `height` image that `format` cannot hold (see MAX_SIDE), naming `file`.
 *
 * @throws ERR_OUTPUT_FORMAT with the limit and the fix.
 */
export function checkEncodable(width: number, height: number, format: OutputFormat, file: string): void {
  if (Math.max(width, height) <= MAX_SIDE[format]) return;
  const fix = format === 'png' ? 'crop or tile the image first' : 'use a .png output';
  throw new KMeansSegError('ERR_OUTPUT_FORMAT',
    `Cannot write a ${width} x ${height} image as ${format.toUpperCase()} to ${quote(file)} (at most ${MAX_SIDE[format]} pixels per side): ${fix}`);
}

/** 3 (RGB) or 4 (RGBA) bytes a pixel, from the length. @throws ERR_INVALID_IMAGE for bad pixels or size. */
function channelsOf(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): 3 | 4 {
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1) {
    throw new KMeansSegError('ERR_INVALID_IMAGE', `Expected positive integer width and height but received ${width} x ${height}`);
  }
  // RGBA, or RGB (3 bytes a pixel) for opaque images, which saves a quarter of the memory.
  const typed = rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray;
  const channels = typed && rgba.length === width * height * 3 ? 3 : 4;
  if (!typed || rgba.length !== width * height * channels) {
    throw new KMeansSegError('ERR_INVALID_IMAGE',
      `Expected RGBA pixels of length ${width} x ${height} x 4 = ${width * height * 4} but received ${typed ? `length ${rgba.length}` : typeof rgba}: pass 4 bytes per pixel (or 3 for RGB), row-major`);
  }
  return channels;
}

/**
 * The encoded bytes of RGBA (or RGB) pixels in `format`. PNG and WebP are lossless so the palette
 * survives exactly; JPEG (quality 90, no chroma subsampling, which would smear the flat colours'
 * edges) is flattened onto white. `file` names the output in messages.
 *
 * @throws ERR_INVALID_IMAGE when the pixels do not match the size; ERR_OUTPUT_FORMAT when the image
 *   is too large for the format; ERR_WRITE when encoding fails; ERR_BACKEND when sharp cannot be loaded.
 */
export async function encodePixels(
  rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, format: OutputFormat, file: string,
): Promise<Buffer> {
  const channels = channelsOf(rgba, width, height);
  checkEncodable(width, height, format, file);
  const sharp = await loadSharp();
  let image = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels } });
  if (channels === 4 && isOpaque(rgba)) image = image.removeAlpha(); // smaller files, and JPEG would drop it anyway
  if (format === 'png') image = image.png();
  else if (format === 'webp') image = image.webp({ lossless: true });
  else image = image.flatten({ background: '#ffffff' }).jpeg({ quality: 90, chromaSubsampling: '4:4:4' });
  try {
    return await image.toBuffer();
  } catch (error) {
    throw new KMeansSegError('ERR_WRITE', `Could not encode ${quote(file)} as ${format.toUpperCase()} (${firstLine(error)}): try a .png output`, { cause: error });
  }
}

/**
 * Encode RGBA pixels to `outPath` (format from its extension: .png, .jpg/.jpeg, .webp; see
 * encodePixels) and write the file atomically (see writeOutputFile).
 *
 * @throws ERR_INVALID_IMAGE when the pixels do not match the size; the errors of checkOutputPath;
 *   ERR_OUTPUT_FORMAT when the image is too large for the format; ERR_WRITE when encoding or writing
 *   fails; ERR_BACKEND when sharp cannot be loaded.
 */
export async function encodeImage(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  outPath: string,
  opts: WriteOptions = {},
): Promise<void> {
  channelsOf(rgba, width, height);
  const format = await checkOutputPath(outPath, opts);
  await writeOutputFile(outPath, await encodePixels(rgba, width, height, format, outPath));
}

function isOpaque(rgba: Uint8Array | Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}
