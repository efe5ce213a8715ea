/**
 * Palette files written: JSON (which `kmeans-seg apply --palette` reads back) and GIMP .gpl.
 * Invariant: what parse.ts reads is what is written here, colour for colour.
 */
import path from 'node:path';
import type { ColorSpace } from '../core/colorspace.js';
import { checkOption } from '../core/option-table.js';
import { hexOf } from '../core/paint.js';
import { checkOutputPath, type WriteOptions } from '../io/output-path.js';
import { writeOutputFile } from '../io/output-set.js';
import { MAX_PALETTE } from '../limits.js';
import type { KMeansResult, PaletteEntry } from '../types.js';
import { checkHelperOptions, checkInteger, checkNumbers, invalidOption, quote, WRITE_OPTIONS } from '../validate.js';

export interface PaletteFileOptions {
  /** The space the result was clustered in; when given, the JSON also holds `colorSpace` and the exact `centroids` in that space. */
  colorSpace?: ColorSpace;
  /** GIMP palette name. Default "kmeans-seg k=<k>". */
  name?: string;
}

type Paletted = Pick<KMeansResult, 'k' | 'palette' | 'centroids'>;

const FILE_OPTIONS = ['colorSpace', 'name'];
const FIX = 'pass what kmeans() or segment() returned';

/**
 * The arguments of every function here, checked as parse.ts will read the file back: `k` colours,
 * each with rgb (three integers 0-255), the hex of that rgb, a count and a share; with `colorSpace`,
 * one centroid per colour; a known `colorSpace` and a string `name`.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the bad argument or field.
 */
function checkArguments(result: unknown, options: PaletteFileOptions | undefined, where: string, known = FILE_OPTIONS): PaletteFileOptions {
  const opts = checkHelperOptions(options, known, where, "{ colorSpace: 'oklab' }");
  if (opts.colorSpace !== undefined) checkOption('colorSpace', opts.colorSpace); // as kmeans checks it
  if (opts.name !== undefined && typeof opts.name !== 'string') throw invalidOption('name', 'a string', opts.name, "the GIMP palette's name");
  if (result === null || typeof result !== 'object') throw invalidOption('result', 'a kmeans or segment result { k, palette, centroids }', result, FIX);
  const { k, palette, centroids } = result as Paletted;
  checkInteger(k, 'result.k', 1, MAX_PALETTE, FIX);
  if (!Array.isArray(palette) || palette.length !== k) throw invalidOption('result.palette', `an array of ${k} colours (result.k)`, palette, FIX);
  palette.forEach((entry: unknown, i) => checkEntry(entry, `result.palette[${i}]`));
  if (opts.colorSpace !== undefined) {
    if (!Array.isArray(centroids) || centroids.length !== k) throw invalidOption('result.centroids', `an array of ${k} centroids (result.k)`, centroids, FIX);
    centroids.forEach((c: unknown, i) => {
      if (checkNumbers(c, `result.centroids[${i}]`, undefined, FIX).length < 3) throw invalidOption(`result.centroids[${i}]`, 'a centroid [x, y, z]', c, FIX);
    });
  }
  return opts;
}

function checkEntry(entry: unknown, name: string): void {
  if (entry === null || typeof entry !== 'object') throw invalidOption(name, 'a palette entry { hex, rgb, count, share }', entry, FIX);
  const { hex, rgb, count, share } = entry as PaletteEntry;
  checkNumbers(rgb, `${name}.rgb`, 3, FIX).forEach((v, d) => checkInteger(v, `${name}.rgb[${d}]`, 0, 255, FIX));
  if (typeof hex !== 'string' || hex.toLowerCase() !== hexOf(rgb)) throw invalidOption(`${name}.hex`, `${quote(hexOf(rgb))}, the hex of its rgb`, hex, FIX);
  checkInteger(count, `${name}.count`, 0, Number.MAX_SAFE_INTEGER, FIX);
  if (typeof share !== 'number' || !(share >= 0 && share <= 1)) throw invalidOption(`${name}.share`, 'a number from 0 to 1', share, FIX);
}

/**
 * The palette as JSON: `{ k, palette: [{ hex, rgb, count, share }, ...] }`, plus `colorSpace` and
 * `centroids` (their colour part, [x, y, z]) when `colorSpace` is given. `kmeans-seg apply
 * --palette` reads it back.
 * @throws ERR_INVALID_OPTION for a result or options that would not read back (see checkArguments).
 */
export function paletteJSON(result: Paletted, options: PaletteFileOptions = {}): string {
  checkArguments(result, options, 'paletteJSON');
  // Written by hand rather than JSON.stringify(doc, null, 2) so each colour stays on one line:
  // readable, and it diffs well. Every value still goes through JSON.stringify.
  const entry = ({ hex, rgb, count, share }: Paletted['palette'][number]): string =>
    `    { "hex": ${JSON.stringify(hex)}, "rgb": [${rgb.join(', ')}], "count": ${count}, "share": ${JSON.stringify(share)} }`;
  const lines = ['{', `  "k": ${result.k},`];
  if (options.colorSpace !== undefined) lines.push(`  "colorSpace": ${JSON.stringify(options.colorSpace)},`);
  lines.push('  "palette": [', result.palette.map(entry).join(',\n'), options.colorSpace === undefined ? '  ]' : '  ],');
  if (options.colorSpace !== undefined) {
    // The colour part only: a spatialWeight centroid's position [u, v] means nothing to apply, which reads [x, y, z].
    lines.push('  "centroids": [', result.centroids.map((c) => `    [${c.slice(0, 3).map((v) => JSON.stringify(v)).join(', ')}]`).join(',\n'), '  ]');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/**
 * The palette as a GIMP palette (.gpl): a "GIMP Palette" header, then one "R G B<TAB>name" line per
 * colour, named by its hex and share.
 * @throws ERR_INVALID_OPTION for a bad result or options (see checkArguments).
 */
export function paletteGPL(result: Paletted, options: PaletteFileOptions = {}): string {
  checkArguments(result, options, 'paletteGPL');
  const name = (options.name ?? `kmeans-seg k=${result.k}`).replace(/[\r\n]+/g, ' ');
  const lines = ['GIMP Palette', `Name: ${name}`, `Columns: ${Math.min(result.k, 16)}`, '#'];
  for (const p of result.palette) {
    lines.push(`${p.rgb.map((v) => String(v).padStart(3)).join(' ')}\t${p.hex} ${(p.share * 100).toFixed(1)}%`);
  }
  return lines.join('\n') + '\n';
}

export interface PaletteBufferOptions extends PaletteFileOptions {
  /** 'json' (default) or 'gpl' (a GIMP palette). */
  format?: 'json' | 'gpl';
}

/**
 * The palette file's bytes, for an HTTP response or an object store: JSON (default) or a GIMP palette.
 * The JSON holds the exact centroids in `colorSpace`, which defaults to the result's own (a kmeans or
 * segment result carries it), so that applyPalette gives back the run's labels.
 * @throws ERR_INVALID_OPTION for a bad result, format or options (see checkArguments).
 */
export function paletteBuffer(result: Paletted & { colorSpace?: ColorSpace }, options: PaletteBufferOptions = {}): Buffer {
  const opts = checkHelperOptions(options, [...FILE_OPTIONS, 'format'], 'paletteBuffer', "{ format: 'gpl' }");
  const { format = 'json', ...fileOptions } = opts as PaletteBufferOptions;
  if (format !== 'json' && format !== 'gpl') throw invalidOption('format', "'json' or 'gpl'", format);
  const own = result !== null && typeof result === 'object' && typeof result.colorSpace === 'string' ? result.colorSpace : undefined;
  const colorSpace = fileOptions.colorSpace ?? own;
  const text = format === 'gpl' ? paletteGPL(result, { ...fileOptions, colorSpace }) : paletteJSON(result, { ...fileOptions, colorSpace });
  return Buffer.from(text, 'utf8');
}

/**
 * The bytes savePalette writes to `file`: a GIMP palette when it ends in .gpl, JSON otherwise; the
 * GIMP palette is named after `options.inputPath` when no `name` is given.
 */
export function paletteFileBytes(result: Paletted, file: string, options: WriteOptions & PaletteFileOptions = {}): Uint8Array {
  const gpl = path.extname(file).toLowerCase() === '.gpl';
  const name = options.name ?? (options.inputPath ? `${path.basename(options.inputPath)} k=${result.k}` : undefined);
  const text = gpl ? paletteGPL(result, { colorSpace: options.colorSpace, name }) : paletteJSON(result, { colorSpace: options.colorSpace });
  return Buffer.from(text, 'utf8');
}

/**
 * Write the palette to `file`: a GIMP palette when it ends in .gpl, JSON otherwise (see
 * paletteFileBytes); atomically, and a regular file replaced keeps its mode (see writeOutputFile).
 *
 * @throws ERR_INVALID_OPTION for a bad result or options, before the path is looked at (see
 *   checkArguments); the errors of checkOutputPath; ERR_WRITE when the file cannot be written.
 */
export async function savePalette(result: Paletted, file: string, options: WriteOptions & PaletteFileOptions = {}): Promise<void> {
  checkArguments(result, options, 'savePalette', [...WRITE_OPTIONS, ...FILE_OPTIONS]);
  await checkOutputPath(file, { ...options, what: 'palette' });
  await writeOutputFile(file, paletteFileBytes(result, file, options));
}
