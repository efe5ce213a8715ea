/**
 * The inputs a feature takes (a path, encoded bytes, or RGBA pixels in memory) as one checked image,
 * with the name results report it under. Invariant: pixels in memory are checked, never copied.
 */
import type { KMeansSegError } from '../errors.js';
import type { RGBAImage } from '../types.js';
import { checkImage } from '../validate.js';
import { decodeImage } from './decode.js';

export interface LoadedInput {
  /** The pixels: decoded, or the caller's own image as given. */
  image: RGBAImage;
  /** The input path as given, `'<buffer>'` for bytes, `'<pixels>'` for pixels in memory. */
  name: string;
  /** The path, when the input is one: an output naming the same file is refused without `force`. */
  inputPath: string | undefined;
  /** What decoding had to say (frames left out, say); empty for pixels in memory. */
  warnings: string[];
}

/**
 * Decode a path or encoded bytes (see decodeImage), or check pixels in memory (see checkImage).
 * `notAnImage`, when given, is the error for an input that is no object with `data` at all, thrown
 * instead of checkImage's.
 *
 * @throws the errors of decodeImage for a path or bytes; ERR_INVALID_IMAGE for pixels that do not
 *   match their size; `notAnImage(input)` when given and the input is not even image-shaped.
 */
export async function loadInput(
  input: string | Uint8Array | RGBAImage, limitInputPixels: number | false, notAnImage?: (input: unknown) => KMeansSegError,
): Promise<LoadedInput> {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const { data, width, height, warnings } = await decodeImage(input, { limitInputPixels });
    const inputPath = typeof input === 'string' ? input : undefined;
    return { image: { data, width, height }, name: inputPath ?? '<buffer>', inputPath, warnings };
  }
  if (notAnImage && !(input !== null && typeof input === 'object' && 'data' in input)) throw notAnImage(input);
  checkImage(input);
  return { image: input, name: '<pixels>', inputPath: undefined, warnings: [] };
}
