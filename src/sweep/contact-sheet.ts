// The contact sheet of a K sweep: the original and each result in a labelled grid on white.
// Invariant: sheetGeometry is pure arithmetic, so the layout is known (and checked) before sharp runs.
import { FONT, escapeXml } from './charts.js';
import { KMeansSegError } from '../errors.js';
import { loadSharp } from '../io/sharp.js';
import type { RGBAImage } from '../types.js';
import { checkHelperOptions, checkImage, checkInteger, invalidOption, quote } from '../validate.js';

const SHEET_OPTIONS = ['columns', 'tileWidth', 'padding', 'labelHeight'];


export interface SheetTile {
  /** Caption under the picture, e.g. "K = 4". */
  label: string;
  image: RGBAImage;
  /** Scale with the nearest-neighbour kernel, which keeps a segmented image's colours exact. Default false (Lanczos). */
  nearest?: boolean;
}

export interface SheetOptions {
  /** Tiles per row. Default min(tiles, 4). */
  columns?: number;
  /** Largest width of a tile's picture: larger images are scaled down, smaller ones kept. Default 320. */
  tileWidth?: number;
  /** Space around and between tiles, in pixels. Default 12. */
  padding?: number;
  /** Height of the caption strip under each picture. Default 28. */
  labelHeight?: number;
}

export interface SheetGeometry {
  width: number;
  height: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  padding: number;
  labelHeight: number;
  /** Top-left corner of each tile's picture. */
  cells: { left: number; top: number }[];
}

/**
 * Where every tile goes: a grid of `columns`, filled row by row. The sheet is
 * columns * tileWidth + (columns + 1) * padding wide and rows * (tileHeight + labelHeight) +
 * (rows + 1) * padding high.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION for a count of tiles or an image size that is no
 * positive integer, or when columns, tileWidth, padding or labelHeight is out of range.
 */
export function sheetGeometry(tiles: number, imageWidth: number, imageHeight: number, options: SheetOptions = {}): SheetGeometry {
  checkInteger(tiles, 'tiles', 1, 100000, 'the number of pictures on the sheet');
  checkInteger(imageWidth, 'imageWidth', 1, Number.MAX_SAFE_INTEGER, "the pictures' width in pixels");
  checkInteger(imageHeight, 'imageHeight', 1, Number.MAX_SAFE_INTEGER, "the pictures' height in pixels");
  checkHelperOptions(options, SHEET_OPTIONS, 'sheetGeometry', '{ columns: 4 }');
  const columns = options.columns ?? Math.min(tiles, 4);
  const maxTile = options.tileWidth ?? 320;
  const padding = options.padding ?? 12;
  const labelHeight = options.labelHeight ?? 28;
  for (const [name, v, min] of [['columns', columns, 1], ['tileWidth', maxTile, 8], ['padding', padding, 0], ['labelHeight', labelHeight, 0]] as const) {
    if (!Number.isInteger(v) || v < min || v > 100000) {
      throw new KMeansSegError('ERR_INVALID_OPTION', `Expected an integer between ${min} and 100000 for ${name} but received ${v}`);
    }
  }
  const tileWidth = Math.min(imageWidth, maxTile);
  const tileHeight = Math.max(1, Math.round((imageHeight * tileWidth) / imageWidth));
  const rows = Math.ceil(tiles / columns);
  const cells = Array.from({ length: tiles }, (_, i) => ({
    left: padding + (i % columns) * (tileWidth + padding),
    top: padding + Math.floor(i / columns) * (tileHeight + labelHeight + padding),
  }));
  return {
    width: columns * tileWidth + (columns + 1) * padding,
    height: rows * (tileHeight + labelHeight) + (rows + 1) * padding,
    columns, rows, tileWidth, tileHeight, padding, labelHeight, cells,
  };
}

/**
 * Lay the tiles out in a grid on white, each picture with its caption below (text rendered by sharp
 * from SVG). Every tile must have the same size. Returns RGBA pixels, ready for encodeImage.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION for no tiles, a tile without a string label, or bad sheet
 * options (see sheetGeometry); ERR_INVALID_IMAGE for a tile whose image is none;
 * ERR_INVALID_IMAGE when the tiles differ in size; ERR_BACKEND when sharp cannot be loaded.
 */
export async function contactSheet(tiles: readonly SheetTile[], options: SheetOptions = {}): Promise<RGBAImage> {
  if (!Array.isArray(tiles) || tiles.length === 0) {
    throw invalidOption('tiles', 'a non-empty array of tiles { label, image }', tiles, 'a contact sheet needs at least one tile');
  }
  checkHelperOptions(options, SHEET_OPTIONS, 'contactSheet', '{ columns: 4 }');
  tiles.forEach((t: unknown, i) => checkTile(t, i));
  const { width: w, height: h } = tiles[0]!.image;
  for (const t of tiles) {
    if (t.image.width !== w || t.image.height !== h) {
      throw new KMeansSegError('ERR_INVALID_IMAGE', `Every tile of a contact sheet must be ${w} x ${h}, but ${quote(t.label)} is ${t.image.width} x ${t.image.height}`);
    }
  }
  const g = sheetGeometry(tiles.length, w, h, options);
  const sharp = await loadSharp();
  const layers: import('sharp').OverlayOptions[] = [];
  for (let i = 0; i < tiles.length; i++) {
    const { image, nearest } = tiles[i]!;
    let input = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    if (g.tileWidth !== w || g.tileHeight !== h) {
      input = await sharp(input, { raw: { width: w, height: h, channels: 4 }, limitInputPixels: false })
        .resize(g.tileWidth, g.tileHeight, { fit: 'fill', kernel: nearest ? 'nearest' : 'lanczos3' })
        .raw().toBuffer();
    }
    layers.push({ input, raw: { width: g.tileWidth, height: g.tileHeight, channels: 4 }, left: g.cells[i]!.left, top: g.cells[i]!.top });
  }
  const size = captionSize(tiles, g);
  const captions = tiles.map((t, i) => caption(t.label, i, g, size));
  layers.push({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}">${captions.join('')}</svg>`), left: 0, top: 0 });
  const data = await sharp({ create: { width: g.width, height: g.height, channels: 4, background: '#ffffff' } })
    .composite(layers)
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: g.width, height: g.height };
}

/**
 * One font size for every caption: the strip's, shrunk (to 5 px at least) until the longest caption
 * fits its tile and half the padding on each side, DejaVu Sans (which sharp renders here) averaging
 * under 0.62 em a character.
 */
function captionSize(tiles: readonly SheetTile[], g: SheetGeometry): number {
  const longest = Math.max(1, ...tiles.map((t) => t.label.length));
  return Math.max(5, Math.min(Math.max(8, Math.round(g.labelHeight * 0.57)), Math.floor((g.tileWidth + g.padding - 2) / (0.62 * longest))));
}

/** A tile's caption, centred under its picture; one still too long at 5 px is clipped, never drawn over a neighbour's. */
function caption(label: string, i: number, g: SheetGeometry, size: number): string {
  const { left, top } = g.cells[i]!;
  const room = g.tileWidth + g.padding - 2;
  const clip = `<clipPath id="caption-${i}"><rect x="${left - g.padding / 2 + 1}" y="${top + g.tileHeight}" width="${room}" height="${g.labelHeight + g.padding}"/></clipPath>`;
  return `${clip}<text x="${left + g.tileWidth / 2}" y="${top + g.tileHeight + Math.round(g.labelHeight * 0.7)}" text-anchor="middle" font-family="${FONT}" ` +
    `font-size="${size}" fill="#222" clip-path="url(#caption-${i})">${escapeXml(label)}</text>`;
}

/** One tile: a string label, an RGBA image (ERR_INVALID_IMAGE when it is none) and an optional boolean `nearest`. */
function checkTile(tile: unknown, i: number): void {
  if (tile === null || typeof tile !== 'object') throw invalidOption(`tiles[${i}]`, 'a tile { label, image }', tile);
  const { label, image, nearest } = tile as SheetTile;
  if (typeof label !== 'string') throw invalidOption(`tiles[${i}].label`, 'a string', label, 'the caption under the picture');
  checkImage(image, { expected: `an image { data, width, height } for tiles[${i}].image` });
  if (nearest !== undefined && typeof nearest !== 'boolean') throw invalidOption(`tiles[${i}].nearest`, 'true or false', nearest);
}
