/**
 * Palettes read: checked from memory, parsed from JSON or GIMP .gpl text, or read from a file.
 * Invariant: every message names where the bad value is (argument path, or file and entry or line).
 */
import path from 'node:path';
import { COLOR_SPACES, type ColorSpace } from '../core/colorspace.js';
import { listOf } from '../core/option-table.js';
import { hexOf, rgbOfHex } from '../core/paint.js';
import { KMeansSegError } from '../errors.js';
import { readRegularFile } from '../io/read-file.js';
import { MAX_PALETTE } from '../limits.js';
import type { PaletteEntry } from '../types.js';
import { checkOptionNames, checkPlainObject, describe, invalidOption, printable, quote } from '../validate.js';

/** One colour: `'#rrggbb'`, `[r, g, b]` (integers 0-255), or an object with `hex` and/or `rgb` (as in a result's palette). */
export type PaletteColour = string | readonly number[] | { readonly hex?: string; readonly rgb?: readonly number[] };

/**
 * A palette: a file written by `kmeans-seg --palette FILE` (JSON, or GIMP `.gpl`), an array of
 * colours, or an object with a `palette` array (a `kmeans`/`segment` result, the palette JSON, or a
 * Palette as readPalette returns it). A result carries its `colorSpace` and `centroids`: applied to
 * the image it came from, it gives back its labels exactly.
 */
export type PaletteSource =
  | string
  | readonly PaletteColour[]
  | { readonly palette: readonly PaletteColour[]; readonly colorSpace?: ColorSpace; readonly centroids?: readonly (readonly number[])[] };

/** A checked palette (readPalette, checkPalette). */
export interface Palette {
  /** The colours as 8-bit sRGB: what the pixels are painted with. */
  palette: PaletteEntry[];
  /** The space the palette was clustered in, when it says so (the JSON of kmeans-seg --palette does). */
  colorSpace?: ColorSpace;
  /** The exact centroids in `colorSpace`, one [x, y, z] per colour, when it has them (the JSON of kmeans-seg --palette does). */
  centroids?: number[][];
}

/** Where a palette came from, for messages, and the error to raise about it. */
interface Origin {
  /** Set for a file: 'Palette file "p.json"'. Absent for a palette in memory (the `palette` argument). */
  file?: string;
  fail(message: string): KMeansSegError;
}

/**
 * Validate a palette in memory: an array of colours, or an object with a `palette` array (and
 * optionally `colorSpace` and `centroids`, as the palette JSON has).
 *
 * @throws ERR_INVALID_OPTION for anything that is not such a palette.
 */
export function checkPalette(value: unknown): Palette {
  return paletteFromValue(value, { fail: (message) => new KMeansSegError('ERR_INVALID_OPTION', message) });
}

/**
 * Entries are named by their JSON path: `palette[2].hex` for the argument, `Palette file "p.json",
 * entry [2].hex` (or `entry palette[2].hex` inside an object) for a file.
 */
function paletteFromValue(value: unknown, origin: Origin): Palette {
  const { file, fail } = origin;
  let list: unknown = value;
  let listPath = file ? '' : 'palette';
  let extra: { colorSpace?: unknown; centroids?: unknown } = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const whole = file ?? 'The palette';
    if (!('palette' in value)) {
      throw fail(`${whole} is an object without a "palette" array: expected an array of colours such as ["#1173b0", "#bb4b57"], or { "palette": [...] } as kmeans-seg --palette writes`);
    }
    list = (value as { palette: unknown }).palette;
    extra = value as typeof extra;
    listPath = file ? 'palette' : 'palette.palette';
  }
  const where = (p: string): string => (file ? (p ? `${file}, entry ${p}` : file) : p);
  if (!Array.isArray(list)) {
    throw fail(`Expected an array of colours for ${where(listPath)} but received ${describe(list)}: pass ["#rrggbb", ...], [[r, g, b], ...] or the JSON that kmeans-seg --palette writes`);
  }
  if (list.length === 0) {
    throw fail(`${where(listPath)} is empty: a palette needs at least one colour, e.g. ["#000000", "#ffffff"]`);
  }
  if (list.length > MAX_PALETTE) {
    throw fail(`${where(listPath)} has ${list.length} colours, more than ${MAX_PALETTE}: use fewer colours`);
  }
  const palette = entriesOf(list.map((entry: unknown, i) => colourOf(entry, where(`${listPath}[${i}]`), fail)));
  const out: Palette = { palette };
  const base = file ? '' : 'palette.';
  if (extra.colorSpace !== undefined) {
    if (!COLOR_SPACES.includes(extra.colorSpace as ColorSpace)) {
      throw fail(`Expected ${listOf(COLOR_SPACES.map((c) => `"${c}"`))} for ${where(`${base}colorSpace`)} but received ${describe(extra.colorSpace)}`);
    }
    out.colorSpace = extra.colorSpace as ColorSpace;
  }
  if (extra.centroids !== undefined) {
    const c = extra.centroids;
    if (!Array.isArray(c) || c.length !== palette.length) {
      throw fail(`Expected ${palette.length} centroids (one per colour) for ${where(`${base}centroids`)} but received ${describe(c)}: fix the file, or drop "centroids" to use the colours`);
    }
    out.centroids = c.map((v: unknown, i) => {
      // A result in memory from a spatialWeight run has [x, y, z, u, v]: its colour part is what applies.
      const dims = Array.isArray(v) && !file && v.length === 5 ? 5 : 3;
      if (!Array.isArray(v) || v.length !== dims || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw fail(`Expected [x, y, z], three finite numbers, for ${where(`${base}centroids[${i}]`)} but received ${describe(v)}`);
      }
      return [v[0], v[1], v[2]];
    });
    // Centroids without their space cannot be placed: they are used only where the space is known.
    if (out.colorSpace === undefined) delete out.centroids;
  }
  return out;
}

function entriesOf(colours: [number, number, number][]): PaletteEntry[] {
  return colours.map((rgb) => ({ rgb, hex: hexOf(rgb), count: 0, share: 0 }));
}
function colourOf(entry: unknown, where: string, fail: Origin['fail']): [number, number, number] {
  if (typeof entry === 'string') return parseHex(entry, where, fail);
  if (Array.isArray(entry)) return parseRgb(entry, where, fail);
  if (entry !== null && typeof entry === 'object') {
    const { hex, rgb } = entry as { hex?: unknown; rgb?: unknown };
    const fromHex = hex === undefined ? undefined : parseHex(hex, `${where}.hex`, fail);
    const fromRgb = rgb === undefined ? undefined : parseRgb(rgb, `${where}.rgb`, fail);
    if (fromHex && fromRgb && fromHex.some((v, d) => v !== fromRgb[d])) {
      throw fail(`${where} has hex ${describe(hex)} but rgb [${fromRgb.join(', ')}] (${hexOf(fromRgb)}): they must name the same colour; fix or drop one of them`);
    }
    const colour = fromHex ?? fromRgb;
    if (colour) return colour;
    throw fail(`${where} has neither "hex" nor "rgb": give each colour as { "hex": "#rrggbb" } or { "rgb": [r, g, b] }`);
  }
  throw fail(`Expected a colour ("#rrggbb", [r, g, b] or { hex, rgb }) for ${where} but received ${describe(entry)}`);
}

function parseHex(value: unknown, where: string, fail: Origin['fail']): [number, number, number] {
  const rgb = rgbOfHex(value);
  if (rgb === undefined) throw fail(`Expected "#rrggbb" (# and six hex digits, e.g. "#1173b0") for ${where} but received ${describe(value)}`);
  return rgb;
}

function parseRgb(value: unknown, where: string, fail: Origin['fail']): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw fail(`Expected [r, g, b], three integers 0-255, for ${where} but received ${describe(value)}`);
  }
  return [value[0], value[1], value[2]];
}

/**
 * Read a palette file: the JSON that `kmeans-seg --palette FILE` writes ({ k, colorSpace, palette:
 * [{ hex, rgb, count, share }, ...], centroids }, or just the palette array; plain "#rrggbb" strings
 * and [r, g, b] arrays are accepted as entries too), or a GIMP palette (.gpl, or any file whose first line is "GIMP Palette").
 * Every message names the file and, where it can, the entry or line.
 *
 * @throws ERR_INVALID_OPTION for an empty path; ERR_INPUT_NOT_FOUND for a missing file; ERR_INPUT_NOT_FILE
 *   for a folder, device, pipe or socket; ERR_TOO_LARGE past 2 GiB; ERR_READ when it cannot be read
 *   (permissions, I/O error); ERR_PALETTE when its content is not a palette.
 */
export async function readPalette(file: string): Promise<Palette> {
  if (typeof file !== 'string' || file === '' || file.includes('\0')) throw invalidOption('palette', 'a palette file path (without NUL characters) such as "palette.json"', file);
  const name = `Palette file ${quote(file)}`;
  // One open with O_NONBLOCK, fstat'ed: a FIFO or device is refused rather than waited on, and a file over 2 GiB is named ERR_TOO_LARGE.
  const bytes = await readRegularFile(file, name, 'palette').catch((error: unknown) => {
    if (error instanceof KMeansSegError && error.code === 'ERR_INPUT_NOT_FOUND') {
      throw new KMeansSegError('ERR_INPUT_NOT_FOUND', `${name} not found (looked for ${quote(path.resolve(file))}): check the path; kmeans-seg <image> --palette FILE writes one`, { cause: error.cause });
    }
    throw error;
  });
  const text = bytes.toString('utf8');
  return parsePalette(text, { name, gpl: path.extname(file).toLowerCase() === '.gpl' });
}

/**
 * Parse palette text (JSON or GIMP .gpl; .gpl when `gpl` is true or the text starts with "GIMP
 * Palette"). `name` starts every message, e.g. 'Palette file "p.json"'.
 *
 * @throws ERR_INVALID_OPTION when `text` is not a string or the options are bad; ERR_PALETTE when
 *   the text is not a palette.
 */
export function parsePalette(text: string, options: { name?: string; gpl?: boolean } = {}): Palette {
  if (typeof text !== 'string') throw invalidOption('text', 'a string', text, 'pass the text of a palette file, or call readPalette(path)');
  checkPlainObject(options, 'options', "an object such as { name: 'Palette file \"p.gpl\"', gpl: true }");
  checkOptionNames(options, ['name', 'gpl'], 'parsePalette');
  const { name = 'The palette text', gpl = false } = options;
  if (typeof name !== 'string') throw invalidOption('name', 'a string that starts every message', name);
  if (typeof gpl !== 'boolean') throw invalidOption('gpl', 'true or false', gpl);
  const fail = (message: string) => new KMeansSegError('ERR_PALETTE', message);
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') {
    throw fail(`${name} is empty: expected palette JSON (as kmeans-seg --palette writes) or a GIMP palette (.gpl)`);
  }
  if (gpl || /^GIMP Palette\s*(\r?\n|$)/.test(body)) return parseGpl(body, name, fail);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    // V8's message quotes a snippet of the text, which may hold any byte: escaped like every snippet.
    throw fail(`${name} is not valid JSON (${printable((error as Error).message)}): expected palette JSON such as [{ "hex": "#1173b0" }, ...] or a GIMP palette (.gpl)`);
  }
  return paletteFromValue(value, { file: name, fail });
}

function parseGpl(text: string, name: string, fail: Origin['fail']): Palette {
  const lines = text.split(/\r?\n/);
  if (lines[0]!.trim() !== 'GIMP Palette') {
    throw fail(`${name} is not a GIMP palette: its first line is ${describe(lines[0]!.trim())}, not "GIMP Palette"`);
  }
  const colours: [number, number, number][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || /^(Name|Columns):/i.test(line)) continue;
    const m = /^(\d+)\s+(\d+)\s+(\d+)(?:\s.*)?$/.exec(line);
    const rgb = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
    if (!rgb || rgb.some((v) => v > 255)) {
      throw fail(`${name}, line ${i + 1}: expected "R G B [name]" with R, G, B integers 0-255 but read ${describe(line)}`);
    }
    colours.push(rgb as [number, number, number]);
  }
  if (colours.length === 0) throw fail(`${name} has no colours: add lines "R G B name" after the "GIMP Palette" header`);
  if (colours.length > MAX_PALETTE) throw fail(`${name} has ${colours.length} colours, more than ${MAX_PALETTE}: use fewer colours`);
  return { palette: entriesOf(colours) };
}
