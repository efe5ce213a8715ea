// What made each output of a batch: one small JSON record per output in the hidden folder
// `.kmeans-seg/` beside the outputs. Invariant: a rerun skips an existing output only when its record
// holds this run's settings; an output without a readable record (older kmeans-seg, another tool) is skipped.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { resolveOptions } from '../core/options.js';
import { KMeansSegError } from '../errors.js';
import type { Palette } from '../palette/parse.js';
import type { SegmentOptions } from '../segment.js';
import { printable, quote } from '../validate.js';

/** The hidden folder, beside the outputs, that holds their records. */
export const RECORD_FOLDER = '.kmeans-seg';

export const recordFolderOf = (output: string): string => path.join(path.dirname(output), RECORD_FOLDER);

/** `<output name>.json`, or for a name too long for that, its first 150 bytes and a hash: under 255 bytes. */
export function recordFileOf(output: string): string {
  const name = path.basename(output);
  if (Buffer.byteLength(name) <= 200) return path.join(recordFolderOf(output), `${name}.json`);
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return path.join(recordFolderOf(output), `${Buffer.from(name).subarray(0, 150).toString().replace(/\uFFFD+$/, '')}.${hash}.json`);
}

/** JSON with object keys sorted, so that equal settings always give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/**
 * The settings that decide an output's pixels, as canonical JSON: the K-means options with their
 * defaults filled in, or the palette and the space its nearest colours are measured in. Backend,
 * threads and histogram are left out: they never change a result.
 */
export function recipeOf(options: SegmentOptions, palette: Palette | null): string {
  if (palette) {
    const colorSpace = options.colorSpace ?? palette.colorSpace ?? 'rgb';
    return canonical({ palette: palette.palette.map((p) => p.hex), centroids: palette.centroids ?? null, colorSpace });
  }
  const { limitInputPixels: _limit, ...kmeansOptions } = options;
  const { k, seed, init, maxIterations, tolerance, attempts, colorSpace, spatialWeight } = resolveOptions(kmeansOptions);
  return canonical({ k, seed, init, maxIterations, tolerance, attempts, colorSpace, spatialWeight });
}

/** The record's text: which input and settings made `output`. */
export function recordText(output: string, input: string, recipe: string): Uint8Array {
  const settings: unknown = JSON.parse(recipe);
  return new TextEncoder().encode(JSON.stringify({ output: path.basename(output), input: path.resolve(input), settings }, null, 2) + '\n');
}

/** The settings in the record of `output` as canonical JSON, or undefined when it has no readable record. */
export async function readRecipe(output: string): Promise<string | undefined> {
  const text = await fs.readFile(recordFileOf(output), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const settings = (JSON.parse(text) as { settings?: unknown }).settings;
    return settings !== null && typeof settings === 'object' ? canonical(settings) : undefined;
  } catch {
    return undefined;
  }
}

/** "k 4 (now 8), seed 1 (now 0)": how the settings of a record differ from this run's. */
export function differences(recorded: string, recipe: string): string {
  const was = JSON.parse(recorded) as Record<string, unknown>;
  const now = JSON.parse(recipe) as Record<string, unknown>;
  const show = (v: unknown): string => { const t = printable(JSON.stringify(v) ?? 'none'); return t.length > 40 ? `${t.slice(0, 37)}...` : t; };
  return [...new Set([...Object.keys(was), ...Object.keys(now)])]
    .filter((key) => canonical(was[key]) !== canonical(now[key]))
    .map((key) => `${key} ${show(was[key])} (now ${show(now[key])})`).join(', ');
}

/**
 * Which existing outputs a run without `force` skips: those whose record holds `recipe`, and those
 * with no record (counted in `unrecorded`).
 *
 * @throws {KMeansSegError} ERR_OUTPUT_EXISTS, before any work, when a record holds other settings.
 */
export async function checkRecords(outputs: readonly string[], recipe: string, folder: string): Promise<{ unrecorded: number }> {
  let unrecorded = 0;
  const stale: string[] = [];
  for (const out of outputs) {
    const recorded = await readRecipe(out);
    if (recorded === undefined) unrecorded++;
    else if (recorded !== recipe) stale.push(`${quote(out)}: ${differences(recorded, recipe)}`);
  }
  if (stale.length > 0) {
    throw new KMeansSegError('ERR_OUTPUT_EXISTS',
      `${stale.length === 1 ? 'An output' : `${stale.length} outputs`} in ${quote(folder)} ${stale.length === 1 ? 'was' : 'were'} made with other settings than this run's ` +
      `(${stale[0]}${stale.length > 1 ? `; and ${stale.length - 1} more` : ''}): pass --force / force: true to redo ${stale.length === 1 ? 'it' : 'them'} with these settings, or choose another output folder`);
  }
  return { unrecorded };
}
