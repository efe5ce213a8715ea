/**
 * segment(): the file front of kmeans (read, cluster, save or toBuffer) and nameInput. Invariant:
 * every option is checked before the image is read, and image errors name the input they are about.
 */
import './node/platform.js';
import { KMeansSegError } from './errors.js';
import { inputName, isEncodedInput, resolveLimitInputPixels } from './io/decode.js';
import { resolvePngColors, type PngColors } from './io/encode.js';
import { loadInput, type ImageInput } from './io/load-input.js';
import { checkOutputPath, type OutputFormat, type SaveOptions } from './io/output-path.js';
import { writeOutputFile } from './io/output-set.js';
import { loadRoi } from './io/roi-file.js';
import { keptOutside } from './core/roi.js';
import { resolveWorker, runKMeans, WORKER_OPTIONS, type WorkerOption } from './node/kmeans.js';
import { withPainters, type Unpainted } from './core/result.js';
import { encodeResult } from './node/encode-job.js';
import { clusterFile, pathInput } from './node/file-job.js';
import { resolveOptions, type KMeansOptions } from './core/options.js';
import type { KMeansResult } from './types.js';
import { checkOptionNames, checkPlainObject, invalidOption } from './validate.js';

export interface SegmentOptions extends KMeansOptions, WorkerOption {
  /** Refuse images with more pixels (width x height, read from the header before decoding): a guard against decompression bombs. A positive integer, or false for no limit. Default 268402689 (sharp's 0x3FFF x 0x3FFF). */
  limitInputPixels?: number | false;
  /** How save() writes a PNG: 'auto' (default) indexed when the image has at most 256 distinct colours, else truecolour; 'truecolour' always RGB or RGBA. The pixels are the same either way. */
  pngColors?: PngColors;
}

/** What toBuffer() encodes: the format, and for a PNG how it stores its pixels (as pngColors). */
export interface BufferOptions {
  /** 'png' (default, lossless), 'webp' (lossless) or 'jpeg' (quality 90, flattened onto white). */
  format?: OutputFormat;
  /** PNG only: 'auto' (default: the segment() option's) or 'truecolour'. */
  pngColors?: PngColors;
}

export interface SegmentResult extends KMeansResult {
  /** The input path as given, `'<buffer>'` for bytes, `'<stream>'` for a stream, `'<pixels>'` for pixels in memory. */
  input: string;
  /** Milliseconds per stage; `total` runs from the call to `segment` to its return, decoding included. */
  timings: KMeansResult['timings'] & { decode: number };
  /** Write the segmented image; the format follows the extension (.png, .jpg/.jpeg, .webp). Refuses an existing file, or the input, unless `force`. */
  save(outPath: string, options?: SaveOptions): Promise<void>;
  /** The segmented image's file bytes, as save() would write them, for an HTTP response or an object store. */
  toBuffer(options?: BufferOptions): Promise<Buffer>;
}

/**
 * Segment an image into K colours: a file path, its bytes (Buffer, Uint8Array, ArrayBuffer), a
 * Readable stream of them, or RGBA pixels `{ data, width, height }`. Animated GIF/WebP and
 * multi-page TIFF: the first frame (page) only, with a warning in `result.warnings`.
 *
 * @throws ERR_INVALID_OPTION for a bad option or input type; the errors of decodeImage; ERR_INVALID_IMAGE
 *   for bad pixels; those of kmeans, with the input's name in front of ERR_INVALID_IMAGE and ERR_TOO_LARGE.
 *   `save()` throws those of checkOutputPath and encodeSegmented, and ERR_WRITE; `toBuffer()` those of encodeSegmented.
 *
 * @example
 * const result = await segment('photo.jpg', { k: 6, seed: 42 });
 * await result.save('photo-6.png');
 * response.end(await result.toBuffer({ format: 'webp' }));
 */
export async function segment(input: ImageInput, options: SegmentOptions = {}): Promise<SegmentResult> {
  const t0 = performance.now();
  // Every option is checked before the (possibly large) image is read.
  resolveOptions(options, ['limitInputPixels', 'pngColors', ...WORKER_OPTIONS]);
  const worker = resolveWorker(options.worker);
  const { limitInputPixels, pngColors: pngOption, ...kmeansOptions } = options;
  const pngColors = resolvePngColors(pngOption);
  kmeansOptions.roi = await loadRoi(kmeansOptions.roi, resolveLimitInputPixels(limitInputPixels)); // a mask file, decoded before the image
  // A path is read and decoded on the job worker that clusters it (node/file-job.ts).
  const onWorker = worker && typeof input === 'string';
  const loaded = onWorker ? pathInput(input) : await loadInput(input, resolveLimitInputPixels(limitInputPixels));
  const { inputPath } = loaded;
  let decode = performance.now() - t0;
  let result: KMeansResult;
  let image = loaded.image;
  let unpainted: Unpainted | null = null; // kept when a job worker ran it, to encode there too
  try {
    // On a job worker by default; decoded pixels come back as the worker's copy (see node/kmeans.ts).
    const run = onWorker ? await clusterFile(input, resolveLimitInputPixels(limitInputPixels), kmeansOptions) : await runKMeans(image, kmeansOptions, { own: loaded.decoded, quality: false });
    if (run.file) { decode += run.file.decode; loaded.warnings.push(...run.file.warnings); }
    result = withPainters(run.unpainted);
    image = run.image;
    if (worker) unpainted = run.unpainted;
  } catch (error) {
    throw nameInput(error, input);
  }
  const warnings = [...loaded.warnings, ...result.warnings];
  // Decoded pixels are ours alone and unused from here: an encode reads their alpha for an indexed
  // PNG, or paints over them for a truecolour file, while the collector has not yet taken them,
  // rather than allocating a second image-sized buffer at the memory peak (which decides the largest
  // image a machine can segment). Held weakly, so a kept result does not keep them alive. A paint
  // keeps the alpha bytes of an image with alpha, and an opaque one needs none. The caller's own
  // pixels are never painted over.
  const decoded = loaded.decoded ? new WeakRef(image.data as Uint8Array) : undefined;
  const encode = (format: OutputFormat, file: string, png: PngColors): Promise<Buffer> =>
    encodeResult(unpainted, result, format, file, { pngColors: keptOutside(result.labels) ? 'truecolour' : png, original: decoded?.deref(), paintOver: decoded !== undefined });
  return {
    ...result,
    warnings,
    toRGBA: () => result.toRGBA(),
    toRGB: () => result.toRGB(),
    input: loaded.name,
    timings: { ...result.timings, decode, total: performance.now() - t0 },
    save: async (outPath, saveOptions) => {
      const force = resolveSaveOptions(saveOptions);
      const format = await checkOutputPath(outPath, { force, inputPath });
      await writeOutputFile(outPath, await encode(format, outPath, pngColors));
    },
    toBuffer: async (bufferOptions) => {
      const { format, png } = resolveBufferOptions(bufferOptions, pngColors);
      return encode(format, `the ${format.toUpperCase()} buffer`, png);
    },
  };
}

const BUFFER_FORMATS: readonly OutputFormat[] = ['png', 'webp', 'jpeg'];

/** toBuffer()'s options. @throws ERR_INVALID_OPTION naming the bad one. */
export function resolveBufferOptions(options: BufferOptions | undefined, pngDefault: PngColors): { format: OutputFormat; png: PngColors } {
  if (options === undefined) return { format: 'png', png: pngDefault };
  checkPlainObject(options, 'toBuffer options', "an object such as { format: 'webp' }");
  checkOptionNames(options, ['format', 'pngColors'], 'toBuffer()');
  const format = options.format ?? 'png';
  if (!BUFFER_FORMATS.includes(format)) throw invalidOption('format', "'png', 'webp' or 'jpeg'", format, "'jpg' is spelt 'jpeg' here");
  return { format, png: options.pngColors === undefined ? pngDefault : resolvePngColors(options.pngColors) };
}

/**
 * The core speaks of pixels; whoever decoded a file needs to hear which file an image error is about.
 * Returns ERR_INVALID_IMAGE and ERR_TOO_LARGE errors with the input's name in front (same code, the
 * original as cause), and anything else (or any error about pixels in memory) as it is. For callers that decode and cluster in two steps.
 */
export function nameInput(error: unknown, input: unknown): unknown {
  if (!(error instanceof KMeansSegError) || (error.code !== 'ERR_INVALID_IMAGE' && error.code !== 'ERR_TOO_LARGE')) return error;
  if (!isEncodedInput(input)) return error; // pixels in memory: the core's message is about them already
  const name = inputName(input);
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
