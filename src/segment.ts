import { decodeImage, encodeImage, resolveLimitInputPixels } from './image-io.js';
import { kmeans } from './kmeans.js';
import { resolveOptions, type KMeansOptions } from './options.js';
import type { KMeansResult } from './types.js';

export interface SegmentOptions extends KMeansOptions {
  /** Refuse images with more pixels (width x height, read from the header before decoding): a guard against decompression bombs. A positive integer, or false for no limit. Default 268402689 (sharp's 0x3FFF x 0x3FFF). */
  limitInputPixels?: number | false;
}

export interface SaveOptions {
  /** Overwrite an existing file, even the input image. Default false. */
  force?: boolean;
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
 * Decode an image file (or its bytes) and segment it into K colours.
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
  const result = await kmeans(image, kmeansOptions);
  const inputPath = typeof input === 'string' ? input : undefined;
  return {
    ...result,
    toRGBA: () => result.toRGBA(),
    input: inputPath ?? '<buffer>',
    timings: { ...result.timings, decode, total: performance.now() - t0 },
    save: (outPath, saveOptions = {}) =>
      encodeImage(result.toRGBA(), result.width, result.height, outPath, { force: saveOptions.force === true, inputPath }),
  };
}
