/**
 * RGBA (or RGB) pixels out as a PNG, JPEG or WebP file. Invariant: the path, the size and the pixels
 * are checked before anything is encoded, and the file appears whole or not at all (writeFileAtomic).
 */
import { KMeansSegError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { firstLine } from './error-text.js';
import { checkOutputPath, type OutputFormat, type WriteOptions } from './output-path.js';
import { loadSharp } from './sharp.js';

// Largest side each encoder accepts; checked up front so the error names the fix, not libvips internals.
const MAX_SIDE: Record<OutputFormat, number> = { png: 0x7fffffff, jpeg: 65535, webp: 16383 };

/**
 * Encode RGBA pixels to `outPath` (format from its extension: .png, .jpg/.jpeg, .webp) and write the
 * file atomically. PNG and WebP are lossless so the palette survives exactly; JPEG (quality 90, no
 * chroma subsampling, which would smear the flat colours' edges) is flattened onto white.
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
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1) {
    throw new KMeansSegError('ERR_INVALID_IMAGE', `Expected positive integer width and height but received ${width} x ${height}`);
  }
  // RGBA, or RGB (3 bytes a pixel) for opaque images, which saves a quarter of the memory.
  const channels = (rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray) && rgba.length === width * height * 3 ? 3 : 4;
  if (!(rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray) || rgba.length !== width * height * channels) {
    throw new KMeansSegError('ERR_INVALID_IMAGE',
      `Expected RGBA pixels of length ${width} x ${height} x 4 = ${width * height * 4} but received ${rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray ? `length ${rgba.length}` : typeof rgba}: pass 4 bytes per pixel (or 3 for RGB), row-major`);
  }
  const format = await checkOutputPath(outPath, opts);
  if (Math.max(width, height) > MAX_SIDE[format]) {
    throw new KMeansSegError('ERR_OUTPUT_FORMAT',
      `Cannot write a ${width} x ${height} image as ${format.toUpperCase()} (at most ${MAX_SIDE[format]} pixels per side): use a .png output`);
  }

  const sharp = await loadSharp();
  let image = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels } });
  if (channels === 4 && isOpaque(rgba)) image = image.removeAlpha(); // smaller files, and JPEG would drop it anyway
  if (format === 'png') image = image.png();
  else if (format === 'webp') image = image.webp({ lossless: true });
  else image = image.flatten({ background: '#ffffff' }).jpeg({ quality: 90, chromaSubsampling: '4:4:4' });
  let encoded: Buffer;
  try {
    encoded = await image.toBuffer();
  } catch (error) {
    throw new KMeansSegError('ERR_WRITE', `Could not encode ${JSON.stringify(outPath)} as ${format.toUpperCase()} (${firstLine(error)}): try a .png output`, { cause: error });
  }
  await writeFileAtomic(outPath, encoded);
}

function isOpaque(rgba: Uint8Array | Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}
