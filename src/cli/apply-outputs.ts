/**
 * `apply`'s outputs beyond the painted image, as the main command has them: --labels, --masks,
 * --overlay (--border-color, --overlay-regions), --regions and --region-map. Invariant: every path of
 * every input is planned in the run's OutputSet before the first image is read, and written all or
 * nothing with the rest.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { planOutputs } from '../batch/plan.js';
import type { Connectivity } from '../core/options.js';
import { regionsMethod } from '../core/region-list.js';
import { findRegions } from '../core/regions.js';
import { checkEncodable, encodePixels } from '../io/encode.js';
import { checkOutputPath, imageFormatOf } from '../io/output-path.js';
import type { OutputSet } from '../io/output-set.js';
import { checkLabelDepth, labelsPNG } from '../outputs/label-map.js';
import { checkMaskDir, maskName, stageMasks } from '../outputs/masks.js';
import { overlayBorders } from '../outputs/overlay.js';
import { REGION_MAP_EXTENSIONS } from '../outputs/region-map.js';
import { overlayRegions } from '../outputs/regions-json.js';
import type { KMeansResult, Labelled, RGBAImage } from '../types.js';
import { quote } from '../validate.js';
import { hexColour, stringFlag, type FlagValues } from './flags.js';
import { helpLine } from './help.js';
import { checkRegionMapFits, REGION_FLAGS, stageRegionOutputs } from './region-outputs.js';
import { UsageError } from './report.js';

export const APPLY_OUTPUT_FLAGS = {
  labels: { type: 'string' },
  masks: { type: 'string' },
  overlay: { type: 'string' },
  'border-color': { type: 'string' },
  ...REGION_FLAGS,
} as const;

export const APPLY_OUTPUT_HELP = [
  helpLine('--labels <file.png>', 'label map: grayscale PNG, pixel value = palette index (8-bit, or 16-bit for more than 255 colours)'),
  helpLine('--masks <folder>', 'one 1-bit mask per palette colour: mask-00.png, mask-01.png, ... (folder created if missing)'),
  helpLine('--overlay <file>', 'the segment borders drawn over the original (.png, .jpg, .webp)'),
  helpLine('--border-color <#rrggbb>', 'colour of those borders (default #ffff00)'),
  helpLine('--regions <file.json>', "the connected regions of the labels: id, cluster, area, bbox, centroid and mean colour of each (docs/regions.md)"),
  helpLine('--region-map <file>', 'the region id of every pixel: a 16-bit grayscale .png, or raw little-endian .u32'),
  helpLine('--overlay-regions', 'in --overlay, outline every region instead of drawing the segment borders'),
  helpLine('', 'With several inputs each of these names a folder, which gets one file (masks: one subfolder) per input, named after it.'),
].join('\n');

const NAMES = ['labels', 'masks', 'overlay', 'regions', 'region-map'] as const;
type Name = (typeof NAMES)[number];
const WHAT: Record<Name, string> = { labels: 'label map', masks: 'masks folder', overlay: 'overlay', regions: 'regions file', 'region-map': 'region map' };
const EXAMPLE: Record<Name, string> = { labels: 'labels.png', masks: 'masks', overlay: 'borders.png', regions: 'regions.json', 'region-map': 'regions.png' };

/** The extra outputs as the command line gives them: a file for one input, a folder for several. */
export interface ApplyExtras {
  given: Partial<Record<Name, string>>;
  borderColor: [number, number, number] | undefined;
  outlineRegions: boolean;
}

/** One input's extra output paths, and its mask files. */
export type ExtraPaths = Partial<Record<Name, string>> & { maskFiles?: string[] };

/** @throws {UsageError} an empty path, a bad colour, or --overlay-regions without --overlay. */
export function parseApplyExtras(values: FlagValues): ApplyExtras {
  const given: ApplyExtras['given'] = {};
  for (const name of NAMES) {
    const v = stringFlag(values, name);
    if (v === '') throw new UsageError(`Empty value for --${name}: pass a path, e.g. --${name} ${EXAMPLE[name]}`);
    if (v !== undefined) given[name] = v;
  }
  const outlineRegions = values['overlay-regions'] === true;
  if (outlineRegions && given.overlay === undefined) {
    throw new UsageError('--overlay-regions outlines the regions in the overlay: add --overlay <file>, e.g. --overlay regions.png');
  }
  const colour = stringFlag(values, 'border-color');
  return { given, borderColor: colour === undefined ? undefined : hexColour('--border-color', colour), outlineRegions };
}

/** Whether the original pixels are needed after painting: the overlay draws on them, regions average them. */
export function needsOriginal(extras: ApplyExtras): boolean {
  const { given } = extras;
  return given.overlay !== undefined || given.regions !== undefined || given['region-map'] !== undefined;
}

/**
 * Every input's extra outputs, checked and reserved in `set` before any work: for one input each flag
 * names a file (or, ending in a slash or naming a folder, a folder), for several a folder.
 * @throws {UsageError} or the output paths' codes (ERR_OUTPUT_EXISTS, ERR_OUTPUT_FORMAT, ...).
 */
export async function planApplyExtras(
  extras: ApplyExtras, inputs: string[], k: number, check: { force: boolean }, set: OutputSet, format: string,
): Promise<ExtraPaths[]> {
  const paths: ExtraPaths[] = inputs.map(() => ({}));
  for (const name of NAMES) {
    const flag = extras.given[name];
    if (flag === undefined) continue;
    const folder = inputs.length > 1 || /[\\/]$/.test(flag) || (await fs.stat(flag).catch(() => undefined))?.isDirectory() === true;
    if (name !== 'masks' && folder && inputs.length > 1 && /\.(png|jpe?g|webp|json|u32)$/i.test(flag) && !(await fs.stat(flag).catch(() => undefined))) {
      throw new UsageError(`--${name} ${quote(flag)} names a file, but ${inputs.length} inputs need a folder: pass a folder, e.g. --${name} ${quote(flag.replace(/\.[^.]+$/, '') + '/')}`);
    }
    const ext = name === 'overlay' ? `.${format}` : name === 'regions' ? '.json' : '.png';
    const files = name === 'masks' ? (folder && inputs.length > 1 ? inputs.map((f) => path.join(flag, path.parse(f).name)) : [flag])
      : folder ? await planOutputs(inputs, flag, ext) : [flag];
    if (folder && name !== 'masks') await set.makeFolder(flag);
    for (let i = 0; i < inputs.length; i++) await planOne(name, files[i]!, inputs[i]!, k, check, set, paths[i]!);
  }
  await set.checkFolders();
  return paths;
}

async function planOne(name: Name, file: string, input: string, k: number, check: { force: boolean }, set: OutputSet, into: ExtraPaths): Promise<void> {
  const opts = { force: check.force, inputPath: input };
  into[name] = file;
  if (name === 'masks') {
    await checkMaskDir(file, k, opts);
    into.maskFiles = Array.from({ length: k }, (_, j) => path.join(file, maskName(j, k)));
    for (const mask of into.maskFiles) await set.reserve(mask, 'mask');
    return;
  }
  if (name === 'overlay') await checkOutputPath(file, opts);
  else if (name === 'labels') await checkOutputPath(file, { ...opts, extensions: ['.png'], what: 'label map' });
  else if (name === 'regions') await checkOutputPath(file, { ...opts, extensions: ['.json'], what: 'regions file' });
  else await checkOutputPath(file, { ...opts, extensions: REGION_MAP_EXTENSIONS, what: 'region map' });
  await set.reserve(file, WHAT[name]);
}

/**
 * Stage one input's extra outputs in `set`. `original`: its decoded pixels, when needsOriginal.
 * @throws ERR_OUTPUT_FORMAT for an image a format cannot hold or a region map a PNG cannot; the errors of OutputSet.stage.
 */
export async function stageApplyExtras(
  extras: ApplyExtras, paths: ExtraPaths, result: Labelled, original: RGBAImage | undefined, connectivity: Connectivity, set: OutputSet,
): Promise<void> {
  const { width, height, k } = result;
  if (paths.labels !== undefined) {
    checkLabelDepth(k, result.labels instanceof Uint32Array, paths.labels);
    await set.stage(paths.labels, await labelsPNG(result));
  }
  if (paths.masks !== undefined) {
    checkEncodable(width, height, 'png', paths.maskFiles![0]!);
    await stageMasks(result, paths.masks, paths.maskFiles!, set);
  }
  if (original === undefined) return;
  const withRegions = { ...result, regions: regionsMethod(paths.regions !== undefined || paths['region-map'] !== undefined || extras.outlineRegions ? findRegions(original, result.labels, k, connectivity) : null, k) };
  checkRegionMapFits(paths, withRegions as unknown as KMeansResult);
  await stageRegionOutputs(paths, withRegions as unknown as KMeansResult, set);
  if (paths.overlay !== undefined) {
    const format = imageFormatOf(paths.overlay)!;
    checkEncodable(width, height, format, paths.overlay);
    const drawn = extras.outlineRegions ? overlayRegions(original, withRegions, { color: extras.borderColor }) : overlayBorders(original, result, { color: extras.borderColor });
    await set.stage(paths.overlay, await encodePixels(drawn, width, height, format, paths.overlay));
  }
}
