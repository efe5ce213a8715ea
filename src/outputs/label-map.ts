/**
 * The label map as a grayscale PNG. Invariant: each pixel's value is its label, unscaled, so a
 * reader gets `result.labels` back exactly.
 */
import { KMeansSegError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { checkOutputPath, type WriteOptions } from '../io/output-path.js';
import { loadSharp } from '../io/sharp.js';
import type { Labelled } from '../types.js';

/**
 * The label map as a grayscale PNG: each pixel's value is its label (0 to k-1; k for fully
 * transparent pixels), unscaled, so a reader gets `result.labels` back exactly. 8 bits per pixel when
 * the labels are a Uint8Array (every label, k included, fits in 0-255), 16 bits otherwise. PNG holds
 * at most 16 bits, so the one case of 32-bit labels (k = 65536 with transparent pixels) is refused.
 *
 * @throws ERR_OUTPUT_FORMAT for 32-bit labels; ERR_BACKEND when sharp cannot be loaded.
 */
export async function labelsPNG(result: Labelled): Promise<Buffer> {
  const { width, height, labels } = result;
  if (labels instanceof Uint32Array) {
    throw new KMeansSegError('ERR_OUTPUT_FORMAT',
      `The labels run to ${result.k} (k = ${result.k} plus the label of transparent pixels), more than the 16 bits a PNG holds: use k <= 65535, or an image without transparent pixels`);
  }
  const sharp = await loadSharp();
  // sharp takes the sample depth from the typed array; the colourspace makes the PNG grayscale
  // (colour type 0) at that depth instead of RGB.
  const sixteen = labels instanceof Uint16Array;
  return sharp(labels, { raw: { width, height, channels: 1 } })
    .toColourspace(sixteen ? 'grey16' : 'b-w')
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * Write the label map (see labelsPNG) to `file`, which must end in .png.
 *
 * @throws the errors of checkOutputPath and labelsPNG; ERR_WRITE when the file cannot be written.
 */
export async function saveLabels(result: Labelled, file: string, options: WriteOptions = {}): Promise<void> {
  await checkOutputPath(file, { ...options, extensions: ['.png'], what: 'label map' });
  await writeFileAtomic(file, await labelsPNG(result));
}
