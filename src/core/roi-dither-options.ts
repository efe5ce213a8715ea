/**
 * The option table's rows for a region of interest (roi, roiOutside) and dithering (dither, serpentine,
 * ditherStrength), their types and how they combine. Plain data: the options survive a structured clone.
 */
import type { OptionDoc, OptionRule } from './option-table.js';
import { invalidOption } from '../validate.js';

/** How the output maps pixels to the palette: each to its nearest colour, or dithered. */
export type DitherMethod = 'none' | 'floyd-steinberg' | 'ordered';
/** What the output shows outside the region of interest: the input's pixels, or nothing (alpha 0). */
export type RoiOutside = 'keep' | 'transparent';

/** A mask in memory: RGBA (4 bytes a pixel), RGB (3), grey and alpha (2) or grey (1), row-major. */
export interface RoiPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** A mask as the options take it: pixels, and in Node (segment, applyPalette, batch, the CLI) also a PNG's path or its bytes. */
export type RoiMask = RoiPixels | string | Uint8Array | ArrayBuffer;

export interface ResolvedRoiDither {
  roi: RoiMask | undefined;
  roiOutside: RoiOutside;
  dither: DitherMethod;
  serpentine: boolean;
  ditherStrength: number;
}

/** The rules, in the order the table lists them (after the regions rows). */
export const ROI_DITHER_RULES = {
  roi: {
    rule: { kind: 'mask' }, default: undefined,
    expected: 'a mask: pixels { data, width, height } (RGBA, grey and alpha, or grey bytes), or in Node a PNG path or its bytes',
    fix: 'pass a grey or alpha mask of the image\'s size; white (or opaque) is inside',
  },
  roiOutside: { rule: { kind: 'choice', choices: ['keep', 'transparent'] }, default: 'keep' },
  dither: {
    rule: { kind: 'choice', choices: ['none', 'floyd-steinberg', 'ordered'] }, default: 'none',
    fix: "'floyd-steinberg' diffuses the error, 'ordered' adds a fixed 8 x 8 pattern",
  },
  serpentine: { rule: { kind: 'choice', choices: [true, false] }, default: true },
  ditherStrength: { rule: { kind: 'number', min: 0, max: 1 }, default: 1, fix: 'use 0 (no dithering) to 1 (full, default)' },
} as const satisfies Record<string, OptionRule>;

export const ROI_DITHER_DOCS: Record<keyof typeof ROI_DITHER_RULES, OptionDoc> = {
  roi: {
    doc: 'a region of interest: only the pixels inside the mask are clustered and counted in the quality figures; inside is alpha >= 128 when the mask has alpha, else grey >= 128; the mask must have the image\'s size (docs/segments.md)',
    type: '`{ data, width, height }` (RGBA, grey and alpha, or grey pixels); in Node also a PNG path or bytes',
    defaultText: 'none',
    flag: { name: 'roi', arg: '<mask.png>', example: 'mask.png', values: 'a grey or alpha PNG', doc: 'a region of interest: a grey or alpha PNG of the image\'s size; only the pixels inside (alpha, else grey, >= 128) are clustered and counted in the quality figures' },
  },
  roiOutside: {
    doc: "what the output shows outside the roi: keep, the input's pixels, or transparent (alpha 0); their label is k either way",
    flag: { name: 'roi-outside', arg: '<mode>' },
  },
  dither: {
    doc: 'how pixels map to the palette: none (nearest colour), floyd-steinberg (error diffusion in raster order) or ordered (an 8 x 8 Bayer pattern); the palette is the clustering\'s, the labels and every output the dithered mapping, the quality figures those of the dithered image (docs/segments.md)',
    flag: { name: 'dither', arg: '<method>', example: 'floyd-steinberg', doc: 'how pixels map to the palette: none (nearest colour), floyd-steinberg (error diffusion) or ordered (an 8 x 8 Bayer pattern); --labels writes the dithered labels' },
  },
  serpentine: {
    doc: 'Floyd-Steinberg: run odd rows right to left, which breaks up the diagonal drift of the error',
    flag: { name: 'serpentine', arg: '<bool>', example: 'false' },
  },
  ditherStrength: {
    doc: "how much of the error (Floyd-Steinberg) or the pattern (ordered) dithering adds, as pngquant's --floyd; 0 maps each pixel to its nearest colour",
    flag: { name: 'dither-strength', arg: '<x>', example: '0.8' },
  },
};

/**
 * Options that contradict each other: merging small regions cleans up the speckle that dithering
 * makes on purpose, so the two together would undo each other.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming both.
 */
export function checkRoiDither(o: ResolvedRoiDither & { minRegion: number }): void {
  if (o.dither !== 'none' && o.minRegion > 1) {
    throw invalidOption('dither', "'none' when minRegion is above 1", o.dither, "merging small regions would undo the dithering's speckle: drop minRegion (--min-region) or dither (--dither)");
  }
}
