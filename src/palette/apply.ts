/**
 * Apply a fixed palette to other images (K-means' "predict"): every pixel goes to its nearest palette
 * colour, so the frames of a video or the photos of a batch share one set of colours. The work is one
 * assignment pass of the same kernel as `kmeans`, over the image's exact colour histogram, with the
 * palette as centroids: f32 distances, ties to the lower index, identical on every backend.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { getKernel, type KernelChoice } from '../kernel/select.js';
import { COLOR_SPACES, fromSrgb, type ColorSpace } from '../core/colorspace.js';
import { KMeansSegError } from '../errors.js';
import { buildHistogram, histogramPoints } from '../core/histogram.js';
import { decodeImage, encodeImage, resolveLimitInputPixels } from '../io/image-io.js';
import { resolveOptions, type Backend } from '../core/options.js';
import { availableThreads } from '../platform.js';
import { pixelLabels } from '../core/result.js';
import type { SaveOptions } from '../segment.js';
import type { Labels, PaletteEntry, RGBAImage } from '../types.js';
import { MAX_K } from '../limits.js';
import { MAX_PALETTE } from '../limits.js';
import { describe, invalidOption, checkImage, checkOptionNames, checkPlainObject } from '../validate.js';

/** One colour: `'#rrggbb'`, `[r, g, b]` (integers 0-255), or an object with `hex` and/or `rgb` (as in a result's palette). */
export type PaletteColour = string | readonly number[] | { readonly hex?: string; readonly rgb?: readonly number[] };

/**
 * A palette: a file written by `kmeans-seg --palette FILE` (JSON, or GIMP `.gpl`), an array of
 * colours, or an object with a `palette` array (a `kmeans`/`segment` result, the palette JSON, or a
 * Palette as readPalette returns it).
 */
export type PaletteSource =
  | string
  | readonly PaletteColour[]
  | { readonly palette: readonly PaletteColour[]; readonly colorSpace?: ColorSpace; readonly centroids?: readonly (readonly number[])[] };

/** A checked palette (readPalette, checkPalette). */
export interface Palette {
  /** The colours as 8-bit sRGB: what the pixels are painted with. */
  palette: PaletteEntry[];
  /** The space the palette was clustered in, when it says so (the JSON of kmeans-seg --palette does). */
  colorSpace?: ColorSpace;
  /** The exact centroids in `colorSpace`, one [x, y, z] per colour, when it has them (the JSON of kmeans-seg --palette does). */
  centroids?: number[][];
}

export interface ApplyOptions {
  /** Space the nearest colour is measured in: 'rgb', 'linear-rgb', 'lab' or 'oklab' (see kmeans). Default: the palette's own `colorSpace` when it has one, else 'rgb'. */
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
   * True when the palette carried its exact centroids in this colour space (kmeans-seg --palette
   * writes them) and they were used: the labels are then exactly those of the K-means run that made
   * the palette. False: the sRGB colours were converted to the space.
   */
  exactCentroids: boolean;
  /** What ran the kernel. */
  backend: 'wasm' | 'js';
  /** Duplicate palette colours, for instance. */
  warnings: string[];
  /** The input path as given, `'<buffer>'` for bytes, `'<pixels>'` for pixels in memory. */
  input: string;
  /** Milliseconds per stage. */
  timings: { decode: number; histogram: number; assign: number; total: number };
  /** The image painted with the palette, alpha kept. A new RGBA array each call. */
  toRGBA(): Uint8ClampedArray;
  /** Write the painted image (.png, .jpg/.jpeg, .webp). Refuses an existing file, or the input, unless `force`. */
  save(outPath: string, options?: SaveOptions): Promise<void>;
}


const APPLY_OPTIONS = ['colorSpace', 'backend', 'threads', 'limitInputPixels'] as const;

interface ResolvedApply {
  colorSpace: ColorSpace | undefined;
  backend: Backend;
  threads: number | undefined;
  limitInputPixels: number | false;
}

function resolveApplyOptions(options: ApplyOptions | undefined): ResolvedApply {
  if (options === undefined) options = {};
  checkPlainObject(options, 'options', "an object such as { colorSpace: 'oklab' }");
  checkOptionNames(options, APPLY_OPTIONS, 'applyPalette');
  // The shared checks (and messages) of kmeans' options for the three that mean the same here.
  const { colorSpace, backend, threads } = resolveOptions({ colorSpace: options.colorSpace, backend: options.backend, threads: options.threads });
  return {
    colorSpace: options.colorSpace === undefined ? undefined : colorSpace, backend, threads,
    limitInputPixels: resolveLimitInputPixels(options.limitInputPixels),
  };
}

/**
 * Assign the pixels of an image (a path, encoded bytes, or RGBA pixels in memory) to the nearest
 * colour of a fixed palette. When the palette carries its exact centroids for the colour space (the
 * JSON of `kmeans-seg --palette` does), those are the kernel's centroids, and applying a palette to
 * the image it came from gives back that run's labels exactly. Otherwise the sRGB colours enter the
 * space as `init` centroids do in `kmeans` (converted in f64, then rounded to f32): the labels are
 * those of the first pass of `kmeans(image, { init: colours, colorSpace })`.
 *
 * @example
 * const result = await applyPalette('frame-0042.png', 'palette.json', { colorSpace: 'oklab' });
 * await result.save('out/frame-0042.png');
 */
export async function applyPalette(input: string | Uint8Array | RGBAImage, palette: PaletteSource, options?: ApplyOptions): Promise<ApplyResult> {
  const t0 = performance.now();
  const opts = resolveApplyOptions(options);
  // The palette (possibly a file) is checked before the image is read: a bad palette fails fast.
  const checked = typeof palette === 'string' ? await readPalette(palette) : checkPalette(palette);
  let image: RGBAImage;
  let inputName: string;
  let inputPath: string | undefined;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    image = await decodeImage(input, { limitInputPixels: opts.limitInputPixels });
    inputPath = typeof input === 'string' ? input : undefined;
    inputName = inputPath ?? '<buffer>';
  } else {
    checkImage(input);
    image = input;
    inputName = '<pixels>';
  }
  const decode = performance.now() - t0;
  const choice = await getKernel(opts.backend, opts.threads ?? availableThreads());
  const result = assignPalette(image, checked, opts.colorSpace ?? checked.colorSpace ?? 'rgb', choice);
  result.timings.decode = decode;
  result.timings.total = performance.now() - t0;
  return {
    ...result,
    input: inputName,
    save: (outPath, saveOptions = {}) =>
      encodeImage(result.toRGBA(), result.width, result.height, outPath, { force: saveOptions.force === true, inputPath }),
  };
}

/**
 * The whole job on a kernel already chosen, synchronously (like runKMeans): `image` must have been
 * checked (checkImage) and `palette` validated (checkPalette, readPalette).
 */
export function assignPalette(image: RGBAImage, palette: Palette, colorSpace: ColorSpace, { kernel, threads }: KernelChoice): Omit<ApplyResult, 'input' | 'save'> {
  const t0 = performance.now();
  const { width, height, data } = image;
  const pixels = width * height;
  const colours = palette.palette.map((p) => p.rgb);
  const k = colours.length;
  const exactCentroids = palette.centroids !== undefined && palette.colorSpace === colorSpace;
  const centroids = exactCentroids
    ? Float32Array.from(palette.centroids!.flat())
    : Float32Array.from(colours.flatMap((c) => fromSrgb(colorSpace, c[0], c[1], c[2])));
  const hist = buildHistogram(data, pixels);
  let labels: Labels;
  const counts = new Float64Array(k);
  let inertiaQ = 0;
  let t1: number;
  try {
    const points = histogramPoints(hist, colorSpace);
    t1 = performance.now();
    let pointLabels = new Uint16Array(0);
    if (hist.n > 0) { // an image with no opaque pixel has nothing to assign: every label is k
      const session = kernel.open(points, k, threads);
      try {
        inertiaQ = session.assign(centroids).inertiaQ;
        pointLabels = session.labels.slice(); // the wasm view belongs to the kernel's memory
        for (let j = 0; j < k; j++) counts[j] = session.sums[j * 4 + 3]!;
      } finally {
        session.dispose();
      }
    }
    labels = pixelLabels(image, k, pointLabels, hist, hist.opaque < pixels);
  } finally {
    hist.release();
  }
  const t2 = performance.now();
  const total = hist.opaque;
  const entries: PaletteEntry[] = colours.map((rgb, j) => ({
    rgb: [rgb[0], rgb[1], rgb[2]], hex: toHex(rgb), count: counts[j]!, share: total > 0 ? counts[j]! / total : 0,
  }));
  let alpha: Uint8Array | null = null;
  for (let p = 0; p < pixels; p++) {
    if (data[p * 4 + 3] !== 255) {
      alpha = new Uint8Array(pixels);
      for (let q = 0; q < pixels; q++) alpha[q] = data[q * 4 + 3]!;
      break;
    }
  }
  const finalLabels = labels;
  return {
    width, height, k, palette: entries, labels: finalLabels, inertia: inertiaQ / 256, colorSpace, exactCentroids, backend: kernel.name,
    warnings: duplicateWarnings(centroids, colours),
    timings: { decode: 0, histogram: t1 - t0, assign: t2 - t1, total: t2 - t0 },
    toRGBA() {
      const out = new Uint8ClampedArray(pixels * 4);
      for (let p = 0; p < pixels; p++) {
        const l = finalLabels[p]!;
        if (l >= k) continue; // fully transparent: stays all zero
        const c = colours[l]!;
        out[p * 4] = c[0]; out[p * 4 + 1] = c[1]; out[p * 4 + 2] = c[2]; out[p * 4 + 3] = alpha ? alpha[p]! : 255;
      }
      return out;
    },
  };
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
    else warnings.push(`palette colours ${i} and ${j} are both ${toHex(colours[j]!)}: colour ${j} gets no pixels (ties go to the lower index)`);
  }
  return warnings;
}

const toHex = (c: readonly number[]): string => '#' + c.slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('');

/** Where a palette came from, for messages, and the error to raise about it. */
interface Origin {
  /** Set for a file: 'Palette file "p.json"'. Absent for a palette in memory (the `palette` argument). */
  file?: string;
  fail(message: string): KMeansSegError;
}

/**
 * Validate a palette in memory: an array of colours, or an object with a `palette` array (and
 * optionally `colorSpace` and `centroids`, as the palette JSON has). Throws ERR_INVALID_OPTION.
 */
export function checkPalette(value: unknown): Palette {
  return paletteFromValue(value, { fail: (message) => new KMeansSegError('ERR_INVALID_OPTION', message) });
}

/**
 * Entries are named by their JSON path: `palette[2].hex` for the argument, `Palette file "p.json",
 * entry [2].hex` (or `entry palette[2].hex` inside an object) for a file.
 */
function paletteFromValue(value: unknown, origin: Origin): Palette {
  const { file, fail } = origin;
  let list: unknown = value;
  let listPath = file ? '' : 'palette';
  let extra: { colorSpace?: unknown; centroids?: unknown } = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const whole = file ?? 'The palette';
    if (!('palette' in value)) {
      throw fail(`${whole} is an object without a "palette" array: expected an array of colours such as ["#1173b0", "#bb4b57"], or { "palette": [...] } as kmeans-seg --palette writes`);
    }
    list = (value as { palette: unknown }).palette;
    extra = value as typeof extra;
    listPath = file ? 'palette' : 'palette.palette';
  }
  const where = (p: string): string => (file ? (p ? `${file}, entry ${p}` : file) : p);
  if (!Array.isArray(list)) {
    throw fail(`Expected an array of colours for ${where(listPath)} but received ${describe(list)}: pass ["#rrggbb", ...], [[r, g, b], ...] or the JSON that kmeans-seg --palette writes`);
  }
  if (list.length === 0) {
    throw fail(`${where(listPath)} is empty: a palette needs at least one colour, e.g. ["#000000", "#ffffff"]`);
  }
  if (list.length > MAX_PALETTE) {
    throw fail(`${where(listPath)} has ${list.length} colours, more than ${MAX_PALETTE}: use fewer colours`);
  }
  const palette = entriesOf(list.map((entry: unknown, i) => colourOf(entry, where(`${listPath}[${i}]`), fail)));
  const out: Palette = { palette };
  const base = file ? '' : 'palette.';
  if (extra.colorSpace !== undefined) {
    if (!COLOR_SPACES.includes(extra.colorSpace as ColorSpace)) {
      throw fail(`Expected ${COLOR_SPACES.map((c) => `"${c}"`).join(', ')} for ${where(`${base}colorSpace`)} but received ${describe(extra.colorSpace)}`);
    }
    out.colorSpace = extra.colorSpace as ColorSpace;
  }
  if (extra.centroids !== undefined) {
    const c = extra.centroids;
    if (!Array.isArray(c) || c.length !== palette.length) {
      throw fail(`Expected ${palette.length} centroids (one per colour) for ${where(`${base}centroids`)} but received ${describe(c)}: fix the file, or drop "centroids" to use the colours`);
    }
    out.centroids = c.map((v: unknown, i) => {
      if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw fail(`Expected [x, y, z], three finite numbers, for ${where(`${base}centroids[${i}]`)} but received ${describe(v)}`);
      }
      return [v[0], v[1], v[2]];
    });
    // Centroids without their space cannot be placed: they are used only where the space is known.
    if (out.colorSpace === undefined) delete out.centroids;
  }
  return out;
}

function entriesOf(colours: [number, number, number][]): PaletteEntry[] {
  return colours.map((rgb) => ({ rgb, hex: toHex(rgb), count: 0, share: 0 }));
}
function colourOf(entry: unknown, where: string, fail: Origin['fail']): [number, number, number] {
  if (typeof entry === 'string') return parseHex(entry, where, fail);
  if (Array.isArray(entry)) return parseRgb(entry, where, fail);
  if (entry !== null && typeof entry === 'object') {
    const { hex, rgb } = entry as { hex?: unknown; rgb?: unknown };
    const fromHex = hex === undefined ? undefined : parseHex(hex, `${where}.hex`, fail);
    const fromRgb = rgb === undefined ? undefined : parseRgb(rgb, `${where}.rgb`, fail);
    if (fromHex && fromRgb && fromHex.some((v, d) => v !== fromRgb[d])) {
      throw fail(`${where} has hex ${JSON.stringify(hex)} but rgb [${fromRgb.join(', ')}] (${toHex(fromRgb)}): they must name the same colour; fix or drop one of them`);
    }
    const colour = fromHex ?? fromRgb;
    if (colour) return colour;
    throw fail(`${where} has neither "hex" nor "rgb": give each colour as { "hex": "#rrggbb" } or { "rgb": [r, g, b] }`);
  }
  throw fail(`Expected a colour ("#rrggbb", [r, g, b] or { hex, rgb }) for ${where} but received ${describe(entry)}`);
}

function parseHex(value: unknown, where: string, fail: Origin['fail']): [number, number, number] {
  if (typeof value !== 'string' || !/^#[0-9a-f]{6}$/i.test(value)) {
    throw fail(`Expected "#rrggbb" (# and six hex digits, e.g. "#1173b0") for ${where} but received ${describe(value)}`);
  }
  const n = parseInt(value.slice(1), 16);
  return [n >>> 16, (n >>> 8) & 255, n & 255];
}

function parseRgb(value: unknown, where: string, fail: Origin['fail']): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255)) {
    const shown = Array.isArray(value) && value.length <= 4 ? `[${value.map((v) => describe(v)).join(', ')}]` : describe(value);
    throw fail(`Expected [r, g, b], three integers 0-255, for ${where} but received ${shown}`);
  }
  return [value[0], value[1], value[2]];
}

/**
 * Read a palette file: the JSON that `kmeans-seg --palette FILE` writes ({ k, colorSpace, palette:
 * [{ hex, rgb, count, share }, ...], centroids }, or just the palette array; plain "#rrggbb" strings
 * and [r, g, b] arrays are accepted as entries too), or a GIMP palette (.gpl, or any file whose first line is "GIMP Palette").
 * Throws ERR_INPUT_NOT_FOUND / ERR_INPUT_NOT_FILE when it cannot be read, ERR_PALETTE when its content
 * is not a palette; every message names the file and, where it can, the entry or line.
 */
export async function readPalette(file: string): Promise<Palette> {
  if (typeof file !== 'string' || file === '') throw invalidOption('palette', 'a palette file path such as "palette.json"', file);
  const name = `Palette file ${JSON.stringify(file)}`;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KMeansSegError('ERR_INPUT_NOT_FOUND', `${name} not found (looked for ${path.resolve(file)}): check the path; kmeans-seg <image> --palette FILE writes one`, { cause: error });
    }
    if (code === 'EISDIR') {
      throw new KMeansSegError('ERR_INPUT_NOT_FILE', `${name} is a directory: pass the palette file inside it, e.g. ${JSON.stringify(path.join(file, 'palette.json'))}`, { cause: error });
    }
    throw new KMeansSegError('ERR_INPUT_NOT_FOUND', `${name} cannot be read (${code ?? (error as Error).message}): check its permissions`, { cause: error });
  }
  return parsePalette(text, { name, gpl: path.extname(file).toLowerCase() === '.gpl' });
}

/**
 * Parse palette text (JSON or GIMP .gpl; .gpl when `gpl` is true or the text starts with "GIMP
 * Palette"). `name` starts every message, e.g. 'Palette file "p.json"'. Throws ERR_PALETTE.
 */
export function parsePalette(text: string, { name = 'The palette text', gpl = false }: { name?: string; gpl?: boolean } = {}): Palette {
  const fail = (message: string) => new KMeansSegError('ERR_PALETTE', message);
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') {
    throw fail(`${name} is empty: expected palette JSON (as kmeans-seg --palette writes) or a GIMP palette (.gpl)`);
  }
  if (gpl || /^GIMP Palette\s*(\r?\n|$)/.test(body)) return parseGpl(body, name, fail);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw fail(`${name} is not valid JSON (${(error as Error).message}): expected palette JSON such as [{ "hex": "#1173b0" }, ...] or a GIMP palette (.gpl)`);
  }
  return paletteFromValue(value, { file: name, fail });
}

function parseGpl(text: string, name: string, fail: Origin['fail']): Palette {
  const lines = text.split(/\r?\n/);
  if (lines[0]!.trim() !== 'GIMP Palette') {
    throw fail(`${name} is not a GIMP palette: its first line is ${describe(lines[0]!.trim())}, not "GIMP Palette"`);
  }
  const colours: [number, number, number][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || /^(Name|Columns):/i.test(line)) continue;
    const m = /^(\d+)\s+(\d+)\s+(\d+)(?:\s.*)?$/.exec(line);
    const rgb = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
    if (!rgb || rgb.some((v) => v > 255)) {
      throw fail(`${name}, line ${i + 1}: expected "R G B [name]" with R, G, B integers 0-255 but read ${describe(line)}`);
    }
    colours.push(rgb as [number, number, number]);
  }
  if (colours.length === 0) throw fail(`${name} has no colours: add lines "R G B name" after the "GIMP Palette" header`);
  if (colours.length > MAX_PALETTE) throw fail(`${name} has ${colours.length} colours, more than ${MAX_PALETTE}: use fewer colours`);
  return { palette: entriesOf(colours) };
}
