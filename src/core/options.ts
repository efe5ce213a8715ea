import { KMeansSegError } from '../errors.js';
import { COLOR_SPACES, type ColorSpace } from './colorspace.js';
import { MAX_K, MAX_SEED, MAX_THREADS } from '../limits.js';
import { checkCallbacks, checkOptionNames, checkPlainObject, invalidOption } from '../validate.js';

export type Backend = 'auto' | 'wasm' | 'js';
export type InitMethod = 'kmeans++' | 'random';

/** Options shared by `kmeans` (pixels in memory) and `segment` (image files). */
export interface KMeansOptions {
  /** Number of clusters, an integer in [1, 65536]. Reduced (with a warning) to the number of distinct colours when the image has fewer. Default 8. */
  k?: number;
  /** Seed of the PRNG behind initialisation and restarts, an integer in [0, 2^32). Default 0. */
  seed?: number;
  /** `'kmeans++'` (greedy k-means++, as scikit-learn), `'random'` (K distinct colours drawn without replacement), or K initial centroids `[[r, g, b], ...]` in 0-255. Default `'kmeans++'`. */
  init?: InitMethod | ReadonlyArray<readonly [number, number, number] | readonly number[]>;
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
  /** Adds each pixel's position to its colour, so segments become spatially coherent (the idea of SLIC). 0 (default) clusters colour alone; at 1 the image's longer side spans as many units as one colour channel (255). Disables the histogram (every pixel is distinct), so it costs more. */
  spatialWeight?: number;
  /** Called after every assignment pass. Runs on the thread doing the work; keep it cheap. */
  onProgress?: (progress: Progress) => void;
  /** Checked after every pass: an aborted signal stops the work with ERR_ABORTED. */
  signal?: AbortSignal;
}

export interface Progress {
  /** 0-based restart index (see attempts). */
  attempt: number;
  /** 1-based assignment pass. */
  iteration: number;
  /** Inertia after this pass. */
  inertia: number;
  /** Labels changed by this pass (points: distinct colours when clustering the histogram). */
  changed: number;
}

export interface ResolvedOptions {
  k: number;
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
  onProgress: ((progress: Progress) => void) | undefined;
  signal: AbortSignal | undefined;
}


export const defaultOptions: Readonly<ResolvedOptions> = Object.freeze({
  k: 8,
  seed: 0,
  init: 'kmeans++',
  maxIterations: 300,
  tolerance: 0.01,
  attempts: 1,
  backend: 'auto',
  histogram: 'auto',
  threads: undefined,
  colorSpace: 'rgb',
  spatialWeight: 0,
  onProgress: undefined,
  signal: undefined,
});

const KNOWN = Object.keys(defaultOptions);

function integer(name: string, value: unknown, min: number, max: number, fix: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `an integer between ${min} and ${max}`, value, fix);
  }
  return value;
}

/** Validate and fill defaults. Throws KMeansSegError('ERR_INVALID_OPTION') naming the option and the fix. */
export function resolveOptions(options: KMeansOptions | undefined, extraNames: readonly string[] = []): ResolvedOptions {
  if (options === undefined) options = {};
  checkPlainObject(options, 'options', 'an object such as { k: 8 }');
  checkOptionNames(options, [...KNOWN, ...extraNames], 'kmeans-seg');
  const o = { ...defaultOptions, ...stripUndefined(options) };
  const k = integer('k', o.k, 1, MAX_K, 'pass the number of colours, e.g. k: 8');
  const seed = integer('seed', o.seed, 0, 4294967295, 'pass a whole number, e.g. seed: 42');
  const maxIterations = integer('maxIterations', o.maxIterations, 1, 1e9, 'the default is 300');
  const attempts = integer('attempts', o.attempts, 1, 10000, 'use 1 (default) to 10');
  if (typeof o.tolerance !== 'number' || !Number.isFinite(o.tolerance) || o.tolerance < 0) {
    throw invalidOption('tolerance', 'a finite number >= 0 (colour units)', o.tolerance, 'the default is 0.01; 0 runs until no label changes');
  }
  if (o.backend !== 'auto' && o.backend !== 'wasm' && o.backend !== 'js') {
    throw invalidOption('backend', "'auto', 'wasm' or 'js'", o.backend);
  }
  if (o.histogram !== 'auto' && o.histogram !== true && o.histogram !== false) {
    throw invalidOption('histogram', "'auto', true or false", o.histogram);
  }
  const threads = o.threads === undefined ? undefined : integer('threads', o.threads, 1, MAX_THREADS, 'use 1 to 32, or leave it out for every core');
  if (!COLOR_SPACES.includes(o.colorSpace)) {
    throw invalidOption('colorSpace', COLOR_SPACES.map((c) => `'${c}'`).join(', '), o.colorSpace);
  }
  if (typeof o.spatialWeight !== 'number' || !Number.isFinite(o.spatialWeight) || o.spatialWeight < 0) {
    throw invalidOption('spatialWeight', 'a finite number >= 0', o.spatialWeight, 'try 0.5 to 2; 0 clusters colour alone');
  }
  if (o.spatialWeight > 0 && o.histogram === true) {
    throw invalidOption('histogram', "'auto' or false with spatialWeight > 0 (positions make every pixel distinct)", o.histogram);
  }
  checkCallbacks(o.onProgress, o.signal);
  let init: InitMethod | number[][];
  if (o.init === 'kmeans++' || o.init === 'random') {
    init = o.init;
  } else if (Array.isArray(o.init)) {
    init = o.init.map((c: unknown, i: number) => {
      if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw invalidOption(`init[${i}]`, 'a centroid [r, g, b] of three finite numbers', c);
      }
      return c.map(Number);
    });
    if (init.length < 1 || init.length > MAX_K) {
      throw invalidOption('init', `between 1 and ${MAX_K} centroids`, o.init);
    }
    if (o.spatialWeight > 0) {
      throw invalidOption('init', "'kmeans++' or 'random' with spatialWeight > 0 (given centroids have no position)", `${init.length} centroids`);
    }
    if (options.k !== undefined && options.k !== init.length) {
      throw invalidOption('k', `${init.length} (the number of centroids given in init)`, options.k, 'leave k out when init gives the centroids');
    }
  } else {
    throw invalidOption('init', "'kmeans++', 'random' or an array of [r, g, b] centroids", o.init);
  }
  return {
    k: Array.isArray(init) ? init.length : k,
    seed, init, maxIterations, tolerance: o.tolerance, attempts: Array.isArray(init) ? 1 : attempts,
    backend: o.backend, histogram: o.histogram, threads, colorSpace: o.colorSpace, spatialWeight: o.spatialWeight, onProgress: o.onProgress, signal: o.signal,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  return out;
}
