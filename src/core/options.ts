/**
 * The options' types and resolveOptions, which fills defaults and checks every option against its row
 * of core/option-table.ts: a value that passes here is valid everywhere downstream.
 */
import { type ColorSpace } from './colorspace.js';
import { MAX_K } from '../limits.js';
import { checkOptionNames, checkPlainObject, invalidOption } from '../validate.js';
import { canonicalValue, checkForeignNames, checkValue, KMEANS_OPTION_NAMES, OPTION_RULES } from './option-table.js';
import { checkRoiDither, type DitherMethod, type ResolvedRoiDither, type RoiMask, type RoiOutside } from './roi-dither-options.js';
import { checkSearchOptions, type QualityTarget } from './k-search-options.js';

export type Backend = 'auto' | 'wasm' | 'js';
export type InitMethod = 'kmeans++' | 'random' | 'random-colours';
/** Which neighbours join a region: the 4 that share an edge, or the 8 that share an edge or a corner. */
export type Connectivity = 4 | 8;

/**
 * Options shared by `kmeans` (pixels in memory) and `segment` (image files). Each one's range and default
 * are its row of core/option-table.ts (docs/options.md); test/core/options-table.test.ts holds these docs to it.
 */
export interface KMeansOptions {
  /** Number of clusters, an integer in [1, 65536]. Reduced (with a warning) to the number of distinct colours when the image has fewer. `'auto'`: the smallest K up to `maxK` that meets `target` (docs/quality-target.md). Default 8. */
  k?: number | 'auto';
  /** With `k: 'auto'`: the quality to reach, `{ maxDeltaE?, minPsnr? }` (mean ΔE OKLab x 100, PSNR in dB); both must hold when both are given. */
  target?: QualityTarget;
  /** With `k: 'auto'` (read only then): the largest K the search may choose, an integer in [1, 65536]. Default 256. */
  maxK?: number;
  /** Seed of the PRNG behind initialisation and restarts, an integer in [0, 2^32). Default 0. */
  seed?: number;
  /** `'kmeans++'` (greedy k-means++, as scikit-learn), `'random'` (the classic method: K distinct colours, each drawn with probability proportional to its pixel count, as drawing K pixels would give), `'random-colours'` (K distinct colours drawn uniformly, whatever their counts), or K initial centroids `[[r, g, b], ...]` in 0-255. scikit-learn's spelling `'k-means++'` is taken as `'kmeans++'`. Default `'kmeans++'`. */
  init?: InitMethod | 'k-means++' | ReadonlyArray<readonly [number, number, number] | readonly number[]>;
  /** Upper bound on assignment passes, an integer >= 1. Default 300. */
  maxIterations?: number;
  /** Stop when no centroid moves more than this (Euclidean, colour units: 0-255 for RGB). >= 0. Default 0.01. */
  tolerance?: number;
  /** Seeded restarts; the result with the lowest inertia is kept. Integer >= 1. Default 1. Ignored (1) when `init` gives centroids. */
  attempts?: number;
  /** `'wasm'` (SIMD WebAssembly), `'js'` (pure TypeScript) or `'auto'` (wasm when it instantiates and passes a probe). Results are identical. Default `'auto'`. */
  backend?: Backend;
  /** Cluster the distinct colours weighted by their counts instead of every pixel: same result, usually far faster. `'auto'` uses it when there are fewer distinct colours than 3/4 of the pixels. Default `'auto'`. */
  histogram?: 'auto' | boolean;
  /** Threads for the wasm kernel, 1-32. Results do not depend on it. Default: every core (small images use one). */
  threads?: number;
  /** Space to cluster in: 'rgb' (sRGB 0-255), 'linear-rgb' (linear light, 0-255), 'lab' (CIE Lab D65, L 0-100) or 'oklab' (OKLab x 100, L 0-100). `tolerance` and `centroids` are in its units; the palette is always sRGB. Default 'rgb'. */
  colorSpace?: ColorSpace;
  /** Adds each pixel's position to its colour, so segments become spatially coherent (the idea of SLIC). 0 clusters colour alone; at 1 the image's longer side spans as many units as one colour channel (255). At most 257: positions sit on a 1/256 grid in float32, exact only while spatialWeight x 255 x 256 <= 2^24. Disables the histogram (every pixel is distinct), so it costs more. Default 0. */
  spatialWeight?: number;
  /** Where every pixel is a point (spatialWeight > 0, or histogram: false): cluster a seeded sample of this many pixels, then assign every pixel to the final centroids (`result.sample` and a warning say so). Ignored, with a warning, when the run clusters the colour histogram; refused with histogram: true. 0 clusters every pixel. Default 0. */
  sample?: number;
  /** How pixels of one label join into a connected region (regions, minRegion): 8 (pixels that touch at an edge or a corner) or 4 (an edge only). Default 8. */
  connectivity?: Connectivity;
  /** Merge every connected region under this many pixels into the neighbouring region nearest in mean colour, smallest first (docs/regions.md). Rewrites the labels, the palette counts and every output; `applyPalette` still gives the labels from before. An integer >= 0; 0 and 1 merge nothing. Implies `regions`. Default 0. */
  minRegion?: number;
  /** Compute the connected regions during the run, for `result.regions()`: each region's mean colour is read from the pixels, which the result does not keep. Default false. */
  regions?: boolean;
  /** A region of interest: only the pixels inside it are clustered (docs/segments.md). Inside means alpha >= 128 when the mask has alpha (some alpha below 255), else grey >= 128. The mask must have the image's size. `kmeans` takes pixels `{ data, width, height }` (RGBA, grey and alpha, or grey bytes); `segment` also a PNG's path or bytes. Default none. */
  roi?: RoiMask;
  /** What the output shows outside the roi: `'keep'` the input's pixels, `'transparent'` alpha 0. Their label is `k` either way. Default `'keep'`. */
  roiOutside?: RoiOutside;
  /** How pixels map to the palette: `'none'` (nearest colour), `'floyd-steinberg'` (error diffusion) or `'ordered'` (an 8 x 8 Bayer pattern). The palette is the clustering's; the labels and every output are the dithered mapping. Default `'none'`. */
  dither?: DitherMethod;
  /** Floyd-Steinberg only: odd rows run right to left, which breaks up the diagonal drift of errors. Default true. */
  serpentine?: boolean;
  /** How much error (or pattern) dithering adds, 0 to 1 (pngquant's --floyd). Default 1. */
  ditherStrength?: number;
  /** Called after every assignment pass ('lloyd' stage), on the calling thread (Node's job worker posts each report back). Keep it cheap. */
  onProgress?: (progress: Progress) => void;
  /** An abort rejects with ERR_ABORTED (cause: its reason): at once while Node's job worker runs the call, else after the current pass. */
  signal?: AbortSignal;
}

/**
 * What a progress report is about. kmeans reports 'lloyd' after every assignment pass; segment adds
 * 'decode'; a CLI or a strip-by-strip run reports its own stages through the same type.
 */
export type ProgressStage = 'decode' | 'histogram' | 'init' | 'lloyd' | 'labels' | 'regions' | 'encode' | 'strips' | (string & {});

/**
 * One progress report: the stage, how far it is (`done` of `total`, in the stage's own units), and for
 * 'lloyd' the pass. For 'lloyd', `done` is the pass and `total` maxIterations: an upper bound, since
 * a run usually converges before it.
 */
export interface Progress {
  /** The stage this report is about ('lloyd' for an assignment pass). */
  stage: ProgressStage;
  /** Units of the stage done so far ('lloyd': passes of this attempt). */
  done: number;
  /** Units of the stage in all ('lloyd': maxIterations, an upper bound). */
  total: number;
  /** 0-based restart index (see attempts). */
  attempt: number;
  /** 1-based assignment pass. */
  iteration: number;
  /** Inertia after this pass. */
  inertia: number;
  /** Labels changed by this pass (points: distinct colours when clustering the histogram). */
  changed: number;
}

export interface ResolvedOptions extends ResolvedRoiDither {
  /** With a target: the search's bound (maxK). */
  k: number;
  /** Set: k is searched (k: 'auto'), up to k. */
  target: QualityTarget | undefined;
  maxK: number;
  sample: number;
  seed: number;
  init: InitMethod | number[][];
  maxIterations: number;
  tolerance: number;
  attempts: number;
  backend: Backend;
  histogram: 'auto' | boolean;
  /** undefined: every core, found at run time. */
  threads: number | undefined;
  colorSpace: ColorSpace;
  spatialWeight: number;
  connectivity: Connectivity;
  minRegion: number;
  regions: boolean;
  onProgress: ((progress: Progress) => void) | undefined;
  signal: AbortSignal | undefined;
}

/** Every option's default, in table order (its keys are the names kmeans takes). */
export const defaultOptions: Readonly<ResolvedOptions> = /* @__PURE__ */ tableDefaults();

/** Built by a call marked pure, so that bundles which never resolve options (the job worker) drop the table. */
function tableDefaults(): Readonly<ResolvedOptions> {
  return Object.freeze(Object.fromEntries(KMEANS_OPTION_NAMES.map((name) => [name, OPTION_RULES[name].default])) as unknown as ResolvedOptions);
}

/**
 * Validate and fill defaults. `extraNames`: the caller's own options, let through unchecked.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the option, the value received and the fix:
 * not an object, an unknown name (the nearest is suggested), a value outside its row's rule, or
 * options that contradict each other.
 */
export function resolveOptions(options: KMeansOptions | undefined, extraNames: readonly string[] = []): ResolvedOptions {
  if (options === undefined) options = {};
  checkPlainObject(options, 'options', 'an object such as { k: 8 }');
  checkForeignNames(options, [...KMEANS_OPTION_NAMES, ...extraNames], 'kmeans-seg'); // n_init, tol: said as ours
  checkOptionNames(options, [...KMEANS_OPTION_NAMES, ...extraNames], 'kmeans-seg');
  const o = { ...defaultOptions, ...stripUndefined(options) } as Record<string, unknown> & ResolvedOptions;
  o.init = canonicalValue(OPTION_RULES.init, o.init) as ResolvedOptions['init']; // scikit-learn's 'k-means++'
  // init last: whether it is a method or centroids decides what k and attempts mean.
  for (const name of KMEANS_OPTION_NAMES) if (name !== 'init') checkValue(name, OPTION_RULES[name], o[name]);
  if (o.spatialWeight > 0 && o.histogram === true) {
    throw invalidOption('histogram', "'auto' or false with spatialWeight > 0 (positions make every pixel distinct)", o.histogram);
  }
  checkRoiDither(o);
  checkSearchOptions(o); // k: 'auto' becomes maxK here
  const init = resolveInit(o.init, options.k, o.spatialWeight);
  // -0 (which passes every range) is stored as 0, so no result or report ever shows it.
  const resolved = Object.fromEntries(KMEANS_OPTION_NAMES.map((name) => [name, o[name] === 0 ? 0 : o[name]])) as unknown as ResolvedOptions;
  if (Array.isArray(init)) Object.assign(resolved, { k: init.length, attempts: 1 });
  return Object.assign(resolved, { init });
}

/**
 * init as a method, or as centroids: K arrays of three finite numbers that agree with k and with
 * spatialWeight (given centroids have no position).
 */
function resolveInit(init: unknown, k: unknown, spatialWeight: number): InitMethod | number[][] {
  if (!Array.isArray(init)) {
    checkValue('init', OPTION_RULES.init, init);
    return init as InitMethod;
  }
  const centroids = init.map((c: unknown, i: number) => {
    if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw invalidOption(`init[${i}]`, 'a centroid [r, g, b] of three finite numbers', c);
    }
    return c.map(Number);
  });
  if (centroids.length < 1 || centroids.length > MAX_K) {
    throw invalidOption('init', `between 1 and ${MAX_K} centroids`, init);
  }
  if (spatialWeight > 0) {
    throw invalidOption('init', "'kmeans++', 'random' or 'random-colours' with spatialWeight > 0 (given centroids have no position)", `${centroids.length} centroids`);
  }
  if (k !== undefined && k !== centroids.length) {
    throw invalidOption('k', `${centroids.length} (the number of centroids given in init)`, k, 'leave k out when init gives the centroids');
  }
  return centroids;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  return out;
}
