/**
 * fromSrgb and toSrgb as the package exports them: the space and the numbers checked first. The
 * clustering calls colorspace.ts itself, once per distinct colour, on values it has checked already.
 */
import * as spaces from './colorspace.js';
import type { ColorSpace } from './colorspace.js';
import { checkOption } from './option-table.js';
import { checkNumber } from '../validate.js';

/**
 * 8-bit sRGB (each channel 0-255) to the space's units, unsnapped (f64).
 * @throws {KMeansSegError} ERR_INVALID_OPTION for a space not in COLOR_SPACES, or a channel that is
 * not a number from 0 to 255.
 */
export function fromSrgb(space: ColorSpace, r: number, g: number, b: number): [number, number, number] {
  checkOption('colorSpace', space);
  for (const [name, v] of [['r', r], ['g', g], ['b', b]] as const) checkNumber(v, name, 0, 255, 'pass an 8-bit sRGB channel');
  return spaces.fromSrgb(space, r, g, b);
}

/**
 * The space's units back to sRGB 0-255 (unclipped, unrounded).
 * @throws {KMeansSegError} ERR_INVALID_OPTION for a space not in COLOR_SPACES, or a coordinate that
 * is not a finite number.
 */
export function toSrgb(space: ColorSpace, x: number, y: number, z: number): [number, number, number] {
  checkOption('colorSpace', space);
  for (const [name, v] of [['x', x], ['y', y], ['z', z]] as const) checkNumber(v, name, -Infinity, Infinity, "pass a coordinate in the space's units");
  return spaces.toSrgb(space, x, y, z);
}
