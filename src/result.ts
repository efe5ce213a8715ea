import { toSrgb, type ColorSpace } from './colorspace.js';
import { labelPixels, pixelWords, type Histogram } from './histogram.js';
import type { LloydResult } from './lloyd.js';
import type { KMeansResult, PaletteEntry, RGBAImage } from './types.js';

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
  let alpha: Uint8Array | null = null;
  const source = pixelWords(image.data, pixels);
  for (let p = 0; p < pixels; p++) {
    if (source[p]! < 0xff000000) { // alpha, the top byte, below 255
      alpha = new Uint8Array(pixels);
      for (let q = 0; q < pixels; q++) alpha[q] = source[q]! >>> 24;
      break;
    }
  }
  return {
    width, height, k, palette, labels, centroids,
    inertia: fit.inertia, iterations: fit.iterations, converged: fit.converged, history: fit.history,
    warnings: info.warnings, backend: info.backend, threads: info.threads, attempt: info.attempt, timings: info.timings,
    hasAlpha: alpha !== null,
    toRGB() {
      const out = new Uint8ClampedArray(pixels * 3);
      const bytes = new Uint8Array(out.buffer); // plain stores: no clamping path in the loop
      const flat = new Uint8Array((k + 1) * 3); // label k, transparent, stays black
      palette.forEach((e, j) => flat.set(e.rgb, j * 3));
      for (let p = 0, o = 0; p < pixels; p++, o += 3) {
        const c = labels[p]! * 3;
        bytes[o] = flat[c]!; bytes[o + 1] = flat[c + 1]!; bytes[o + 2] = flat[c + 2]!;
      }
      return out;
    },
    toRGBA() {
      const out = new Uint8ClampedArray(pixels * 4);
      // One 32-bit store per pixel: each label's colour packed once (r lowest, as pixelWords reads).
      const packed = new Uint32Array(k + 1); // label k, transparent, stays 0
      palette.forEach((e, j) => { packed[j] = (e.rgb[0] | (e.rgb[1] << 8) | (e.rgb[2] << 16) | (255 << 24)) >>> 0; });
      const words = pixelWords(out, pixels);
      for (let p = 0; p < pixels; p++) {
        const l = labels[p]!;
        words[p] = alpha && l < k ? ((packed[l]! & 0xffffff) | (alpha[p]! << 24)) >>> 0 : packed[l]!;
      }
      // pixelWords hands back a copy where it cannot view the bytes in place (big-endian hosts).
      if (words.buffer !== out.buffer) {
        for (let p = 0; p < pixels; p++) {
          const v = words[p]!;
          out[p * 4] = v & 255; out[p * 4 + 1] = (v >>> 8) & 255; out[p * 4 + 2] = (v >>> 16) & 255; out[p * 4 + 3] = v >>> 24;
        }
      }
      return out;
    },
  };
}
