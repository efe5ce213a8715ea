/**
 * The points the kernel clusters: the histogram's distinct colours, every opaque pixel, and pixel
 * positions for spatial runs. Invariant: a pixel's point has exactly its colour's coordinates.
 */
import { pointOf, type ColorSpace } from './colorspace.js';
import { pixelWords, slotOf, type Histogram } from './histogram.js';
import type { Points } from '../kernel/kernel.js';
import type { RGBAImage } from '../types.js';

/** The histogram as weighted points for the kernel, in the clustering space. */
export function histogramPoints(h: Histogram, space: ColorSpace): Points {
  const x = new Float32Array(h.n), y = new Float32Array(h.n), z = new Float32Array(h.n);
  for (let i = 0; i < h.n; i++) {
    const key = h.keys[i]!;
    const r = key & 255, g = (key >>> 8) & 255, b = key >>> 16;
    if (space === 'rgb') { x[i] = r; y[i] = g; z[i] = b; continue; }
    const p = pointOf(space, r, g, b);
    x[i] = p[0]; y[i] = p[1]; z[i] = p[2];
  }
  return { x, y, z, w: h.counts, n: h.n };
}

/**
 * Every opaque pixel as a point of weight 1, in pixel order, its coordinates copied from its colour's
 * histogram point so both paths see the very same values.
 */
export function pixelPoints(data: Uint8Array | Uint8ClampedArray, pixels: number, h: Histogram, colours: Points): Points {
  const x = new Float32Array(h.opaque), y = new Float32Array(h.opaque), z = new Float32Array(h.opaque);
  const words = pixelWords(data, pixels);
  for (let p = 0, i = 0; p < pixels; p++) {
    const v = words[p]!;
    if (v >>> 24 === 0) continue;
    const c = h.table[slotOf(v & 0xffffff)]!;
    x[i] = colours.x[c]!; y[i] = colours.y[c]!; z[i] = colours.z[c]!;
    i++;
  }
  return { x, y, z, w: null, n: h.opaque };
}

/**
 * Spatial segmentation (the idea of SLIC): each pixel also carries its position, scaled so that the
 * image's longer side spans `weight` x 255 units (one colour channel's range at weight 1), snapped
 * to the same 1/256 grid as colours so the sums stay exact.
 */
export function addPositions(points: Points, data: RGBAImage['data'], width: number, height: number, weight: number): void {
  const scale = (weight * 255) / Math.max(width, height);
  const u = new Float32Array(points.n), v = new Float32Array(points.n);
  for (let p = 0, i = 0; p < width * height; p++) {
    if (data[p * 4 + 3] === 0) continue;
    u[i] = Math.round((p % width) * scale * 256) / 256;
    v[i] = Math.round(Math.floor(p / width) * scale * 256) / 256;
    i++;
  }
  points.u = u;
  points.v = v;
}
