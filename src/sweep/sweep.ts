// A K sweep: one image segmented for each of several K (each an ordinary kmeans run with the same
// options and seed), measured, and saved as a contact sheet and two charts. Invariant: each entry is
// exactly the result kmeans gives for that K alone, and every option is checked before any work.
import path from 'node:path';
import { costChartSVG, distortionChartSVG, svgToPNG, type ChartOptions } from './charts.js';
import { contactSheet, type SheetOptions, type SheetTile } from './contact-sheet.js';
import { findKnee, type Knee } from './knee.js';
import { KMeansSegError } from '../errors.js';
import { resolveLimitInputPixels } from '../io/decode.js';
import { encodePixels } from '../io/encode.js';
import { loadInput, type ImageInput } from '../io/load-input.js';
import { checkOutputPath, type OutputFormat, type WriteOptions } from '../io/output-path.js';
import { OutputSet } from '../io/output-set.js';
import { resolveWorker, runKMeans, WORKER_OPTIONS, type WorkerOption } from '../node/kmeans.js';
import { withPainters } from '../core/result.js';
import { resolveOptions, type InitMethod, type KMeansOptions } from '../core/options.js';
import type { Quality } from '../core/quality.js';
import { nameInput } from '../segment.js';
import type { KMeansResult, RGBAImage } from '../types.js';
import { MAX_K } from '../limits.js';
import { invalidOption, checkPlainObject, quote } from '../validate.js';

export interface SweepOptions extends Omit<KMeansOptions, 'k' | 'init'>, WorkerOption {
  /** The K values to try: distinct integers in [1, 65536], in any order (they are sorted). Required. */
  ks: readonly number[];
  /** `'kmeans++'`, `'random'` or `'random-colours'` (explicit centroids would fix K). Default `'kmeans++'`. */
  init?: InitMethod;
  /** For a path or bytes: refuse images with more pixels (decompression bombs). A positive integer, or false. Default 268402689. */
  limitInputPixels?: number | false;
}

export interface SweepEntry {
  /** The K asked for. */
  k: number;
  /** The result; `result.k` is smaller than `k` when the image has fewer distinct colours (see its warnings). */
  result: KMeansResult;
  /** PSNR and ΔE (OKLab x 100) of the result against the original (see qualityOf). */
  quality: Quality;
}

export interface SweepResult {
  /** The input path as given, `'<buffer>'` for bytes, `'<stream>'` for a stream, `'<pixels>'` for pixels in memory. */
  input: string;
  width: number;
  height: number;
  /** The original pixels (RGBA). */
  image: RGBAImage;
  /** One entry per K, ascending. */
  entries: SweepEntry[];
  /** The knee of inertia against K (Kneedle, see findKnee), or null with fewer than 3 Ks or no bend. */
  knee: Knee | null;
  /** What decoding the file had to say (e.g. that only the first frame of an animation was used); each result has its own warnings too. */
  warnings: string[];
  /** Milliseconds: decoding, and the whole sweep. */
  timings: { decode: number; total: number };
  /** The original and each result in a labelled grid (RGBA pixels; write them with encodeImage). */
  contactSheet(options?: SheetOptions): Promise<RGBAImage>;
  /** Inertia against K with the knee marked, as SVG text (svgToPNG renders it). */
  distortionChart(options?: ChartOptions): string;
  /** Inertia after each iteration, one line per K, as SVG text. */
  costChart(options?: ChartOptions): string;
  /** The numbers, as `kmeans-seg sweep --json` prints them. */
  toJSON(): SweepSummary;
  /** Write the contact sheet and both charts (SVG and PNG); see saveSweep. */
  save(sheet: string, options?: SaveSweepOptions): Promise<SweepFiles>;
}

/** Where a sweep's figures go. */
export interface SweepFiles {
  sheet: string;
  distortionSvg: string;
  distortionPng: string;
  costSvg: string;
  costPng: string;
}

export interface SaveSweepOptions extends WriteOptions, SheetOptions {
  /** Distortion chart, written as <distortion>.svg and .png (a .svg or .png given is dropped first). Default: <sheet without extension>-distortion. */
  distortion?: string;
  /** Cost-per-iteration chart, as <cost>.svg and .png. Default: <sheet without extension>-cost. */
  cost?: string;
}

export interface SweepSummary {
  input: string;
  width: number;
  height: number;
  ks: number[];
  knee: number | null;
  /** Decoding warnings (see SweepResult.warnings). */
  warnings: string[];
  results: {
    k: number;
    /** Clusters actually used. */
    kUsed: number;
    inertia: number;
    iterations: number;
    converged: boolean;
    /** Inertia after each iteration. */
    history: number[];
    /** dB; null when the result equals the original (PSNR is then infinite). */
    psnr: number | null;
    deltaE: Quality['deltaE'];
    palette: { hex: string; count: number; share: number }[];
    warnings: string[];
    ms: number;
  }[];
}

const SWEEP_ONLY = ['ks', 'limitInputPixels', ...WORKER_OPTIONS];

/**
 * Validate a list of K: a non-empty array of distinct integers in [1, 65536]. Returns it sorted.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the bad entry.
 */
export function checkKs(ks: unknown): number[] {
  if (!Array.isArray(ks) || ks.length === 0) {
    throw invalidOption('ks', 'a non-empty array of K values such as [2, 4, 8, 16]', ks);
  }
  ks.forEach((k: unknown, i) => {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_K) {
      throw invalidOption(`ks[${i}]`, `an integer between 1 and ${MAX_K}`, k);
    }
  });
  const sorted = [...(ks as number[])].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw invalidOption('ks', 'distinct K values', ks, `${sorted[i]} is listed twice`);
  }
  return sorted;
}

/**
 * Segment one image for each K and measure each result.
 *
 * @example
 * const s = await sweep('photo.jpg', { ks: [1, 2, 3, 4, 10, 32, 64], seed: 1 });
 * s.knee?.k;                 // 10
 * await s.save('sheet.png'); // sheet.png, sheet-distortion.svg/.png, sheet-cost.svg/.png
 * const svg = s.costChart(); // or take the SVG text, or s.contactSheet() pixels, yourself
 *
 * @throws {KMeansSegError} before any work: ERR_INVALID_OPTION for a bad option, K list or input
 * type; ERR_INVALID_IMAGE for bad pixels. Reading a path or bytes: ERR_INPUT_NOT_FOUND,
 * ERR_INPUT_NOT_FILE, ERR_READ, ERR_DECODE, ERR_TOO_LARGE. Then kmeans' ERR_BACKEND, ERR_ABORTED
 * and ERR_TOO_LARGE (named after the input file).
 */
export async function sweep(input: ImageInput, options: SweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const { ks, limit, kmeansOptions } = checkSweepOptions(options);
  const loaded = await loadInput(input, limit);
  const { name, inputPath, warnings } = loaded;
  let image = loaded.image;
  const decode = performance.now() - t0;

  const entries: SweepEntry[] = [];
  for (const k of ks) {
    let entry: SweepEntry;
    try {
      // Each K's run and its quality figures on a job worker (see node/kmeans.ts); decoded pixels are
      // copied there once, then moved there and back.
      const run = await runKMeans(image, { ...kmeansOptions, k }, { own: loaded.decoded, quality: true });
      image = run.image;
      entry = { k, result: withPainters(run.unpainted), quality: run.quality! };
    } catch (error) {
      throw nameInput(error, input); // pixels in memory are named as the core names them
    }
    entries.push(entry);
  }
  const knee = findKnee(ks, entries.map((e) => e.result.inertia));
  const timings = { decode, total: performance.now() - t0 };
  return sweepResult({ input: name, image, entries, knee, warnings, timings }, ks, inputPath);
}

interface CheckedSweep {
  ks: number[];
  limit: number | false;
  /** The options every K's kmeans run shares. */
  kmeansOptions: Omit<SweepOptions, 'ks' | 'limitInputPixels'>;
}

/** Every option is checked before any work: the list, the shared options, the pixel limit. */
function checkSweepOptions(options: SweepOptions): CheckedSweep {
  checkPlainObject(options, 'options', 'an object such as { ks: [2, 4, 8] }');
  const { ks: ksOption, limitInputPixels, ...kmeansOptions } = options;
  if ('k' in kmeansOptions && (kmeansOptions as { k?: unknown }).k !== undefined) {
    throw invalidOption('k', 'no k in a sweep', (kmeansOptions as { k?: unknown }).k, 'list the values in ks, e.g. ks: [2, 4, 8]');
  }
  if (kmeansOptions.init !== undefined && !['kmeans++', 'random', 'random-colours'].includes(kmeansOptions.init as string)) {
    throw invalidOption('init', "'kmeans++', 'random' or 'random-colours' (explicit centroids would fix K)", kmeansOptions.init);
  }
  const ks = checkKs(ksOption);
  resolveOptions(kmeansOptions, SWEEP_ONLY);
  resolveWorker(kmeansOptions.worker);
  const limit = resolveLimitInputPixels(limitInputPixels);
  return { ks, limit, kmeansOptions };
}

/** What a sweep measured, before the methods that draw and save it are attached. */
type SweepFields = Pick<SweepResult, 'input' | 'image' | 'entries' | 'knee' | 'warnings' | 'timings'>;

/** The result object: the measurements, and methods that draw (lazily) and save them. */
function sweepResult(fields: SweepFields, ks: number[], inputPath: string | undefined): SweepResult {
  const { input, image, entries, knee, warnings, timings } = fields;
  const { width, height } = image;
  const result: SweepResult = {
    input, width, height, image, entries, knee, warnings, timings,
    contactSheet: (sheetOptions) => contactSheet(sheetTiles(image, entries), sheetOptions),
    distortionChart: (chartOptions) => distortionChartSVG(entries.map((e) => ({ k: e.k, inertia: e.result.inertia })), knee, chartOptions),
    costChart: (chartOptions) => costChartSVG(entries.map((e) => ({ k: e.k, history: e.result.history })), chartOptions),
    toJSON: () => sweepSummary(fields, ks),
    save: (sheet, saveOptions) => saveSweep(result, sheet, { inputPath, ...saveOptions }),
  };
  return result;
}

/** The original, then each result captioned with its K (and the clusters used, when fewer). */
function sheetTiles(image: RGBAImage, entries: readonly SweepEntry[]): SheetTile[] {
  const { width, height } = image;
  return [
    { label: 'original', image },
    ...entries.map((e) => ({
      label: e.result.k === e.k ? `K = ${e.k}` : `K = ${e.k} (${e.result.k} used)`,
      image: { data: e.result.toRGBA(), width, height },
      nearest: true,
    })),
  ];
}

/** The numbers, as `kmeans-seg sweep --json` prints them. */
function sweepSummary({ input, image, entries, knee, warnings }: SweepFields, ks: number[]): SweepSummary {
  return {
    input, width: image.width, height: image.height, ks, knee: knee?.k ?? null, warnings,
    results: entries.map(({ k, result, quality }) => ({
      k, kUsed: result.k, inertia: result.inertia, iterations: result.iterations, converged: result.converged,
      history: result.history,
      psnr: Number.isFinite(quality.psnr) ? quality.psnr : null,
      deltaE: quality.deltaE,
      palette: result.palette.map(({ hex, count, share }) => ({ hex, count, share })),
      warnings: result.warnings,
      ms: Math.round(result.timings.total * 100) / 100,
    })),
  };
}

/**
 * The five files a sweep writes: the sheet as given, and each chart as .svg and .png, named from
 * `distortion` / `cost` or else from the sheet ("out/sheet.png" -> "out/sheet-distortion.svg", ...).
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION for an empty sheet path, or when two of the files would be the same file.
 */
export function sweepFiles(sheet: string, options: { distortion?: string; cost?: string } = {}): SweepFiles {
  if (typeof sheet !== 'string' || sheet === '') throw invalidOption('sheet', 'a file path such as "sheet.png"', sheet);
  checkPlainObject(options, 'options', "an object such as { distortion: 'd.svg' }");
  const base = (file: string): string => {
    const ext = path.extname(file).toLowerCase();
    return ext === '.svg' || ext === '.png' ? file.slice(0, file.length - ext.length) : file;
  };
  const stem = sheet.slice(0, sheet.length - path.extname(sheet).length);
  const distortion = base(options.distortion || `${stem}-distortion`);
  const cost = base(options.cost || `${stem}-cost`);
  const files = { sheet, distortionSvg: `${distortion}.svg`, distortionPng: `${distortion}.png`, costSvg: `${cost}.svg`, costPng: `${cost}.png` };
  const seen = new Map<string, string>();
  for (const [name, file] of Object.entries(files)) {
    const other = seen.get(path.resolve(file));
    if (other !== undefined) {
      throw new KMeansSegError('ERR_INVALID_OPTION', `Two outputs of the sweep would both be ${quote(file)} (${other} and ${name}): give --distortion and --cost (distortion, cost) different names`);
    }
    seen.set(path.resolve(file), name);
  }
  return files;
}

/**
 * Check, before any work, that every file of a sweep can be written (see checkOutputPath), and plan
 * each in `set` (see OutputSet.plan: no two on one file, however spelled; writable folders). Returns
 * the sheet's format.
 *
 * @throws {KMeansSegError} ERR_OUTPUT_FORMAT, ERR_OUTPUT_DIR, ERR_OUTPUT_EXISTS or ERR_WRITE naming
 * the file; ERR_INVALID_OPTION when two of them are one file.
 */
export async function checkSweepFiles(files: SweepFiles, options: WriteOptions = {}, set = new OutputSet()): Promise<OutputFormat> {
  await set.reserve(files.sheet, 'contact sheet');
  for (const file of [files.distortionSvg, files.distortionPng]) await set.reserve(file, 'distortion chart');
  for (const file of [files.costSvg, files.costPng]) await set.reserve(file, 'cost chart');
  const format = await checkOutputPath(files.sheet, options);
  await checkOutputPath(files.distortionSvg, { ...options, extensions: ['.svg'], what: 'distortion chart' });
  await checkOutputPath(files.distortionPng, { ...options, extensions: ['.png'], what: 'distortion chart' });
  await checkOutputPath(files.costSvg, { ...options, extensions: ['.svg'], what: 'cost chart' });
  await checkOutputPath(files.costPng, { ...options, extensions: ['.png'], what: 'cost chart' });
  await set.checkFolders();
  return format;
}

/**
 * Write a sweep's contact sheet (format from its extension: .png, .jpg, .webp) and its two charts,
 * each as SVG and as PNG rendered by sharp. All or nothing: every path is checked, and every file
 * written to a temporary file, before the first is renamed into place (see OutputSet). Returns the paths.
 *
 * @throws {KMeansSegError} before the first write: those of sweepFiles and checkSweepFiles,
 * ERR_INVALID_OPTION for bad sheet options, ERR_OUTPUT_FORMAT for a sheet too large for its format,
 * ERR_WRITE when a file cannot be written.
 */
export async function saveSweep(result: SweepResult, sheet: string, options: SaveSweepOptions = {}): Promise<SweepFiles> {
  if (typeof result?.contactSheet !== 'function') throw invalidOption('result', 'what sweep() returned', result, 'pass the result of await sweep(input, { ks })');
  const files = sweepFiles(sheet, options);
  const set = new OutputSet();
  const format = await checkSweepFiles(files, { force: options.force === true, inputPath: options.inputPath }, set);
  const picture = await result.contactSheet({ columns: options.columns, tileWidth: options.tileWidth, padding: options.padding, labelHeight: options.labelHeight });
  await set.run(async () => {
    await set.stage(files.sheet, await encodePixels(picture.data, picture.width, picture.height, format, files.sheet));
    for (const [svg, svgFile, pngFile] of [
      [result.distortionChart(), files.distortionSvg, files.distortionPng],
      [result.costChart(), files.costSvg, files.costPng],
    ] as const) {
      await set.stage(svgFile, Buffer.from(svg, 'utf8'));
      await set.stage(pngFile, await svgToPNG(svg));
    }
  });
  return files;
}
