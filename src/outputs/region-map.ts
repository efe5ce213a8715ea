/**
 * The region-id map as a file: a 16-bit grayscale PNG while every id fits, else raw little-endian u32.
 * Invariant: each pixel's value is its region id, unscaled (transparent pixels: the region count), so a
 * reader gets `result.regions().map` back exactly.
 */
import path from 'node:path';
import { LITTLE_ENDIAN } from '../core/histogram.js';
import { KMeansSegError } from '../errors.js';
import { checkEncodable } from '../io/encode.js';
import { checkOutputPath, type WriteOptions } from '../io/output-path.js';
import { writeOutputFile } from '../io/output-set.js';
import { loadSharp } from '../io/sharp.js';
import type { KMeansResult, Regions } from '../types.js';
import { checkHelperOptions, checkInteger, invalidOption, quote, WRITE_OPTIONS } from '../validate.js';

/** What the region outputs read of a result: its size and its regions. */
export type WithRegions = Pick<KMeansResult, 'width' | 'height' | 'regions'>;

/** The extensions a region map may have: .png (16 bits) or .u32 (raw, any count). */
export const REGION_MAP_EXTENSIONS: readonly string[] = ['.png', '.u32'];

/**
 * The regions of a result, checked: a result with its size and a regions() method.
 * @throws ERR_INVALID_OPTION for anything else, or when the run did not compute its regions.
 */
export function regionsOfResult(result: unknown, name = 'result'): Regions {
  const fix = 'pass what kmeans() or segment() returned with regions: true (or minRegion)';
  if (result === null || typeof result !== 'object' || typeof (result as WithRegions).regions !== 'function') {
    throw invalidOption(name, 'a kmeans or segment result with regions()', result, fix);
  }
  const { width, height } = result as WithRegions;
  checkInteger(width, `${name}.width`, 1, Number.MAX_SAFE_INTEGER, fix);
  checkInteger(height, `${name}.height`, 1, Number.MAX_SAFE_INTEGER, fix);
  const regions = (result as WithRegions).regions();
  if (regions.map.length !== width * height) throw invalidOption(`${name}.regions().map`, `${width * height} ids (width x height)`, regions.map, fix);
  return regions;
}

/** The largest value of the map: the last id, or the region count when some pixel is transparent. */
function largestValue(regions: Regions): number {
  const n = regions.regions.length;
  if (regions.map instanceof Uint16Array) return regions.map.includes(n) ? n : n - 1;
  let max = 0;
  for (const v of regions.map) if (v > max) max = v;
  return max;
}

/**
 * Refuse a PNG region map that cannot hold the ids: PNG holds 16 bits, values up to 65535.
 * `file`, when given, names the output. @throws ERR_OUTPUT_FORMAT naming the count and the .u32 fix.
 */
export function checkRegionMapDepth(regions: Regions, file?: string): void {
  const largest = largestValue(regions);
  if (largest <= 0xffff) return;
  const name = file === undefined ? 'The region map' : `The region map ${quote(file)}`;
  const raw = file === undefined ? 'a .u32 file' : quote(file.slice(0, file.length - path.extname(file).length) + '.u32');
  throw new KMeansSegError('ERR_OUTPUT_FORMAT',
    `${name} cannot hold ${regions.regions.length} region ids in a PNG, whose 16 bits stop at 65535: write it as raw little-endian u32 instead, ` +
    `e.g. ${raw} (one u32 per pixel, row-major; docs/outputs.md), or merge small regions with minRegion / --min-region`);
}

/**
 * The region map as a 16-bit grayscale PNG: each pixel's value is its region id (transparent pixels: the
 * region count), so a reader gets the map back exactly.
 * @throws ERR_INVALID_OPTION for a result without regions; ERR_OUTPUT_FORMAT when a value passes 65535
 *   (see checkRegionMapDepth); ERR_BACKEND when sharp cannot be loaded.
 */
export async function regionMapPNG(result: WithRegions): Promise<Buffer> {
  const regions = regionsOfResult(result);
  checkRegionMapDepth(regions);
  const { width, height } = result;
  const map = regions.map instanceof Uint16Array ? regions.map : Uint16Array.from(regions.map);
  const sharp = await loadSharp();
  return sharp(map, { raw: { width, height, channels: 1 }, limitInputPixels: false }).toColourspace('grey16').png({ compressionLevel: 9 }).toBuffer();
}

/**
 * The region map as raw bytes: one little-endian u32 per pixel, row-major, no header (the size is the
 * image's: 4 x width x height bytes). Holds any number of regions.
 * @throws ERR_INVALID_OPTION for a result without regions.
 */
export function regionMapU32(result: WithRegions): Buffer {
  const { map } = regionsOfResult(result);
  const words = Uint32Array.from(map);
  if (!LITTLE_ENDIAN) {
    const view = new DataView(words.buffer);
    for (let p = 0; p < words.length; p++) view.setUint32(p * 4, map[p]!, true);
  }
  return Buffer.from(words.buffer, words.byteOffset, words.byteLength);
}

/** The bytes of the region map for `file`: a PNG for .png, raw u32 for .u32. */
export async function regionMapBytes(result: WithRegions, file: string): Promise<Buffer> {
  return path.extname(file).toLowerCase() === '.u32' ? regionMapU32(result) : regionMapPNG(result);
}

/**
 * Write the region map to `file`: a 16-bit PNG (.png) or raw little-endian u32 (.u32); atomically, and a
 * regular file replaced keeps its mode (see writeOutputFile).
 * @throws the errors of checkOutputPath (ERR_OUTPUT_FORMAT for another extension), regionMapPNG and
 *   regionMapU32; ERR_WRITE when the file cannot be written.
 */
export async function saveRegionMap(result: WithRegions, file: string, options: WriteOptions = {}): Promise<void> {
  const regions = regionsOfResult(result);
  checkHelperOptions(options, WRITE_OPTIONS, 'saveRegionMap', '{ force: true }');
  await checkOutputPath(file, { ...options, extensions: REGION_MAP_EXTENSIONS, what: 'region map' });
  if (path.extname(file).toLowerCase() === '.png') {
    checkEncodable(result.width, result.height, 'png', file);
    checkRegionMapDepth(regions, file);
  }
  await writeOutputFile(file, await regionMapBytes(result, file));
}
