/**
 * The original image with the segment borders drawn over it. Invariant: the original is copied,
 * never painted in place, and border pixels are opaque.
 */
import { KMeansSegError } from '../errors.js';
import { encodeImage } from '../io/encode.js';
import type { WriteOptions } from '../io/output-path.js';
import type { Labelled, RGBAImage } from '../types.js';
import { checkHelperOptions, checkImage, checkLabelled, invalidOption, WRITE_OPTIONS } from '../validate.js';

export interface OverlayOptions {
  /** Border colour [r, g, b], 0-255. Default [255, 255, 0] (yellow, as scikit-image's mark_boundaries). */
  color?: readonly [number, number, number] | readonly number[];
}

/**
 * The original with segment borders drawn over it: a pixel is painted when its right or lower
 * neighbour has another label, which gives lines one pixel wide. Transparent pixels count as a
 * segment of their own (so the edge of the visible area is drawn), and border pixels are opaque.
 *
 * @throws ERR_INVALID_IMAGE when the original is no image or not the result's size; ERR_INVALID_OPTION
 *   for a result that is none (see checkLabelled), a bad `color` or an unknown option.
 */
export function overlayBorders(original: RGBAImage, result: Labelled, options: OverlayOptions = {}): Uint8ClampedArray {
  checkImage(original, { expected: 'the original, an image { data, width, height },' });
  checkLabelled(result);
  checkHelperOptions(options, ['color'], 'overlayBorders', '{ color: [255, 255, 0] }');
  const { width, height, labels } = result;
  if (original.width !== width || original.height !== height || original.data.length !== width * height * 4) {
    throw new KMeansSegError('ERR_INVALID_IMAGE',
      `The original is ${original.width} x ${original.height} but the result is ${width} x ${height}: pass the image the result was computed from`);
  }
  const color = options.color ?? [255, 255, 0];
  if (!Array.isArray(color) || color.length !== 3 || !color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw invalidOption('color', 'three integers 0-255, e.g. [255, 255, 0]', color);
  }
  const out = Uint8ClampedArray.from(original.data);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const l = labels[p];
      if ((x + 1 < width && labels[p + 1] !== l) || (y + 1 < height && labels[p + width] !== l)) {
        out[p * 4] = color[0]!; out[p * 4 + 1] = color[1]!; out[p * 4 + 2] = color[2]!; out[p * 4 + 3] = 255;
      }
    }
  }
  return out;
}

/**
 * Draw the borders (see overlayBorders) and write the image; the format follows the extension (.png, .jpg, .webp).
 *
 * @throws the errors of overlayBorders and encodeImage.
 */
export async function saveOverlay(original: RGBAImage, result: Labelled, file: string, options: WriteOptions & OverlayOptions = {}): Promise<void> {
  checkHelperOptions(options, [...WRITE_OPTIONS, 'color'], 'saveOverlay', '{ force: true, color: [255, 255, 0] }');
  const pixels = overlayBorders(original, result, { color: options.color });
  await encodeImage(pixels, result.width, result.height, file, { force: options.force === true, inputPath: options.inputPath });
}
