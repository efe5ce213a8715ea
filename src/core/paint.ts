/**
 * Painting labels with their palette colours, and the one `#rrggbb` formatter and parser. Invariant:
 * the word-store fast paths write the same bytes as the byte loops; label k (transparent) stays 0.
 */
import { LITTLE_ENDIAN, pixelWords } from './histogram.js';
import type { KMeansResult, Labels, PaletteEntry } from '../types.js';
import { keptOutside, paintOutside } from './roi.js';

/** `'#rrggbb'` of the first three values, lower case. */
export function hexOf(rgb: readonly number[]): string {
  return '#' + rgb.slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('');
}

/** `[r, g, b]` of `'#rrggbb'` (# and six hex digits, either case), or undefined for anything else. */
export function rgbOfHex(text: unknown): [number, number, number] | undefined {
  if (typeof text !== 'string' || !/^#[0-9a-f]{6}$/i.test(text)) return undefined;
  const n = parseInt(text.slice(1), 16);
  return [n >>> 16, (n >>> 8) & 255, n & 255];
}

/**
 * Paint a result over the RGBA pixels it was computed from, in place, and return the painted bytes:
 * what toRGB() gives (in the first three quarters) for an opaque result, else what toRGBA() gives,
 * each pixel's alpha read from `rgba` itself. For callers that own the decoded pixels and need them no
 * more: saving then needs no second image-sized buffer at its memory peak.
 *
 * @throws RangeError when `rgba` is not the result's size (a programming error, not a KMeansSegError).
 */
export function paintOver(result: KMeansResult, rgba: Uint8Array): Uint8Array {
  const pixels = result.width * result.height;
  if (rgba.length !== pixels * 4) throw new RangeError(`paintOver: expected ${pixels * 4} RGBA bytes, received ${rgba.length}`);
  const kept = keptOutside(result.labels); // roiOutside 'keep': the input's pixels outside the roi
  if (!result.hasAlpha) {
    const rgb = rgba.subarray(0, pixels * 3);
    paintRGB(rgb, result.labels, result.palette);
    if (kept) paintOutside(rgb, 3, kept);
    return rgb;
  }
  paintRGBA(rgba, result.labels, result.palette, result.k, rgba);
  if (kept) paintOutside(rgba, 4, kept);
  return rgba;
}

/** Whether any alpha byte is below 255; four pixels' words ANDed per test, as nearly all are opaque. */
export function hasAlpha(data: Uint8Array | Uint8ClampedArray, pixels: number): boolean {
  const words = pixelWords(data, pixels);
  let p = 0;
  for (; p + 4 <= pixels; p += 4) if ((words[p]! & words[p + 1]! & words[p + 2]! & words[p + 3]!) >>> 24 !== 255) return true;
  for (; p < pixels; p++) if (words[p]! >>> 24 !== 255) return true;
  return false;
}

/** The alpha bytes of RGBA pixels, one per pixel. */
export function alphaOf(data: Uint8Array | Uint8ClampedArray, pixels: number): Uint8Array {
  const alpha = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) alpha[p] = data[p * 4 + 3]!;
  return alpha;
}

/** Each label's colour r | g << 8 | b << 16; label k (transparent) stays 0, black. */
function packedPalette(palette: readonly PaletteEntry[]): Uint32Array {
  const packed = new Uint32Array(palette.length + 1);
  palette.forEach((e, j) => { packed[j] = e.rgb[0] | (e.rgb[1] << 8) | (e.rgb[2] << 16); });
  return packed;
}

/** 3 bytes a pixel into `out`: on little-endian hosts as three 32-bit stores per four pixels. */
export function paintRGB(out: Uint8Array, labels: Labels, palette: readonly PaletteEntry[]): void {
  const pixels = labels.length;
  const packed = packedPalette(palette);
  let p = 0;
  if (LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const words = new Uint32Array(out.buffer, out.byteOffset, (pixels >>> 2) * 3);
    for (let w = 0; p + 4 <= pixels; p += 4, w += 3) {
      const c0 = packed[labels[p]!]!, c1 = packed[labels[p + 1]!]!, c2 = packed[labels[p + 2]!]!, c3 = packed[labels[p + 3]!]!;
      words[w] = c0 | (c1 << 24);
      words[w + 1] = (c1 >>> 8) | (c2 << 16);
      words[w + 2] = (c2 >>> 16) | (c3 << 8);
    }
  }
  for (let o = p * 3; p < pixels; p++, o += 3) {
    const c = packed[labels[p]!]!;
    out[o] = c & 255; out[o + 1] = (c >>> 8) & 255; out[o + 2] = c >>> 16;
  }
}

/**
 * 4 bytes a pixel into `out`, alpha 255, or `alpha`'s where given: a byte per pixel, or (stride 4)
 * the alpha bytes of RGBA pixels, which may be `out` itself. Label k (transparent) stays 0.
 */
export function paintRGBA(out: Uint8Array, labels: Labels, palette: readonly PaletteEntry[], k: number, alpha: Uint8Array | null): void {
  const pixels = labels.length;
  const packed = packedPalette(palette);
  const stride = alpha !== null && alpha.length === pixels * 4 ? 4 : 1;
  if (LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const words = new Uint32Array(out.buffer, out.byteOffset, pixels);
    if (alpha === null) {
      for (let j = 0; j < k; j++) packed[j] = (packed[j]! | 0xff000000) >>> 0;
      for (let p = 0; p < pixels; p++) words[p] = packed[labels[p]!]!;
    } else {
      for (let p = 0; p < pixels; p++) {
        const l = labels[p]!;
        words[p] = l < k ? (packed[l]! | (alpha[p * stride + stride - 1]! << 24)) >>> 0 : 0;
      }
    }
    return;
  }
  for (let p = 0, o = 0; p < pixels; p++, o += 4) {
    const l = labels[p]!, c = packed[l]!;
    const a = l >= k ? 0 : alpha === null ? 255 : alpha[p * stride + stride - 1]!;
    out[o] = c & 255; out[o + 1] = (c >>> 8) & 255; out[o + 2] = c >>> 16; out[o + 3] = a;
  }
}
