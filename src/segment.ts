/**
 * segment(): the file front of kmeans (decode, cluster, save) and nameInput. Invariant: every option
 * is checked before the image is read, and image errors name the input they are about.
 */
import './node/platform.js';
import { KMeansSegError } from './errors.js';
import { decodeImage, resolveLimitInputPixels } from './io/decode.js';
import { encodeImage } from './io/encode.js';
import type { SaveOptions } from './io/output-path.js';
import { kmeans } from './core/kmeans.js';
import { paintOver } from './core/paint.js';
import { resolveOptions, type KMeansOptions } from './core/options.js';
import type { KMeansResult } from './types.js';
import { checkOptionNames, checkPlainObject, invalidOption, quote } from './validate.js';

export interface SegmentOptions extends KMeansOptions {
  /** Refuse images with more pixels (width x height, read from the header before decoding): a guard against decompression bombs. A positive integer, or false for no limit. Default 268402689 (sharp's 0x3FFF x 0x3FFF). */
  limitInputPixels?: number | false;
}

export interface SegmentResult extends KMeansResult {
  /** The input path as given, or `'<buffer>'` for bytes. */
  input: string;
  /** Milliseconds per stage; `total` runs from the call to `segment` to its return, decoding included. */
  timings: KMeansResult['timings'] & { decode: number };
  /** Write the segmented image; the format follows the extension (.png, .jpg/.jpeg, .webp). Refuses an existing file, or the input, unless `force`. */
  save(outPath: string, options?: SaveOptions): Promise<void>;
}

/**
 * Decode an image file (or its bytes) and segment it into K colours. Animated GIF/WebP and
 * multi-page TIFF: the first frame (page) only, with a warning in `result.warnings`.
 *
 * @throws ERR_INVALID_OPTION for a bad option; the errors of decodeImage; those of kmeans, with the
 *   input's name in front of ERR_INVALID_IMAGE and ERR_TOO_LARGE. `save()` throws those of encodeImage.
 *
 * @example
 * const result = await segment('photo.jpg', { k: 6, seed: 42 });
 * await result.save('photo-6.png');
 */
export async function segment(input: string | Uint8Array, options: SegmentOptions = {}): Promise<SegmentResult> {
  const t0 = performance.now();
  // Every option is checked before the (possibly large) image is read.
  resolveOptions(options, ['limitInputPixels']);
  const { limitInputPixels, ...kmeansOptions } = options;
  const image = await decodeImage(input, { limitInputPixels: resolveLimitInputPixels(limitInputPixels) });
  const decode = performance.now() - t0;
  const inputPath = typeof input === 'string' ? input : undefined;
  let result: KMeansResult;
  try {
    result = await kmeans(image, kmeansOptions);
  } catch (error) {
    throw nameInput(error, input);
  }
  const warnings = [...image.warnings, ...result.warnings];
  // The decoded pixels are ours alone and unused from here: save() paints over them while the
  // collector has not yet taken them, rather than allocating a second image-sized buffer at the
  // memory peak (which decides the largest image a machine can segment). Held weakly, so a kept
  // result does not keep them alive.
  const decoded = new WeakRef(image.data);
  return {
    ...result,
    warnings,
    toRGBA: () => result.toRGBA(),
    toRGB: () => result.toRGB(),
    input: inputPath ?? '<buffer>',
    timings: { ...result.timings, decode, total: performance.now() - t0 },
    save: async (outPath, saveOptions) => {
      const force = resolveSaveOptions(saveOptions);
      const spare = decoded.deref();
      const pixels = spare !== undefined ? paintOver(result, spare) : result.hasAlpha ? result.toRGBA() : result.toRGB();
      return encodeImage(pixels, result.width, result.height, outPath, { force, inputPath });
    },
  };
}

/**
 * The core speaks of pixels; whoever decoded a file needs to hear which file an image error is about.
 * Returns ERR_INVALID_IMAGE and ERR_TOO_LARGE errors with the input's name in front (same code, the
 * original as cause), and anything else as it is. For callers that decode and cluster in two steps.
 */
export function nameInput(error: unknown, input: string | Uint8Array): unknown {
  if (!(error instanceof KMeansSegError) || (error.code !== 'ERR_INVALID_IMAGE' && error.code !== 'ERR_TOO_LARGE')) return error;
  const name = typeof input === 'string' ? `Input file ${quote(input)}` : 'The input buffer';
  if (error.message.startsWith(name)) return error;
  return new KMeansSegError(error.code, `${name}: ${error.message}`, { cause: error });
}

function resolveSaveOptions(options: SaveOptions | undefined): boolean {
  if (options === undefined) return false;
  checkPlainObject(options, 'save options', 'an object such as { force: true }');
  checkOptionNames(options, ['force'], 'save()');
  const { force } = options;
  if (force !== undefined && typeof force !== 'boolean') throw invalidOption('force', 'true or false', force);
  return force === true;
}
