/**
 * The label map as a grayscale PNG. Invariant: each pixel's value is its label, unscaled, so a
 * reader gets `result.labels` back exactly.
 */
import { KMeansSegError } from '../errors.js';
import { checkEncodable } from '../io/encode.js';
import { checkOutputPath, type WriteOptions } from '../io/output-path.js';
import { writeOutputFile } from '../io/output-set.js';
import { packRows, pngFile } from '../io/png-writer.js';
import type { Labelled, RGBAImage } from '../types.js';
import { checkHelperOptions, checkLabelled, quote, WRITE_OPTIONS } from '../validate.js';

/**
 * The label map as a grayscale PNG: each pixel's value is its label (0 to k-1; k for fully
 * transparent pixels), unscaled, so a reader gets `result.labels` back exactly. 8 bits per pixel when
 * the labels are a Uint8Array (every label, k included, fits in 0-255), 16 bits otherwise. PNG holds
 * at most 16 bits, so the one case of 32-bit labels (k = 65536 with transparent pixels) is refused.
 *
 * @throws ERR_INVALID_OPTION when `result` is no { width, height, k, labels } that agree (see checkLabelled);
 *   ERR_OUTPUT_FORMAT for 32-bit labels; ERR_WRITE when zlib fails.
 */
export async function labelsPNG(result: Labelled): Promise<Buffer> {
  checkLabelled(result);
  const { width, height, labels } = result;
  if (labels instanceof Uint32Array) checkLabelDepth(result.k, true);
  // Not 1, 2 or 4 bits even for a small k: readers scale such samples up to 0-255 (a 4-bit 1 reads
  // as 17), and the map's promise is the label itself.
  if (labels instanceof Uint8Array) return pngFile({ width, height, depth: 8, colorType: 0 }, packRows(labels, IDENTITY, width, height, 8), 'the label map');
  return pngFile({ width, height, depth: 16, colorType: 0 }, rows16(labels, width, height), 'the label map');
}

const IDENTITY = /* @__PURE__ */ Uint8Array.from({ length: 256 }, (_, i) => i);

/** Scanlines of 16-bit samples, big-endian as PNG stores them, each led by filter byte 0. */
export function rows16(labels: ArrayLike<number>, width: number, height: number): Uint8Array {
  const stride = width * 2 + 1;
  const raw = new Uint8Array(stride * height);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0, o = y * stride + 1; x < width; x++, o += 2) {
      const v = labels[p++]!;
      raw[o] = v >>> 8; raw[o + 1] = v & 255;
    }
  }
  return raw;
}

/**
 * Refuse, before any work, a label map that a PNG cannot hold: with `k` = 65536 and transparent
 * pixels the labels run to 65536 (k plus the label of transparent pixels), past PNG's 16 bits.
 * `file`, when given, names the output in the message.
 *
 * @throws ERR_OUTPUT_FORMAT naming k and the fix.
 */
export function checkLabelDepth(k: number, transparent: boolean, file?: string): void {
  if (k + (transparent ? 1 : 0) <= 65536) return;
  throw new KMeansSegError('ERR_OUTPUT_FORMAT',
    `${file === undefined ? 'The label map' : `The label map ${quote(file)}`} cannot hold the labels: they run to ${k} (k = ${k} plus the label of transparent pixels), ` +
    'more than the 16 bits a PNG holds: use k <= 65535, or an image without transparent pixels');
}

/**
 * Whether the labels of a run of `image` will need 32 bits, which a PNG label map cannot hold: k is
 * 65536, stays 65536 (kmeans reduces a k above the distinct colours, or with `spatialWeight` the
 * visible pixels, unless `init` gives the centroids; see fitKMeans) and some pixel is fully
 * transparent. Reads the pixels only when k is 65536. For checking before clustering.
 */
export function labelsNeed32Bits(image: RGBAImage, k: number, explicitInit: boolean, spatial: boolean): boolean {
  if (k < 65536) return false;
  const { data } = image;
  const pixels = image.width * image.height;
  const seen = explicitInit || spatial ? undefined : new Uint8Array(1 << 21); // one bit per 24-bit colour
  let transparent = false, opaque = 0, distinct = 0;
  for (let p = 0, o = 0; p < pixels; p++, o += 4) {
    if (data[o + 3] === 0) { transparent = true; continue; }
    opaque++;
    if (seen === undefined) continue;
    const key = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16);
    const bit = 1 << (key & 7);
    const byte = seen[key >>> 3]!;
    if ((byte & bit) === 0) { seen[key >>> 3] = byte | bit; distinct++; }
  }
  if (!transparent) return false;
  return explicitInit || (spatial ? opaque : distinct) >= k;
}

/**
 * Write the label map (see labelsPNG) to `file`, which must end in .png; atomically, and a regular
 * file replaced keeps its mode (see writeOutputFile).
 *
 * @throws the errors of checkOutputPath and labelsPNG; ERR_OUTPUT_FORMAT for an image wider or taller
 *   than PNG holds; ERR_WRITE when the file cannot be written.
 */
export async function saveLabels(result: Labelled, file: string, options: WriteOptions = {}): Promise<void> {
  checkLabelled(result);
  checkHelperOptions(options, WRITE_OPTIONS, 'saveLabels', '{ force: true }');
  await checkOutputPath(file, { ...options, extensions: ['.png'], what: 'label map' });
  checkEncodable(result.width, result.height, 'png', file);
  if (result.labels instanceof Uint32Array) checkLabelDepth(result.k, true, file);
  await writeOutputFile(file, await labelsPNG(result));
}
