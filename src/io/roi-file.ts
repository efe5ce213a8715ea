/**
 * A region-of-interest mask given as a file (a path or its encoded bytes), decoded to the pixels the
 * core takes. Invariant: the mask is read before the input image, so a bad mask fails fast.
 */
import type { RoiMask, RoiPixels } from '../core/roi-dither-options.js';
import { KMeansSegError } from '../errors.js';
import { decodeImage } from './decode.js';

/**
 * The mask as pixels: a path or encoded bytes are decoded (RGBA: a grey PNG's grey in r, g and b, its
 * alpha, if any, in a); pixels and undefined are returned as they are.
 * @throws those of decodeImage, their message starting "roi mask", with the same code.
 */
export async function loadRoi(roi: RoiMask | undefined, limitInputPixels: number | false): Promise<RoiPixels | undefined> {
  if (roi === undefined || (typeof roi === 'object' && !(roi instanceof ArrayBuffer) && !ArrayBuffer.isView(roi))) return roi as RoiPixels | undefined;
  try {
    const { data, width, height } = await decodeImage(roi as string | Uint8Array | ArrayBuffer, { limitInputPixels });
    return { data, width, height };
  } catch (error) {
    if (!(error instanceof KMeansSegError)) throw error;
    throw new KMeansSegError(error.code, `roi mask: ${error.message}`, { cause: error });
  }
}
