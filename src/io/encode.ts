/**
 * RGBA (or RGB) pixels, or a result's labels, out as a PNG (indexed when it can be), JPEG or WebP file.
 * Invariant: the path, the size and the pixels are checked before anything is encoded, and the file
 * appears whole or not at all (writeOutputFile).
 */
import { checkOption } from '../core/option-table.js';
import { paintOver } from '../core/paint.js';
import { KMeansSegError } from '../errors.js';
import type { KMeansResult } from '../types.js';
import { quote } from '../validate.js';
import { firstLine } from './error-text.js';
import { checkOutputPath, type OutputFormat, type WriteOptions } from './output-path.js';
import { writeOutputFile } from './output-set.js';
import { indexedPNG, indexLabels, indexPixels } from './png-indexed.js';
import { loadSharp } from './sharp.js';

/** How a PNG holds its pixels: indexed when it can (see encodePixels), or always RGB / RGBA. */
export type PngColors = 'auto' | 'truecolour';

export interface EncodeOptions {
  /**
   * PNG only. 'auto' (the default) writes an indexed PNG (PLTE, and tRNS when some alpha is below
   * 255) when the image has at most 256 distinct RGBA colours, else truecolour; 'truecolour' always
   * writes RGB or RGBA. A reader gets the same pixels either way.
   */
  pngColors?: PngColors;
}

/** Validate `pngColors` (undefined gives 'auto'). @throws ERR_INVALID_OPTION for anything else. */
export function resolvePngColors(value: unknown): PngColors {
  if (value === undefined) return 'auto';
  checkOption('pngColors', value);
  return value as PngColors;
}

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
 * survives exactly; a PNG of at most 256 distinct colours is indexed unless `pngColors` is
 * 'truecolour' (see EncodeOptions). JPEG (quality 90, no chroma subsampling, which would smear the
 * flat colours' edges) is flattened onto white. `file` names the output in messages.
 *
 * @throws ERR_INVALID_IMAGE when the pixels do not match the size; ERR_OUTPUT_FORMAT when the image
 *   is too large for the format; ERR_WRITE when encoding fails; ERR_BACKEND when sharp cannot be
 *   loaded; ERR_INVALID_OPTION for a bad pngColors.
 */
export async function encodePixels(
  rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, format: OutputFormat, file: string, options: EncodeOptions = {},
): Promise<Buffer> {
  const channels = channelsOf(rgba, width, height);
  checkEncodable(width, height, format, file);
  if (format === 'png' && resolvePngColors(options.pngColors) === 'auto') {
    // Exactly the truecolour file's pixels, in fewer bytes and a fraction of the time; a photo (an
    // overlay) gives up within its first rows.
    const indexed = indexPixels(rgba, width * height, channels);
    if (indexed !== null) return indexedPNG(indexed, width, height, file);
  }
  const sharp = await loadSharp();
  // No pixel limit: it guards decoding against bombs, and these pixels are in memory already (the
  // default would refuse every image above 16383 x 16383).
  let image = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels }, limitInputPixels: false });
  if (channels === 4 && isOpaque(rgba)) image = image.removeAlpha(); // smaller files, and JPEG would drop it anyway
  if (format === 'png') image = image.png();
  else if (format === 'webp') image = image.webp({ lossless: true });
  else image = image.flatten({ background: '#ffffff' }).jpeg({ quality: 90, chromaSubsampling: '4:4:4' });
  try {
    return await image.toBuffer();
  } catch (error) {
    throw new KMeansSegError('ERR_WRITE', `Could not encode ${quote(file)} as ${format.toUpperCase()} (${firstLine(error)}): ${format === 'png' ? 'free some memory, or crop or tile the image' : 'try a .png output'}`, { cause: error });
  }
}

/** Where encodeSegmented may find the pixels the result came from. */
export interface SegmentedSource extends EncodeOptions {
  /** The RGBA pixels the result was computed from: read for the alpha (when the result has some). */
  original?: Uint8Array;
  /** Whether `original` is the caller's no more, so a truecolour file may be painted over it (see paintOver). */
  paintOver?: boolean;
}

/**
 * The encoded bytes of a result's segmented image (what toRGBA() paints) in `format`. A PNG is
 * indexed straight from the labels when its colours (palette colour and alpha pairs) are 256 or
 * fewer and `pngColors` allows it: nothing is painted. Otherwise as encodePixels, painted over
 * `original` when allowed, so that no second image-sized buffer is made.
 *
 * @throws ERR_OUTPUT_FORMAT when the image is too large for the format; ERR_WRITE when encoding
 *   fails; ERR_BACKEND when sharp cannot be loaded; ERR_INVALID_OPTION for a bad pngColors.
 */
export async function encodeSegmented(result: KMeansResult, format: OutputFormat, file: string, source: SegmentedSource = {}): Promise<Buffer> {
  const { width, height } = result;
  checkEncodable(width, height, format, file);
  const { original } = source;
  if (format === 'png' && resolvePngColors(source.pngColors) === 'auto') {
    const indexed = indexedSegmentedPNG(result, file, original);
    if (indexed !== null) return indexed;
  }
  const pixels = original !== undefined && source.paintOver === true ? paintOver(result, original)
    : result.hasAlpha ? result.toRGBA() : result.toRGB();
  return encodePixels(pixels, width, height, format, file, { pngColors: 'truecolour' });
}

/**
 * The indexed PNG of a result's segmented image (see encodeSegmented), or null when it has more
 * than 256 distinct colours. The indexing runs now; the promise is the deflating, on libuv's threads.
 * `original`, the RGBA pixels the result came from, gives the alpha; without it toRGBA() does.
 *
 * @throws ERR_OUTPUT_FORMAT when the image is too large for a PNG; the promise rejects with ERR_WRITE when zlib fails.
 */
export function indexedSegmentedPNG(result: KMeansResult, file: string, original?: Uint8Array): Promise<Buffer> | null {
  const { width, height } = result;
  checkEncodable(width, height, 'png', file);
  const alpha = !result.hasAlpha ? null : original ?? result.toRGBA();
  const indexed = indexLabels(result.labels, result.k, result.palette, alpha, 4);
  return indexed === null ? null : indexedPNG(indexed, width, height, file);
}

/**
 * Encode RGBA pixels to `outPath` (format from its extension: .png, .jpg/.jpeg, .webp; see
 * encodePixels) and write the file atomically (see writeOutputFile).
 *
 * @throws ERR_INVALID_IMAGE when the pixels do not match the size; the errors of checkOutputPath;
 *   ERR_OUTPUT_FORMAT when the image is too large for the format; ERR_WRITE when encoding or writing
 *   fails; ERR_BACKEND when sharp cannot be loaded; ERR_INVALID_OPTION for a bad pngColors.
 */
export async function encodeImage(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  outPath: string,
  opts: WriteOptions & EncodeOptions = {},
): Promise<void> {
  channelsOf(rgba, width, height);
  resolvePngColors(opts.pngColors);
  const format = await checkOutputPath(outPath, opts);
  await writeOutputFile(outPath, await encodePixels(rgba, width, height, format, outPath, { pngColors: opts.pngColors }));
}

function isOpaque(rgba: Uint8Array | Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}
