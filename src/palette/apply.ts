/**
 * Applying a fixed palette to other images (K-means' "predict"): one assignment pass of the kmeans
 * kernel over the image's exact colour histogram, with the palette as centroids. Invariant: f32
 * distances, ties to the lower index, the same labels on every backend.
 */
import { fromSrgb, type ColorSpace } from '../core/colorspace.js';
import { buildHistogram } from '../core/histogram.js';
import { resolveOptions, type Backend, type KMeansOptions } from '../core/options.js';
import { alphaOf, hasAlpha, hexOf, paintRGBA } from '../core/paint.js';
import { histogramPoints } from '../core/points.js';
import { pixelLabels } from '../core/result.js';
import { resolveLimitInputPixels } from '../io/decode.js';
import { encodeImage, encodePixels } from '../io/encode.js';
import { loadInput, type ImageInput } from '../io/load-input.js';
import type { SaveOptions } from '../io/output-path.js';
import { resolveBufferOptions, type BufferOptions } from '../segment.js';
import { getKernel, type KernelChoice } from '../kernel/select.js';
import { availableThreads } from '../platform.js';
import type { Labels, PaletteEntry, RGBAImage } from '../types.js';
import { checkOptionNames, checkPlainObject } from '../validate.js';
import { resolveWorker, type WorkerOption } from '../node/kmeans.js';
import { assignOffThread } from '../node/apply-job.js';
import { checkPalette, readPalette, type Palette, type PaletteSource } from './parse.js';
import { ditherLabels, type DitherSettings } from '../core/dither.js';
import type { ResolvedRoiDither } from '../core/roi-dither-options.js';
import { keptAlpha, paintOutside, roiRun } from '../core/roi.js';
import { loadRoi } from '../io/roi-file.js';

export interface ApplyOptions extends WorkerOption, Pick<KMeansOptions, 'dither' | 'serpentine' | 'ditherStrength' | 'roi' | 'roiOutside'> {
  /** Space the nearest colour is measured in: 'rgb', 'linear-rgb', 'lab' or 'oklab' (see kmeans). Default: the palette's own `colorSpace` when it has one (a kmeans or segment result does, and so does the palette JSON), else 'rgb'. */
  colorSpace?: ColorSpace;
  /** `'auto'`, `'wasm'` or `'js'`: the same labels, different speed. Default `'auto'`. */
  backend?: Backend;
  /** Threads for the wasm kernel, 1-32; the labels do not depend on it. Default: every core (small images use one). */
  threads?: number;
  /** For a path or bytes: refuse images with more pixels (decompression bombs). A positive integer, or false. Default 268402689. */
  limitInputPixels?: number | false;
}

export interface ApplyResult {
  width: number;
  height: number;
  /** Colours in the palette. */
  k: number;
  /** The palette as given, with this image's pixel count and share for each colour. */
  palette: PaletteEntry[];
  /** One label per pixel (an index into `palette`), row-major; fully transparent pixels get `k`. */
  labels: Labels;
  /** Sum over opaque pixels of the squared distance to their palette colour, in the space's units (each pixel's cost floored to 1/256). */
  inertia: number;
  colorSpace: ColorSpace;
  /**
   * True when the palette carried its exact centroids in this colour space (a kmeans or segment
   * result does, and so does the JSON kmeans-seg --palette writes) and they were used: the labels are
   * then exactly those of the K-means run that made the palette (without spatialWeight, whose
   * positions a palette leaves out, and before minRegion merged any region). False: the sRGB colours
   * were converted to the space.
   */
  exactCentroids: boolean;
  /** What ran the kernel. */
  backend: 'wasm' | 'js';
  /** Duplicate palette colours, for instance. */
  warnings: string[];
  /** The input path as given, `'<buffer>'` for bytes, `'<stream>'` for a stream, `'<pixels>'` for pixels in memory. */
  input: string;
  /** Milliseconds per stage. */
  timings: { decode: number; histogram: number; assign: number; total: number };
  /** The image painted with the palette, alpha kept. A new RGBA array each call. */
  toRGBA(): Uint8ClampedArray;
  /** Write the painted image (.png, .jpg/.jpeg, .webp). Refuses an existing file, or the input, unless `force`. */
  save(outPath: string, options?: SaveOptions): Promise<void>;
  /** The painted image's file bytes: 'png' (default), 'webp' or 'jpeg', as save() would write them. */
  toBuffer(options?: BufferOptions): Promise<Buffer>;
}


const APPLY_OPTIONS = ['colorSpace', 'backend', 'threads', 'limitInputPixels', 'worker', 'dither', 'serpentine', 'ditherStrength', 'roi', 'roiOutside'] as const;

export interface ResolvedApply extends Pick<ResolvedRoiDither, 'dither' | 'serpentine' | 'ditherStrength' | 'roi' | 'roiOutside'> {
  colorSpace: ColorSpace | undefined;
  backend: Backend;
  threads: number | undefined;
  limitInputPixels: number | false;
  /** Run on a job worker (see WorkerOption). */
  worker: boolean;
}

function resolveApplyOptions(options: ApplyOptions | undefined): ResolvedApply {
  if (options === undefined) options = {};
  checkPlainObject(options, 'options', "an object such as { colorSpace: 'oklab' }");
  checkOptionNames(options, APPLY_OPTIONS, 'applyPalette');
  // The shared checks (and messages) of kmeans' options for the three that mean the same here.
  const { dither, serpentine, ditherStrength, roi, roiOutside } = options; // and dithering's and the roi's, which map pixels alike
  const { colorSpace, backend, threads, ...d } = resolveOptions({ colorSpace: options.colorSpace, backend: options.backend, threads: options.threads, dither, serpentine, ditherStrength, roi, roiOutside });
  return {
    colorSpace: options.colorSpace === undefined ? undefined : colorSpace, backend, threads, dither: d.dither, serpentine: d.serpentine, ditherStrength: d.ditherStrength,
    roi: d.roi, roiOutside: d.roiOutside,
    limitInputPixels: resolveLimitInputPixels(options.limitInputPixels),
    worker: resolveWorker(options.worker),
  };
}

/**
 * Assign the pixels of an image (a path, encoded bytes, a stream of them, or RGBA pixels in memory) to the nearest
 * colour of a fixed palette. When the palette carries its exact centroids for the colour space (the
 * JSON of `kmeans-seg --palette` does), those are the kernel's centroids, and applying a palette to
 * the image it came from gives back that run's labels exactly. Otherwise the sRGB colours enter the
 * space as `init` centroids do in `kmeans` (converted in f64, then rounded to f32): the labels are
 * those of the first pass of `kmeans(image, { init: colours, colorSpace })`.
 *
 * @example
 * const result = await applyPalette('frame-0042.png', 'palette.json', { colorSpace: 'oklab' });
 * await result.save('out/frame-0042.png');
 *
 * @throws ERR_INVALID_OPTION for bad options or a bad palette in memory; the errors of readPalette for
 *   a palette file; those of decodeImage for a path, bytes or a stream; ERR_INVALID_IMAGE for bad pixels;
 *   ERR_BACKEND when the backend asked for cannot run.
 */
export async function applyPalette(input: ImageInput, palette: PaletteSource, options?: ApplyOptions): Promise<ApplyResult> {
  const t0 = performance.now();
  const opts = resolveApplyOptions(options);
  // The palette (possibly a file) is checked before the image is read: a bad palette fails fast.
  const checked = typeof palette === 'string' ? await readPalette(palette) : checkPalette(palette);
  opts.roi = await loadRoi(opts.roi, opts.limitInputPixels); // a mask file, decoded before the image
  const { image, name, inputPath } = await loadInput(input, opts.limitInputPixels);
  const decode = performance.now() - t0;
  // On a job worker by default (node/apply-job.ts): the assignment and painting leave the event loop free.
  const result = opts.worker ? await assignOffThread(image, checked, opts) : await assignResolved(image, checked, opts);
  result.timings.decode = decode;
  result.timings.total = performance.now() - t0;
  return {
    ...result,
    input: name,
    save: (outPath, saveOptions = {}) =>
      encodeImage(result.toRGBA(), result.width, result.height, outPath, { force: saveOptions.force === true, inputPath }),
    toBuffer: async (bufferOptions) => {
      const { format, png } = resolveBufferOptions(bufferOptions, 'auto');
      return encodePixels(result.toRGBA(), result.width, result.height, format, `the ${format.toUpperCase()} buffer`, { pngColors: png });
    },
  };
}

/** The assignment with resolved options on this thread, as the job worker runs it too; `threads` when the options do not say. */
export async function assignResolved(image: RGBAImage, palette: Palette, opts: ResolvedApply, threads?: number): Promise<Assignment> {
  const choice = await getKernel(opts.backend, opts.threads ?? threads ?? availableThreads());
  return assignPalette(image, palette, opts.colorSpace ?? palette.colorSpace ?? 'rgb', choice, opts);
}

/** ApplyResult before the calling thread adds its input's name and the writers. */
export type Assignment = Omit<ApplyResult, 'input' | 'save' | 'toBuffer'>;

/**
 * The whole job on a kernel already chosen, synchronously (like runKMeans): `image` must have been
 * checked (checkImage) and `palette` validated (checkPalette, readPalette).
 */
export function assignPalette(input: RGBAImage, palette: Palette, colorSpace: ColorSpace, choice: KernelChoice, mapping?: PixelMapping): Assignment {
  const t0 = performance.now();
  // A roi: only its inside is assigned (a copy with alpha 0 outside: label k); 'keep' paints the input back there.
  const roi = roiRun(input, mapping?.roi, mapping?.roiOutside ?? 'keep');
  const image = roi?.image ?? input;
  const { width, height, data } = image;
  const pixels = width * height;
  const colours = palette.palette.map((p) => p.rgb);
  const k = colours.length;
  const exactCentroids = palette.centroids !== undefined && palette.colorSpace === colorSpace;
  const centroids = exactCentroids
    ? Float32Array.from(palette.centroids!.flat())
    : Float32Array.from(colours.flatMap((c) => fromSrgb(colorSpace, c[0], c[1], c[2])));
  const { labels, counts, inertiaQ, opaque, t1 } = assignPixels(image, centroids, k, colorSpace, choice);
  // Dithering rewrites the labels and their counts; the inertia stays the nearest mapping's.
  const dithered = mapping === undefined ? null : ditherLabels(image, labels, colours, colorSpace, mapping);
  if (dithered !== null) counts.set(dithered);
  const t2 = performance.now();
  const entries: PaletteEntry[] = colours.map((rgb, j) => ({
    rgb: [rgb[0], rgb[1], rgb[2]], hex: hexOf(rgb), count: counts[j]!, share: opaque > 0 ? counts[j]! / opaque : 0,
  }));
  const alpha = roi?.kept ? keptAlpha(input) : hasAlpha(data, pixels) ? alphaOf(data, pixels) : null;
  // Painted from the checked palette, not from `entries`: a caller who edits the result's palette
  // does not change the picture.
  const paint = palette.palette;
  return {
    width, height, k, palette: entries, labels, inertia: inertiaQ / 256, colorSpace, exactCentroids, backend: choice.kernel.name,
    warnings: duplicateWarnings(centroids, colours),
    timings: { decode: 0, histogram: t1 - t0, assign: t2 - t1, total: t2 - t0 },
    toRGBA() {
      const out = new Uint8ClampedArray(pixels * 4);
      paintRGBA(new Uint8Array(out.buffer), labels, paint, k, alpha);
      if (roi?.kept) paintOutside(out, 4, roi.kept);
      return out;
    },
  };
}

/** How assignPalette maps pixels beyond the nearest colour: dithering, and a roi as pixels (loadRoi). */
export type PixelMapping = DitherSettings & Partial<Pick<ResolvedRoiDither, 'roi' | 'roiOutside'>>;

interface Assigned {
  labels: Labels;
  /** Pixels per palette colour. */
  counts: Float64Array;
  /** The pass's inertia in 1/256 units. */
  inertiaQ: number;
  /** Pixels with alpha > 0. */
  opaque: number;
  /** When the histogram's points were ready (performance.now()). */
  t1: number;
}

/** The image's colour histogram, one assignment pass over its colours, and each pixel's label from its colour's. */
function assignPixels(image: RGBAImage, centroids: Float32Array, k: number, colorSpace: ColorSpace, { kernel, threads }: KernelChoice): Assigned {
  const pixels = image.width * image.height;
  const hist = buildHistogram(image.data, pixels);
  const counts = new Float64Array(k);
  let inertiaQ = 0;
  try {
    const points = histogramPoints(hist, colorSpace);
    const t1 = performance.now();
    let pointLabels: Uint16Array = new Uint16Array(0);
    if (hist.n > 0) { // an image with no opaque pixel has nothing to assign: every label is k
      const session = kernel.open(points, k, threads);
      try {
        inertiaQ = session.assign(centroids).inertiaQ;
        for (let j = 0; j < k; j++) counts[j] = session.sums[j * 4 + 3]!;
        pointLabels = session.takeLabels(); // a copy where the labels live in the kernel's memory
      } finally {
        session.dispose();
      }
    }
    const labels = pixelLabels(image, k, pointLabels, hist, hist.opaque < pixels);
    return { labels, counts, inertiaQ, opaque: hist.opaque, t1 };
  } finally {
    hist.release();
  }
}

/**
 * Two equal centroids: the second never wins a pixel (ties go to the lower index). Compared as the
 * kernel sees them, so two exact centroids that round to the same hex are not duplicates.
 */
function duplicateWarnings(centroids: Float32Array, colours: readonly (readonly number[])[]): string[] {
  const first = new Map<string, number>();
  const warnings: string[] = [];
  for (let j = 0; j < colours.length; j++) {
    const key = `${centroids[j * 3]},${centroids[j * 3 + 1]},${centroids[j * 3 + 2]}`;
    const i = first.get(key);
    if (i === undefined) first.set(key, j);
    else warnings.push(`palette colours ${i} and ${j} are both ${hexOf(colours[j]!)}: colour ${j} gets no pixels (ties go to the lower index)`);
  }
  return warnings;
}
