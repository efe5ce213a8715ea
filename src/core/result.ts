import { toSrgb, type ColorSpace } from './colorspace.js';
import { labelPixels, pixelWords, type Histogram } from './histogram.js';
import type { LloydResult } from './lloyd.js';
import type { KMeansResult, Labels, PaletteEntry, RGBAImage } from '../types.js';

export interface RunInfo {
  backend: 'wasm' | 'js';
  threads: number;
  attempt: number;
  warnings: string[];
  timings: KMeansResult['timings'];
}

/**
 * Per-pixel labels from point labels. Over the histogram a pixel's label is its colour's; over pixels
 * the points are the opaque pixels in order. Fully transparent pixels get `k`.
 */
export function pixelLabels(
  image: RGBAImage, k: number, pointLabels: Uint16Array, hist: Histogram | null, hasTransparent: boolean,
): Uint8Array | Uint16Array | Uint32Array {
  const pixels = image.width * image.height;
  const data = image.data;
  const labelCount = k + (hasTransparent ? 1 : 0);
  // Only k = 65536 with transparent pixels needs 32 bits (the transparent label is 65536).
  const labels = labelCount <= 256 ? new Uint8Array(pixels) : labelCount <= 65536 ? new Uint16Array(pixels) : new Uint32Array(pixels);
  if (hist) {
    labelPixels(data, pixels, hist, pointLabels, k, labels);
    return labels;
  }
  for (let p = 0, o = 0, i = 0; p < pixels; p++, o += 4) labels[p] = data[o + 3] === 0 ? k : pointLabels[i++]!;
  return labels;
}

export function buildResult(
  image: RGBAImage, k: number, fit: LloydResult, labels: Uint8Array | Uint16Array | Uint32Array, space: ColorSpace, info: RunInfo,
): KMeansResult {
  const total = fit.counts.reduce((a, b) => a + b, 0);
  const dims = fit.centroids.length / k; // 3, or 5 with positions
  const centroids: number[][] = [];
  const palette: PaletteEntry[] = [];
  for (let j = 0; j < k; j++) {
    const c = Array.from(fit.centroids.subarray(j * dims, j * dims + dims));
    centroids.push(c);
    // Clipped to the sRGB gamut: a Lab or OKLab mean can fall just outside it.
    const rgb = toSrgb(space, c[0]!, c[1]!, c[2]!).map((v) => Math.min(255, Math.max(0, Math.round(v)))) as [number, number, number];
    const count = fit.counts[j]!;
    palette.push({ rgb, hex: '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join(''), count, share: total > 0 ? count / total : 0 });
  }
  // Keep the alpha channel only when it carries something; the caller's buffer is never kept or mutated.
  const { width, height } = image;
  const pixels = width * height;
  const alpha = hasAlphaBelow255(image.data, pixels) ? alphaOf(image.data, pixels) : null;
  return {
    width, height, k, palette, labels, centroids,
    inertia: fit.inertia, iterations: fit.iterations, converged: fit.converged, history: fit.history,
    warnings: info.warnings, backend: info.backend, threads: info.threads, attempt: info.attempt, timings: info.timings,
    hasAlpha: alpha !== null,
    toRGB() {
      const out = new Uint8ClampedArray(pixels * 3);
      paintRGB(new Uint8Array(out.buffer), labels, palette);
      return out;
    },
    toRGBA() {
      const out = new Uint8ClampedArray(pixels * 4);
      paintRGBA(new Uint8Array(out.buffer), labels, palette, k, alpha);
      return out;
    },
  };
}

/**
 * Paint a result over the RGBA pixels it was computed from, in place, and return the painted bytes:
 * what toRGB() gives (in the first three quarters) for an opaque result, else what toRGBA() gives,
 * each pixel's alpha read from `rgba` itself. For callers that own the decoded pixels and need them no
 * more: saving then needs no second image-sized buffer at its memory peak.
 */
export function paintOver(result: KMeansResult, rgba: Uint8Array): Uint8Array {
  const pixels = result.width * result.height;
  if (rgba.length !== pixels * 4) throw new RangeError(`paintOver: expected ${pixels * 4} RGBA bytes, received ${rgba.length}`);
  if (!result.hasAlpha) {
    const rgb = rgba.subarray(0, pixels * 3);
    paintRGB(rgb, result.labels, result.palette);
    return rgb;
  }
  paintRGBA(rgba, result.labels, result.palette, result.k, rgba);
  return rgba;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Whether any alpha byte is below 255; four pixels' words ANDed per test, as nearly all are opaque. */
function hasAlphaBelow255(data: Uint8Array | Uint8ClampedArray, pixels: number): boolean {
  const words = pixelWords(data, pixels);
  let p = 0;
  for (; p + 4 <= pixels; p += 4) if ((words[p]! & words[p + 1]! & words[p + 2]! & words[p + 3]!) >>> 24 !== 255) return true;
  for (; p < pixels; p++) if (words[p]! >>> 24 !== 255) return true;
  return false;
}

function alphaOf(data: Uint8Array | Uint8ClampedArray, pixels: number): Uint8Array {
  const alpha = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) alpha[p] = data[p * 4 + 3]!;
  return alpha;
}

/** Each label's colour r | g << 8 | b << 16; label k (transparent) stays 0, black. */
function packedPalette(palette: PaletteEntry[]): Uint32Array {
  const packed = new Uint32Array(palette.length + 1);
  palette.forEach((e, j) => { packed[j] = e.rgb[0] | (e.rgb[1] << 8) | (e.rgb[2] << 16); });
  return packed;
}

/** 3 bytes a pixel into `out`: on little-endian hosts as three 32-bit stores per four pixels. */
function paintRGB(out: Uint8Array, labels: Labels, palette: PaletteEntry[]): void {
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
function paintRGBA(out: Uint8Array, labels: Labels, palette: PaletteEntry[], k: number, alpha: Uint8Array | null): void {
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
