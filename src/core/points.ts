/**
 * The points the kernel clusters: the histogram's distinct colours, every opaque pixel, and pixel
 * positions for spatial runs. Invariant: a pixel's point has exactly its colour's coordinates.
 */
import { linearToLab, linearToOklab, pointOf, srgbToLinear, type ColorSpace } from './colorspace.js';
import { pixelWords, slotOf, type Histogram } from './histogram.js';
import { rgbPlanesOf, type Points } from '../kernel/kernel.js';
import type { RGBAImage } from '../types.js';

/**
 * The histogram as weighted points for the kernel, in the clustering space (pointOf of each colour).
 * In RGB the points carry their keys (Points.rgb) and build x, y, z on first access only: the wasm
 * kernel writes its planes from the keys, so on the default path 12 bytes a colour never exist in JS.
 */
export function histogramPoints(h: Histogram, space: ColorSpace): Points {
  if (space === 'rgb') return rgbPoints(h);
  const { keys, n } = h;
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  if (space === 'linear-rgb') {
    // Each coordinate depends on one channel only: 256 values, looked up.
    const [tx, ty, tz] = channelTables(space);
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      x[i] = tx[key & 255]!; y[i] = ty[(key >>> 8) & 255]!; z[i] = tz[key >>> 16]!;
    }
  } else {
    // pointOf's steps, with sRGB's transfer function (a pow each channel) looked up: same values.
    const lin = linearTable ??= Float64Array.from({ length: 256 }, (_, c) => srgbToLinear(c));
    const scale = space === 'oklab' ? 100 : 1;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const lr = lin[key & 255]!, lg = lin[(key >>> 8) & 255]!, lb = lin[key >>> 16]!;
      const p = space === 'lab' ? linearToLab(lr, lg, lb) : linearToOklab(lr, lg, lb);
      x[i] = snap(p[0] * scale); y[i] = snap(p[1] * scale); z[i] = snap(p[2] * scale);
    }
  }
  return { x, y, z, w: h.counts, n };
}

/** RGB points over the histogram's keys, their planes built once, when first read (the same values either loop gives). */
function rgbPoints(h: Histogram): Points {
  const { n, engine } = h;
  const rgb = h.keys.subarray(0, n);
  let planes: [Float32Array, Float32Array, Float32Array] | undefined;
  const build = (): [Float32Array, Float32Array, Float32Array] => {
    if (planes) return planes;
    const p: [Float32Array, Float32Array, Float32Array] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    if (engine?.rgbPlanes) engine.rgbPlanes(rgb, ...p); else rgbPlanesOf(rgb, ...p);
    return (planes = p);
  };
  return {
    get x() { return build()[0]; },
    get y() { return build()[1]; },
    get z() { return build()[2]; },
    w: h.counts, n, rgb,
  };
}

let linearTable: Float64Array | undefined;
const snap = (v: number): number => Math.round(v * 256) / 256;

/** pointOf's three coordinates as functions of r, g and b alone, for a space where they are. */
function channelTables(space: 'linear-rgb'): [Float32Array, Float32Array, Float32Array] {
  const t = [new Float32Array(256), new Float32Array(256), new Float32Array(256)] as const;
  for (let c = 0; c < 256; c++) {
    t[0][c] = pointOf(space, c, 0, 0)[0];
    t[1][c] = pointOf(space, 0, c, 0)[1];
    t[2][c] = pointOf(space, 0, 0, c)[2];
  }
  return [...t];
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
