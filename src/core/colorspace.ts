/**
 * The colour spaces to cluster in and the conversions from and to 8-bit sRGB. Invariant: a point's
 * coordinates lie on a 1/256 grid, so float64 sums of them times integer counts are exact.
 */

/**
 * A colour space to cluster in. Pixels arrive as 8-bit sRGB; each distinct colour is converted once
 * (f64), then snapped to a grid of 1/256 units so that float64 sums of coordinates times integer
 * counts stay exact: that keeps results independent of summation order, threads and histogramming
 * in every space, not only in RGB. Units (and so `tolerance`):
 * - 'rgb': sRGB 0-255 (the grid changes nothing: the values are integers);
 * - 'linear-rgb': linear-light RGB scaled to 0-255;
 * - 'lab': CIE L*a*b* (D65), L in 0-100;
 * - 'oklab': OKLab (Ottosson 2020) scaled by 100, L in 0-100, so its distances read like Lab's.
 */
export type ColorSpace = 'rgb' | 'linear-rgb' | 'lab' | 'oklab';
export const COLOR_SPACES: readonly ColorSpace[] = ['rgb', 'linear-rgb', 'lab', 'oklab'];

const GRID = 256;
const snap = (v: number): number => Math.round(v * GRID) / GRID;

/** sRGB transfer function, IEC 61966-2-1. */
export function srgbToLinear(c: number): number {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

export function linearToSrgb(v: number): number {
  const c = v <= 0.0031308 ? v * 12.92 : 1.055 * Math.sign(v) * Math.abs(v) ** (1 / 2.4) - 0.055;
  return c * 255;
}

// D65 white of the sRGB matrix below (its rows sum to these), so white maps to a = b = 0.
const XN = 0.4124564 + 0.3575761 + 0.1804375;
const YN = 0.2126729 + 0.7151522 + 0.072175;
const ZN = 0.0193339 + 0.119192 + 0.9503041;
const EPS = (6 / 29) ** 3;
const labF = (t: number): number => (t > EPS ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29);
const labFInv = (t: number): number => (t > 6 / 29 ? t ** 3 : 3 * (6 / 29) ** 2 * (t - 4 / 29));

/** Linear RGB (0-1) to CIE Lab, D65. */
export function linearToLab(r: number, g: number, b: number): [number, number, number] {
  const x = labF((0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / XN);
  const y = labF((0.2126729 * r + 0.7151522 * g + 0.072175 * b) / YN);
  const z = labF((0.0193339 * r + 0.119192 * g + 0.9503041 * b) / ZN);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

export function labToLinear(L: number, a: number, b: number): [number, number, number] {
  const fy = (L + 16) / 116;
  const X = labFInv(fy + a / 500) * XN, Y = labFInv(fy) * YN, Z = labFInv(fy - b / 200) * ZN;
  return [
    3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z,
    -0.969266 * X + 1.8760108 * Y + 0.041556 * Z,
    0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z,
  ];
}

/** Linear RGB (0-1) to OKLab (unscaled), https://bottosson.github.io/posts/oklab/. */
export function linearToOklab(r: number, g: number, b: number): [number, number, number] {
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}

export function oklabToLinear(L: number, a: number, b: number): [number, number, number] {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return [
    4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s,
  ];
}

/** 8-bit sRGB to the space's units, unsnapped (f64). */
export function fromSrgb(space: ColorSpace, r: number, g: number, b: number): [number, number, number] {
  if (space === 'rgb') return [r, g, b];
  const lr = srgbToLinear(r), lg = srgbToLinear(g), lb = srgbToLinear(b);
  if (space === 'linear-rgb') return [lr * 255, lg * 255, lb * 255];
  if (space === 'lab') return linearToLab(lr, lg, lb);
  const [L, a, bb] = linearToOklab(lr, lg, lb);
  return [L * 100, a * 100, bb * 100];
}

/** The space's units back to sRGB 0-255 (unclipped, unrounded). */
export function toSrgb(space: ColorSpace, x: number, y: number, z: number): [number, number, number] {
  if (space === 'rgb') return [x, y, z];
  const lin = space === 'linear-rgb' ? [x / 255, y / 255, z / 255]
    : space === 'lab' ? labToLinear(x, y, z)
    : oklabToLinear(x / 100, y / 100, z / 100);
  return [linearToSrgb(lin[0]!), linearToSrgb(lin[1]!), linearToSrgb(lin[2]!)];
}

/** A colour as the kernel sees it: converted, then snapped to the 1/256 grid (exact in f32). */
export function pointOf(space: ColorSpace, r: number, g: number, b: number): [number, number, number] {
  const [x, y, z] = fromSrgb(space, r, g, b);
  return [snap(x), snap(y), snap(z)];
}
