/**
 * A region of interest: which pixels a mask lets in, the copy the run clusters (alpha 0 outside: label
 * k), the input's pixels kept to paint back outside. The caller's pixels and mask are never mutated.
 */
import { KMeansSegError } from '../errors.js';
import type { Labels, RGBAImage } from '../types.js';
import { passWanted } from './colour-labels.js';
import type { Unpainted } from './result.js';
import { describe, invalidOption } from '../validate.js';
import type { RoiOutside, RoiPixels } from './roi-dither-options.js';

/** The input's own pixels outside the mask, to paint back there ('keep'). Plain data. */
export interface KeptOutside {
  /** One bit per pixel, raster order, bit p & 7 of byte p >> 3: set inside. */
  inside: Uint8Array;
  /** The input's RGBA bytes of the outside pixels, in raster order. */
  rgba: Uint8Array;
}

/** What a run with a roi clusters, and what its output shows outside. */
export interface RoiRun {
  /** A copy of the input with alpha 0 outside the mask. */
  image: RGBAImage;
  /** Pixels inside. */
  inside: number;
  /** Set for roiOutside 'keep'. */
  kept: KeptOutside | null;
}

const isPixels = (v: unknown): v is RoiPixels => typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer);

/**
 * The shape of a `roi` value, before any image is read: pixels with 1 to 4 bytes each (their size
 * is checked against the image's later, see roiRun), or a path or encoded bytes for the Node side.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the value.
 */
export function checkRoiMask(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    if (value === '') throw invalidOption(name, 'a PNG path, its bytes or pixels { data, width, height }', value, 'pass the mask file');
    return;
  }
  if (value instanceof ArrayBuffer || value instanceof Uint8Array) {
    if (value.byteLength === 0) throw invalidOption(name, 'the bytes of a PNG mask', value, 'the bytes are empty');
    return;
  }
  if (!isPixels(value)) throw invalidOption(name, 'a mask: pixels { data, width, height }, or in Node a PNG path or its bytes', value);
  const { data, width, height } = value as RoiPixels;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw invalidOption(`${name}.width and ${name}.height`, 'positive integers', `${describe(width)} x ${describe(height)}`);
  }
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw invalidOption(`${name}.data`, 'a Uint8Array or Uint8ClampedArray', data, 'pass the mask\'s bytes: RGBA, grey and alpha, or grey');
  }
  const per = data.length / (width * height);
  if (![1, 2, 3, 4].includes(per)) {
    throw invalidOption(`${name}.data`, `${width * height}, ${width * height * 2}, ${width * height * 3} or ${width * height * 4} bytes (1 to 4 a pixel for ${width} x ${height})`, data);
  }
}

/**
 * One bit per pixel, set inside: alpha >= 128 when the mask has alpha (2 or 4 bytes a pixel, and
 * some alpha below 255: a fully opaque alpha says nothing), else grey >= 128 (the mean of r, g and b
 * for a colour mask). Returns the bits and how many are set.
 */
export function insideBits(mask: RoiPixels): { bits: Uint8Array; inside: number } {
  const { data, width, height } = mask;
  const pixels = width * height, per = data.length / pixels;
  const bits = new Uint8Array((pixels + 7) >>> 3);
  let useAlpha = false;
  if (per === 2 || per === 4) for (let o = per - 1; o < data.length; o += per) if (data[o]! < 255) { useAlpha = true; break; }
  let inside = 0;
  for (let p = 0, o = 0; p < pixels; p++, o += per) {
    const yes = useAlpha ? data[o + per - 1]! >= 128
      : per < 3 ? data[o]! >= 128
      : data[o]! + data[o + 1]! + data[o + 2]! >= 384; // mean >= 128
    if (yes) { bits[p >>> 3]! |= 1 << (p & 7); inside++; }
  }
  return { bits, inside };
}

/**
 * The image a run with `roi` clusters: a copy with alpha 0 outside. null without a roi.
 * @throws {KMeansSegError} ERR_INVALID_OPTION when the roi is a path or bytes (only the Node side
 * reads files), is not the image's size (both sizes named), or has no pixel inside.
 */
export function roiRun(image: RGBAImage, roi: unknown, outside: RoiOutside, signal?: AbortSignal): RoiRun | null {
  if (roi === undefined) return null;
  if (!isPixels(roi)) {
    throw invalidOption('roi', 'pixels { data, width, height } for kmeans()', roi, 'segment() and the CLI read a PNG path or bytes; kmeans() and the browser take the decoded pixels');
  }
  const { width, height } = image;
  if (roi.width !== width || roi.height !== height) {
    throw new KMeansSegError('ERR_INVALID_OPTION',
      `The roi mask is ${roi.width} x ${roi.height} but the image is ${width} x ${height}: pass a mask of the image's size (resize or crop the mask with the image)`);
  }
  const { bits, inside } = insideBits(roi);
  if (inside === 0) {
    throw new KMeansSegError('ERR_INVALID_OPTION', `The roi mask (${width} x ${height}) has no pixel inside: inside is alpha >= 128 when the mask has alpha, else grey >= 128; pass a mask with some white (or opaque) pixels`);
  }
  const pixels = width * height, src = image.data;
  const data = new Uint8Array(src);
  const rgba = outside === 'keep' ? new Uint8Array((pixels - inside) * 4) : null;
  for (let y = 0, p = 0, i = 0; y < height; y++) {
    if (y % 256 === 0) checkAbort(signal, y, height); // between slices of rows
    for (const end = p + width; p < end; p++) {
      if ((bits[p >>> 3]! >>> (p & 7)) & 1) continue;
      const o = p * 4;
      data[o + 3] = 0;
      if (rgba !== null) { rgba[i] = src[o]!; rgba[i + 1] = src[o + 1]!; rgba[i + 2] = src[o + 2]!; rgba[i + 3] = src[o + 3]!; i += 4; }
    }
  }
  const masked = { data, width, height };
  passWanted(image, masked); // the quality figures of the run's caller: over the inside pixels
  return { image: masked, inside, kept: rgba === null ? null : { inside: bits, rgba } };
}

/**
 * The run on the masked copy, finished for its input: with roiOutside 'keep' the output paints the
 * input's pixels outside, with the input's alpha, so it has alpha only when the input has.
 */
export function finishRoi(run: Unpainted, input: RGBAImage, roi: RoiRun): Unpainted {
  if (roi.kept === null) return run;
  const alpha = keptAlpha(input);
  return { ...run, alpha, roi: roi.kept, result: { ...run.result, hasAlpha: alpha !== null } };
}

function checkAbort(signal: AbortSignal | undefined, y: number, height: number): void {
  if (signal?.aborted) {
    throw new KMeansSegError('ERR_ABORTED', `Aborted while applying the roi, at row ${y} of ${height}: the signal passed as options.signal was aborted`, { cause: signal.reason });
  }
}

/** The alpha bytes of the input when some is below 255, else null: what a 'keep' output paints with. */
export function keptAlpha(image: RGBAImage): Uint8Array | null {
  const { data } = image;
  let translucent = false;
  for (let o = 3; o < data.length; o += 4) if (data[o] !== 255) { translucent = true; break; }
  if (!translucent) return null;
  const alpha = new Uint8Array(data.length >>> 2);
  for (let p = 0; p < alpha.length; p++) alpha[p] = data[p * 4 + 3]!;
  return alpha;
}

/** Paint the kept input pixels back outside the mask, over painted pixels of 3 (RGB) or 4 (RGBA) bytes. */
export function paintOutside(out: Uint8Array | Uint8ClampedArray, channels: 3 | 4, kept: KeptOutside): void {
  const { inside, rgba } = kept;
  const pixels = out.length / channels;
  for (let p = 0, i = 0; p < pixels; p++) {
    if ((inside[p >>> 3]! >>> (p & 7)) & 1) continue;
    const o = p * channels;
    out[o] = rgba[i]!; out[o + 1] = rgba[i + 1]!; out[o + 2] = rgba[i + 2]!;
    if (channels === 4) out[o + 3] = rgba[i + 3]!;
    i += 4;
  }
}

// The kept pixels of each result, keyed by its labels (the one array a result and its copies share),
// so that painters given only the result (paintOver) paint them back too.
const keptByLabels = new WeakMap<Labels, KeptOutside>();

/** Remember `kept` for the result whose labels are `labels` (result.ts does, as it makes the painters). */
export function keepOutside(labels: Labels, kept: KeptOutside): void {
  keptByLabels.set(labels, kept);
}

/** The kept outside pixels of the result whose labels are `labels`: set when its roiOutside is 'keep'. */
export function keptOutside(labels: Labels): KeptOutside | undefined {
  return keptByLabels.get(labels);
}

/**
 * The image the quality figures compare with: the input with alpha 0 outside the roi, so only the
 * inside pixels count; the input itself without a roi.
 */
export function roiQualityImage(image: RGBAImage, roi: unknown): RGBAImage {
  return roi === undefined ? image : roiRun(image, roi, 'transparent')!.image;
}
