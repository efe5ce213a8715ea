/**
 * The inputs a feature takes (a path, encoded bytes, a stream of them, or RGBA pixels in memory) as
 * one checked image, with the name results report it under. Invariant: pixels in memory are checked, never copied.
 */
import { KMeansSegError } from '../errors.js';
import type { RGBAImage } from '../types.js';
import { checkImage, describe } from '../validate.js';
import { decodeImage, ENCODED_INPUTS, isEncodedInput, type EncodedInput } from './decode.js';
import { isByteStream } from './read-file.js';

/** Every input a file front (segment, sweep, applyPalette) takes: an encoded image (see EncodedInput) or RGBA pixels. */
export type ImageInput = EncodedInput | RGBAImage;

/** What a file front accepts, in words, for the message that refuses anything else. */
export const IMAGE_INPUTS = `${ENCODED_INPUTS}, or RGBA pixels { data, width, height }`;

export interface LoadedInput {
  /** The pixels: decoded, or the caller's own image as given. */
  image: RGBAImage;
  /** The input path as given, `'<buffer>'` for bytes, `'<stream>'` for a stream, `'<pixels>'` for pixels in memory. */
  name: string;
  /** The path, when the input is one: an output naming the same file is refused without `force`. */
  inputPath: string | undefined;
  /** What decoding had to say (frames left out, say); empty for pixels in memory. */
  warnings: string[];
  /** Whether the pixels were decoded here, so are nobody else's (a save may paint over them). */
  decoded: boolean;
}

/**
 * Decode an encoded input (see decodeImage), or check pixels in memory (see checkImage).
 *
 * @throws the errors of decodeImage for a path, bytes or a stream; ERR_INVALID_IMAGE for pixels that
 *   do not match their size; ERR_INVALID_OPTION, naming every accepted input, for anything else.
 */
export async function loadInput(input: ImageInput, limitInputPixels: number | false): Promise<LoadedInput> {
  if (isEncodedInput(input)) {
    const { data, width, height, warnings } = await decodeImage(input, { limitInputPixels });
    const inputPath = typeof input === 'string' ? input : undefined;
    const name = inputPath ?? (isByteStream(input) ? '<stream>' : '<buffer>');
    return { image: { data, width, height }, name, inputPath, warnings, decoded: true };
  }
  if (!(input !== null && typeof input === 'object' && 'data' in input)) {
    throw new KMeansSegError('ERR_INVALID_OPTION', `Expected ${IMAGE_INPUTS} for input but received ${describe(input)}`);
  }
  checkImage(input);
  return { image: input, name: '<pixels>', inputPath: undefined, warnings: [], decoded: false };
}
