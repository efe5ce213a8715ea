/**
 * Connected regions of a label map, found on runs (a row's stretch of one label): union-find joins the
 * runs that touch, one pass per run gives each region's statistics. Invariant: region ids follow the
 * raster order of each region's first pixel, and the same labels and pixels give the same regions.
 */
import type { Labels, RGBAImage } from '../types.js';
import type { ColorSpace } from './colorspace.js';
import { pixelWords } from './histogram.js';
import type { Connectivity } from './options.js';
import { mergeSmallRegions } from './region-merge.js';
import { STATS, type RegionData } from './region-list.js';

export { STATS, type RegionData } from './region-list.js';

/** A row's stretches of one label, in raster order; runs of row y are rowStart[y] to rowStart[y + 1] - 1. */
export interface Runs {
  x0: Uint32Array;
  /** One past the run's last column. */
  x1: Uint32Array;
  label: Uint32Array;
  /** The sums of the input's r, g and b over the run, three per run. */
  rgb: Uint32Array;
  rowStart: Uint32Array;
  n: number;
  /** The label of transparent pixels, whose runs belong to no region. */
  none: number;
}

/** What the regions stage reads of the run's options. */
export interface RegionOptions {
  connectivity: Connectivity;
  minRegion: number;
  regions: boolean;
  colorSpace: ColorSpace;
}

/** The regions before their map: per run its region (or NONE for transparent runs), and the statistics. */
export type Found = Omit<RegionData, 'runs'> & { ids: Int32Array };

export const NONE = -1;

/**
 * The run's regions, when its options ask for them (`regions`, or `minRegion` > 1, which merges);
 * null otherwise. Merging rewrites `labels` in place: a merged region takes the label of the region
 * it joins. `none` is the label of fully transparent pixels (k), which belong to no region.
 * Synchronous, as the run around it: no abort can arrive meanwhile (the browser's ends the worker).
 */
export function regionsOfRun(image: RGBAImage, labels: Labels, none: number, opts: RegionOptions): RegionData | null {
  if (!opts.regions && opts.minRegion <= 1) return null;
  const runs = scanRuns(image, labels, none);
  let found = connect(image, runs, opts.connectivity);
  if (opts.minRegion > 1) found = mergeSmallRegions(found, runs, labels, opts.minRegion, opts.colorSpace);
  return withRuns(found, runs);
}

/** The connected regions of `labels`, unmerged (label `none`: no region). */
export function findRegions(image: RGBAImage, labels: Labels, none: number, connectivity: Connectivity): RegionData {
  const runs = scanRuns(image, labels, none);
  return withRuns(connect(image, runs, connectivity), runs);
}

/**
 * Every row cut into runs of one label (a run of `none`, transparent, is kept with that label), and the
 * colour sums of each run, in the same pass over the pixels.
 */
export function scanRuns(image: RGBAImage, labels: Labels, none: number): Runs {
  const { width, height } = image;
  const words = pixelWords(image.data, width * height);
  let cap = Math.max(16, Math.min(width * height, height * 8));
  let x0 = new Uint32Array(cap), x1 = new Uint32Array(cap), label = new Uint32Array(cap), rgb = new Uint32Array(cap * 3);
  const rowStart = new Uint32Array(height + 1);
  let n = 0;
  for (let y = 0, p = 0; y < height; y++) {
    rowStart[y] = n;
    let prev = -1, r = 0, g = 0, b = 0;
    for (let x = 0; x < width; x++, p++) {
      const l = labels[p]!, v = words[p]!;
      if (l !== prev) {
        if (n === cap) {
          cap *= 2;
          const a = new Uint32Array(cap), c = new Uint32Array(cap), d = new Uint32Array(cap), e = new Uint32Array(cap * 3);
          a.set(x0); c.set(x1); d.set(label); e.set(rgb);
          x0 = a; x1 = c; label = d; rgb = e;
        }
        if (x > 0) { x1[n - 1] = x; rgb[n * 3 - 3] = r; rgb[n * 3 - 2] = g; rgb[n * 3 - 1] = b; }
        x0[n] = x; label[n] = l; prev = l; r = 0; g = 0; b = 0;
        n++;
      }
      r += v & 255; g += (v >>> 8) & 255; b += (v >>> 16) & 255;
    }
    x1[n - 1] = width; rgb[n * 3 - 3] = r; rgb[n * 3 - 2] = g; rgb[n * 3 - 1] = b;
  }
  rowStart[height] = n;
  return { x0, x1, label, rgb, rowStart, n, none };
}

/**
 * Join the runs that touch (4: overlapping columns in adjacent rows; 8: also diagonally) and have the same
 * label, by union-find under the smaller run index: a region's first run holds its first pixel and is
 * its root, so numbering the roots in run order numbers the regions in raster order.
 */
function connect(image: RGBAImage, runs: Runs, connectivity: Connectivity): Found {
  const { x0, x1, label, rowStart, n, none } = runs;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (a: number): number => {
    while (parent[a] !== a) { parent[a] = parent[parent[a]!]!; a = parent[a]!; } // halving: parents only decrease
    return a;
  };
  const e = connectivity === 8 ? 1 : 0;
  for (let y = 1; y < image.height; y++) {
    let j = rowStart[y - 1]!;
    const aEnd = rowStart[y]!, bEnd = rowStart[y + 1]!;
    for (let b = aEnd; b < bEnd; b++) {
      const l = label[b]!;
      while (j < aEnd && x1[j]! + e <= x0[b]!) j++;
      if (l === none) continue;
      for (let t = j; t < aEnd && x0[t]! < x1[b]! + e; t++) {
        if (label[t] !== l) continue;
        const ra = find(t), rb = find(b);
        if (ra < rb) parent[rb] = ra; else if (rb < ra) parent[ra] = rb;
      }
    }
  }
  // Every parent index is below its child's, so one ascending pass numbers the roots and gives every
  // other run its root's number.
  const ids = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) ids[i] = label[i] === none ? NONE : parent[i] === i ? count++ : ids[parent[i]!]!;
  return { ...runStats(runs, ids, count), width: image.width, height: image.height, connectivity, minRegion: 0, merged: 0, ids };
}

/** Each region's cluster, bounding box and sums, one step per run. */
function runStats(runs: Runs, ids: Int32Array, count: number): Pick<Found, 'count' | 'cluster' | 'bbox' | 'stats'> {
  const { x0, x1, label, rgb, rowStart } = runs;
  const cluster = new Uint32Array(count), bbox = new Uint32Array(count * 4), stats = new Float64Array(count * STATS);
  for (let y = 0; y + 1 < rowStart.length; y++) {
    for (let i = rowStart[y]!; i < rowStart[y + 1]!; i++) {
      const id = ids[i]!;
      if (id === NONE) continue;
      const a = x0[i]!, z = x1[i]!, len = z - a, b = id * 4, s = id * STATS;
      if (stats[s] === 0) {
        // The region's first run: its top row, and the first guess at its columns.
        cluster[id] = label[i]!;
        bbox[b] = a; bbox[b + 1] = y; bbox[b + 2] = z - 1;
      } else {
        if (a < bbox[b]!) bbox[b] = a;
        if (z - 1 > bbox[b + 2]!) bbox[b + 2] = z - 1;
      }
      bbox[b + 3] = y;
      stats[s]! += len;
      stats[s + 1]! += (len * (a + z - 1)) / 2; // a + ... + (z - 1): an integer, exact
      stats[s + 2]! += len * y;
      stats[s + 3]! += rgb[i * 3]!; stats[s + 4]! += rgb[i * 3 + 1]!; stats[s + 5]! += rgb[i * 3 + 2]!;
    }
  }
  return { count, cluster, bbox, stats };
}

/** The regions with their runs, trimmed to size: the map is made of them on demand (regionMap). */
function withRuns(found: Found, runs: Runs): RegionData {
  const { ids, ...data } = found;
  const n = runs.n;
  const region = ids.length === n ? ids : ids.slice(0, n);
  return { ...data, runs: { x0: runs.x0.slice(0, n), x1: runs.x1.slice(0, n), region, rowStart: runs.rowStart } };
}
