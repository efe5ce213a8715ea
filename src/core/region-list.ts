/**
 * result.regions(): the regions' plain data (regions.ts) as the public objects, made once, on the first
 * call. Small and free of the scan, so that the browser's page bundle can carry it.
 */
import { KMeansSegError } from '../errors.js';
import type { ClusterExtent, Region, Regions } from '../types.js';
import type { Connectivity } from './options.js';

/**
 * The regions as plain data (typed arrays: it crosses threads), one entry per region in each array, as
 * regions.ts finds them. Declared here so that the page bundle needs nothing of the scan.
 */
export interface RegionData {
  width: number;
  height: number;
  connectivity: Connectivity;
  /** The minRegion applied (0: none) and the regions it merged away. */
  minRegion: number;
  merged: number;
  count: number;
  /**
   * The region map as runs (a row's stretch of one region), far smaller than one id per pixel: run i
   * of row y covers columns x0[i] to x1[i] - 1 and belongs to region[i] (-1: transparent pixels).
   * Runs of row y are rowStart[y] to rowStart[y + 1] - 1. regionMap() makes the map of them.
   */
  runs: { x0: Uint32Array; x1: Uint32Array; region: Int32Array; rowStart: Uint32Array };
  cluster: Uint32Array;
  /** x0, y0, x1, y1 (inclusive) per region. */
  bbox: Uint32Array;
  /**
   * STATS numbers per region, side by side so that a run updates one cache line: the area, the sums of
   * the pixels' x and y, and of the input's r, g and b (integers all: exact in f64).
   */
  stats: Float64Array;
}

/** Numbers per region in RegionData.stats, and their offsets. */
export const STATS = 6;
export const AREA = 0, SUM_R = 3;

/**
 * The `regions()` method of a result: the regions made from `data` on the first call and the same object
 * after; without data (the run did not compute them) it throws.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the options that compute them.
 */
export function regionsMethod(data: RegionData | null, k: number): () => Regions {
  let made: Regions | undefined;
  return () => {
    if (data === null) {
      throw new KMeansSegError('ERR_INVALID_OPTION',
        'The regions were not computed in this run: for result.regions(), pass regions: true (or minRegion) in its options; ' +
        "each region's mean colour is read from the pixels, which the result does not keep");
    }
    made ??= regionList(data, k);
    return made;
  };
}

/** The regions of `data`, and the extent of each of the `k` clusters. */
export function regionList(data: RegionData, k: number): Regions {
  const { count, bbox, stats, cluster } = data;
  const regions: Region[] = new Array(count);
  const clusters: ClusterExtent[] = Array.from({ length: k }, (_, j) => ({ cluster: j, area: 0, regions: 0, bbox: null }));
  const extent = new Float64Array(k * 4).fill(-1);
  for (let i = 0; i < count; i++) {
    const s = i * STATS, n = stats[s]!, b = i * 4, j = cluster[i]!;
    regions[i] = {
      id: i, cluster: j, area: n,
      bbox: [bbox[b]!, bbox[b + 1]!, bbox[b + 2]! - bbox[b]! + 1, bbox[b + 3]! - bbox[b + 1]! + 1],
      centroid: [stats[s + 1]! / n, stats[s + 2]! / n],
      color: [Math.round(stats[s + 3]! / n), Math.round(stats[s + 4]! / n), Math.round(stats[s + 5]! / n)],
    };
    const e = clusters[j]!;
    e.area += n;
    e.regions++;
    const x = j * 4;
    if (extent[x] === -1) extent.set(bbox.subarray(b, b + 4), x);
    else {
      extent[x] = Math.min(extent[x]!, bbox[b]!); extent[x + 1] = Math.min(extent[x + 1]!, bbox[b + 1]!);
      extent[x + 2] = Math.max(extent[x + 2]!, bbox[b + 2]!); extent[x + 3] = Math.max(extent[x + 3]!, bbox[b + 3]!);
    }
  }
  for (let j = 0; j < k; j++) {
    const x = j * 4;
    if (extent[x] !== -1) clusters[j]!.bbox = [extent[x]!, extent[x + 1]!, extent[x + 2]! - extent[x]! + 1, extent[x + 3]! - extent[x + 1]! + 1];
  }
  let map: Uint16Array | Uint32Array | undefined;
  return {
    connectivity: data.connectivity, minRegion: data.minRegion, merged: data.merged, regions, clusters,
    // Made on first use: the map is the largest part by far, and most callers read only the list.
    get map() { return (map ??= regionMap(data)); },
  };
}

/** Each pixel's region id, row-major; fully transparent pixels get `count`. 16 bits while that fits. */
export function regionMap(data: RegionData): Uint16Array | Uint32Array {
  const { width, height, count } = data;
  const { x0, x1, region, rowStart } = data.runs;
  const map = count <= 0xffff ? new Uint16Array(width * height) : new Uint32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let i = rowStart[y]!; i < rowStart[y + 1]!; i++) {
      const id = region[i]!, v = id < 0 ? count : id;
      // A loop, not fill(): runs are short (about 9 pixels in a photo) and a call costs more.
      for (let p = row + x0[i]!, end = row + x1[i]!; p < end; p++) map[p] = v;
    }
  }
  return map;
}
