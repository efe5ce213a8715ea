/**
 * The main command's region outputs: --regions (JSON), --region-map (.png or .u32) and --overlay-regions.
 * Invariant: their paths are checked with the other outputs before any work, and they are written
 * through the run's OutputSet, all or nothing with the rest.
 */
import type { OutputFileOptions } from '../io/output-path.js';
import { checkOutputPath } from '../io/output-path.js';
import type { OutputSet } from '../io/output-set.js';
import { checkRegionMapDepth, regionMapBytes, REGION_MAP_EXTENSIONS } from '../outputs/region-map.js';
import { regionsJSON } from '../outputs/regions-json.js';
import type { KMeansResult } from '../types.js';
import type { FlagValues } from './flags.js';
import { helpLine } from './help.js';
import { plural, UsageError } from './report.js';

export const REGION_FLAGS = {
  regions: { type: 'string' },
  'region-map': { type: 'string' },
  'overlay-regions': { type: 'boolean' },
} as const;

export const REGION_HELP = [
  helpLine('--regions <file.json>', 'the connected regions: id, cluster, area, bbox, centroid and mean colour of each, and each cluster\'s bbox (docs/regions.md)'),
  helpLine('--region-map <file>', 'the region id of every pixel: a 16-bit grayscale .png, or raw little-endian .u32 (any number of regions)'),
  helpLine('--overlay-regions', 'in --overlay, outline every region on its inside edge instead of drawing the segment borders'),
].join('\n');

/** The region outputs of a command line, as the main command keeps its outputs. */
export interface RegionPaths { regions?: string; 'region-map'?: string; overlay?: string }

/**
 * Whether the run must compute its regions: a region output, or --overlay-regions (which needs --overlay).
 * @throws {UsageError} for --overlay-regions without --overlay.
 */
export function regionsWanted(outputs: RegionPaths, values: FlagValues): boolean {
  const outline = values['overlay-regions'] === true;
  if (outline && outputs.overlay === undefined) {
    throw new UsageError('--overlay-regions outlines the regions in the overlay: add --overlay <file>, e.g. --overlay regions.png');
  }
  return outline || outputs.regions !== undefined || outputs['region-map'] !== undefined;
}

/** Check the region outputs' paths before any work (their reservation is the caller's, with the other outputs). */
export async function checkRegionPaths(outputs: RegionPaths, check: Omit<OutputFileOptions, 'what'>): Promise<void> {
  if (outputs.regions !== undefined) await checkOutputPath(outputs.regions, { ...check, extensions: ['.json'], what: 'regions file' });
  if (outputs['region-map'] !== undefined) await checkOutputPath(outputs['region-map'], { ...check, extensions: REGION_MAP_EXTENSIONS, what: 'region map' });
}

/**
 * Refuse, once the regions are known and before any output is written, a PNG region map that cannot
 * hold them. @throws ERR_OUTPUT_FORMAT suggesting the .u32 form.
 */
export function checkRegionMapFits(outputs: RegionPaths, result: KMeansResult): void {
  const file = outputs['region-map'];
  if (file !== undefined && file.toLowerCase().endsWith('.png')) checkRegionMapDepth(result.regions(), file);
}

/** Stage the regions JSON and the region map in `set`. */
export async function stageRegionOutputs(outputs: RegionPaths, result: KMeansResult, set: OutputSet): Promise<void> {
  if (outputs.regions !== undefined) await set.stage(outputs.regions, Buffer.from(regionsJSON(result), 'utf8'));
  if (outputs['region-map'] !== undefined) await set.stage(outputs['region-map'], await regionMapBytes(result, outputs['region-map']));
}

/** The summary's lines for the region outputs, and for minRegion when it merged. */
export function regionLines(outputs: RegionPaths, result: KMeansResult): string {
  const lines: string[] = [];
  if (result.minRegion > 1) lines.push(`  min region ${result.minRegion} px: ${plural(result.mergedRegions, 'region')} merged`);
  const count = (): string => plural(result.regions().regions.length, 'region');
  if (outputs.regions !== undefined) lines.push(`  regions -> ${outputs.regions} (${count()})`);
  if (outputs['region-map'] !== undefined) lines.push(`  region map -> ${outputs['region-map']}`);
  return lines.map((l) => `${l}\n`).join('');
}

/** The --json summary's part for the regions: null when the run did not compute them. */
export function regionSummary(result: KMeansResult): { count: number; merged: number; minRegion: number; connectivity: number } | null {
  let regions;
  try {
    regions = result.regions(); // computed whenever asked for, and whenever minRegion merged
  } catch {
    return null;
  }
  return { count: regions.regions.length, merged: regions.merged, minRegion: regions.minRegion, connectivity: regions.connectivity };
}
