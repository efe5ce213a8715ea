/**
 * The shapes every environment shares: pixels in memory, a palette entry, labels and the result of
 * kmeans. Invariant: types only, no code, so that any module may import it, the browser's included.
 */
import type { ColorSpace } from './core/colorspace.js';
import type { KSearch } from './core/k-search.js';
import type { SampleInfo } from './core/sample.js';

/** One colour of the result's palette. */
export interface PaletteEntry {
  /** The centroid as 8-bit sRGB, rounded and clipped to 0-255. */
  rgb: [number, number, number];
  /** `#rrggbb`. */
  hex: string;
  /** Pixels assigned to this colour. */
  count: number;
  /** count / clustered pixels (transparent pixels excluded), in [0, 1]. */
  share: number;
}

/** Per-pixel labels: the narrowest array that holds k (and the transparent label k). */
export type Labels = Uint8Array | Uint16Array | Uint32Array;

export interface KMeansResult {
  width: number;
  height: number;
  /** Clusters actually used: the requested k, or fewer when the image has fewer distinct colours (see warnings). */
  k: number;
  palette: PaletteEntry[];
  /** One label per pixel, row-major. Fully transparent pixels get the label `k` (one past the last cluster). Uint8Array when every label fits in 8 bits, else Uint16Array (Uint32Array only for k = 65536 with transparent pixels). */
  labels: Labels;
  /** Final centroids in the clustering space (float32 values), one [x, y, z] per cluster ([x, y, z, u, v] with spatialWeight). */
  centroids: number[][];
  /** The space the run clustered in, whose units `centroids` are in: `applyPalette(image, result)` measures in it too, and so gives back these labels exactly. */
  colorSpace: ColorSpace;
  /** Sum over clustered pixels of the squared distance to their centroid (in units of 1/256). */
  inertia: number;
  /** Assignment passes run, the last one included. */
  iterations: number;
  /** True when it stopped because no label changed or no centroid moved more than `tolerance`. */
  converged: boolean;
  /** Inertia after each assignment pass: the cost per iteration. */
  history: number[];
  warnings: string[];
  /** What ran the distance-and-assign kernel. */
  backend: 'wasm' | 'js';
  /** Threads the passes ran on: small inputs stay on one, whatever `threads` allowed. */
  threads: number;
  /** Which of the `attempts` was kept (0-based). */
  attempt: number;
  /** Milliseconds spent per stage. */
  timings: { histogram: number; init: number; lloyd: number; total: number; /** Finding (and merging) the regions, when the run computed them. */ regions?: number };
  /** The segmented image: every pixel painted with its cluster's colour, alpha kept. A new RGBA array each call. */
  toRGBA(): Uint8ClampedArray;
  /** Whether any pixel of the input had alpha below 255 (then only toRGBA() keeps the whole image). */
  hasAlpha: boolean;
  /** The segmented image as RGB, 3 bytes a pixel (fully transparent pixels black): a quarter less memory than toRGBA() for opaque images. */
  toRGB(): Uint8ClampedArray;
  /** The `minRegion` applied, 0 for none. When above 1, `labels`, the palette's counts and every output are those after merging the smaller regions; `centroids`, `inertia` and `history` are the clustering's, from before. */
  minRegion: number;
  /** Regions merged away by `minRegion` (0 without it). */
  mergedRegions: number;
  /** With `k: 'auto'`: the K chosen (also `k`), whether it meets the target, and the figures at every K tried (docs/quality-target.md). */
  kSearch?: KSearch;
  /** With `sample`: the points clustered and the points in all; absent for an exact run. A warning says it too. */
  sample?: SampleInfo;
  /**
   * The connected regions of the labels (docs/regions.md), computed during the run: pass `regions: true`
   * (or `minRegion`). The same object on every call.
   * @throws {KMeansSegError} ERR_INVALID_OPTION when the run did not compute them.
   */
  regions(): Regions;
}

/** One connected region: pixels of one label, joined through their 4 or 8 neighbours. */
export interface Region {
  /** 0, 1, ...: in the raster order of each region's first pixel (top row first, left to right). */
  id: number;
  /** Its label: the palette entry it is painted with. */
  cluster: number;
  /** Pixels. */
  area: number;
  /** The smallest rectangle holding it, `[x, y, width, height]` in pixels (as COCO writes a bbox). */
  bbox: [number, number, number, number];
  /** The mean position of its pixels, `[x, y]` (pixel (0, 0) is the top left one). */
  centroid: [number, number];
  /** The mean sRGB colour of its pixels in the input, rounded: 0-255 each. */
  color: [number, number, number];
}

/** One cluster's extent over the image: its pixels, its regions and their bounding box. */
export interface ClusterExtent {
  cluster: number;
  area: number;
  regions: number;
  /** `[x, y, width, height]`, or null for a cluster with no pixel. */
  bbox: [number, number, number, number] | null;
}

/** What `result.regions()` returns. */
export interface Regions {
  connectivity: 4 | 8;
  /** As on the result: the minRegion applied, 0 for none, and the regions it merged away. */
  minRegion: number;
  merged: number;
  /** Every region, in id order. */
  regions: Region[];
  /** One entry per cluster, in label order. */
  clusters: ClusterExtent[];
  /** Each pixel's region id, row-major; fully transparent pixels get `regions.length`. Uint16Array while that fits in 16 bits. */
  map: Uint16Array | Uint32Array;
}

/** Pixels in memory: RGBA bytes, row-major, width * height * 4 long. */
export interface RGBAImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** What the outputs of a result need: its size, its k, and its labels. */
export type Labelled = Pick<KMeansResult, 'width' | 'height' | 'k' | 'labels'>;
