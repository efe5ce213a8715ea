/**
 * The regions as JSON (`--regions regions.json`) and the overlay that outlines every region. Invariant:
 * the JSON's regions are result.regions().regions, in id order, one per line.
 */
import { KMeansSegError } from '../errors.js';
import { encodeImage } from '../io/encode.js';
import { checkOutputPath, type WriteOptions } from '../io/output-path.js';
import { writeOutputFile } from '../io/output-set.js';
import type { Region, RGBAImage } from '../types.js';
import { checkHelperOptions, checkImage, invalidOption, WRITE_OPTIONS } from '../validate.js';
import { regionsOfResult, type WithRegions } from './region-map.js';

/** Centroids in the JSON are rounded to this many decimals (the API keeps them whole). */
const DECIMALS = 3;

/**
 * The regions as JSON: `{ width, height, connectivity, minRegion, merged, count, regions: [{ id, cluster,
 * area, bbox, centroid, color }], clusters: [{ cluster, area, regions, bbox }] }`, each region on one line.
 * `bbox` is `[x, y, width, height]`; `centroid` `[x, y]`, rounded to 3 decimals; `color` the mean sRGB.
 * @throws ERR_INVALID_OPTION for a result without regions.
 */
export function regionsJSON(result: WithRegions): string {
  const g = regionsOfResult(result);
  const round = (v: number): number => Math.round(v * 10 ** DECIMALS) / 10 ** DECIMALS;
  const region = (r: Region): string =>
    `    {"id":${r.id},"cluster":${r.cluster},"area":${r.area},"bbox":[${r.bbox.join(',')}],"centroid":[${round(r.centroid[0])},${round(r.centroid[1])}],"color":[${r.color.join(',')}]}`;
  const lines = [
    '{',
    `  "width": ${result.width}, "height": ${result.height}, "connectivity": ${g.connectivity}, "minRegion": ${g.minRegion}, "merged": ${g.merged}, "count": ${g.regions.length},`,
    '  "regions": [',
    g.regions.map(region).join(',\n'),
    '  ],',
    '  "clusters": [',
    g.clusters.map((c) => `    ${JSON.stringify(c)}`).join(',\n'),
    '  ]',
    '}',
  ];
  return lines.filter((l) => l !== '').join('\n') + '\n';
}

/**
 * Write the regions JSON (see regionsJSON) to `file`, which must end in .json; atomically.
 * @throws the errors of checkOutputPath and regionsJSON; ERR_WRITE when the file cannot be written.
 */
export async function saveRegions(result: WithRegions, file: string, options: WriteOptions = {}): Promise<void> {
  const text = regionsJSON(result);
  checkHelperOptions(options, WRITE_OPTIONS, 'saveRegions', '{ force: true }');
  await checkOutputPath(file, { ...options, extensions: ['.json'], what: 'regions file' });
  await writeOutputFile(file, Buffer.from(text, 'utf8'));
}

export interface RegionOverlayOptions {
  /** Outline colour [r, g, b], 0-255. Default [255, 255, 0]. */
  color?: readonly [number, number, number] | readonly number[];
}

/**
 * The original with every region outlined on its own inside edge: a region's pixel is drawn when one of
 * its neighbours (4 or 8, as the regions were joined) lies in another region or is transparent. Each
 * region, even a one-pixel one, gets a closed outline, and a border between two regions is drawn on both
 * sides. Segment borders (overlayBorders) fall where labels change, which is where regions meet too,
 * but one pixel wide on one side only, so a small region can vanish under its neighbour's line.
 * @throws ERR_INVALID_IMAGE when the original is no image or not the result's size; ERR_INVALID_OPTION
 *   for a result without regions or a bad `color`.
 */
export function overlayRegions(original: RGBAImage, result: WithRegions, options: RegionOverlayOptions = {}): Uint8ClampedArray {
  checkImage(original, { expected: 'the original, an image { data, width, height },' });
  const g = regionsOfResult(result);
  checkHelperOptions(options, ['color'], 'overlayRegions', '{ color: [255, 255, 0] }');
  const { width, height } = result;
  if (original.width !== width || original.height !== height) {
    throw new KMeansSegError('ERR_INVALID_IMAGE',
      `The original is ${original.width} x ${original.height} but the result is ${width} x ${height}: pass the image the result was computed from`);
  }
  const color = options.color ?? [255, 255, 0];
  if (!Array.isArray(color) || color.length !== 3 || !color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw invalidOption('color', 'three integers 0-255, e.g. [255, 255, 0]', color);
  }
  const { map } = g;
  const none = g.regions.length, eight = g.connectivity === 8, w = width;
  const out = Uint8ClampedArray.from(original.data);
  for (let y = 0, p = 0; y < height; y++) {
    const up = y > 0, down = y + 1 < height;
    for (let x = 0; x < width; x++, p++) {
      const id = map[p]!;
      if (id === none) continue;
      const left = x > 0, right = x + 1 < width;
      const edge = (left && map[p - 1] !== id) || (right && map[p + 1] !== id) || (up && map[p - w] !== id) || (down && map[p + w] !== id) ||
        (eight && ((up && ((left && map[p - w - 1] !== id) || (right && map[p - w + 1] !== id))) ||
          (down && ((left && map[p + w - 1] !== id) || (right && map[p + w + 1] !== id)))));
      if (edge) { out[p * 4] = color[0]!; out[p * 4 + 1] = color[1]!; out[p * 4 + 2] = color[2]!; out[p * 4 + 3] = 255; }
    }
  }
  return out;
}

/**
 * Outline the regions (see overlayRegions) and write the image; the format follows the extension.
 * @throws the errors of overlayRegions and encodeImage.
 */
export async function saveRegionOverlay(original: RGBAImage, result: WithRegions, file: string, options: WriteOptions & RegionOverlayOptions = {}): Promise<void> {
  checkHelperOptions(options, [...WRITE_OPTIONS, 'color'], 'saveRegionOverlay', '{ force: true, color: [255, 255, 0] }');
  const pixels = overlayRegions(original, result, { color: options.color });
  await encodeImage(pixels, result.width, result.height, file, { force: options.force === true, inputPath: options.inputPath });
}
