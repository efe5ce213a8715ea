/**
 * Shared test helpers for the core: image builders and loaders, fast-check arbitraries for random
 * images, and independent re-computations of what the core promises (f32 nearest-centroid labels,
 * the floored inertia, f64 means rounded once to f32). The re-computations deliberately do not
 * import src/distance.ts or src/kernel-js.ts: a shared helper would share its bugs.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import sharp from 'sharp';
import { expect } from 'vitest';
// The core reads files and starts workers through a platform the entry installs: the tests import
// src/ modules directly, so they install the Node one as src/index.ts does.
import '../src/node/platform.js';
import { KMeansSegError, type ErrorCode } from '../src/errors.js';
import type { KMeansOptions } from '../src/core/options.js';
import type { KMeansResult, RGBAImage } from '../src/types.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SHARED = path.resolve(ROOT, '../shared');
export const IMAGES_DIR = path.join(SHARED, 'images');
export const REFERENCE_PATH = path.join(SHARED, 'reference', 'sklearn-kmeans.json');
export const HAVE_IMAGES = existsSync(IMAGES_DIR);
export const HAVE_REFERENCE = existsSync(REFERENCE_PATH);

/** The test images in ../shared/images (sorted), or [] when the folder is absent. */
export function sharedImageNames(): string[] {
  if (!HAVE_IMAGES) return [];
  return readdirSync(IMAGES_DIR).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
}

/** Decode an image as 8-bit RGBA (alpha 255 added when the file has none), as a plain Uint8Array. */
export async function loadRGBA(file: string): Promise<RGBAImage> {
  const full = path.isAbsolute(file) ? file : path.join(IMAGES_DIR, file);
  const { data, info } = await sharp(full).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(4);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** The RGB bytes of an RGBA image (alpha dropped), row-major: what the reference hashes. */
export function rgbBytes(image: RGBAImage): Uint8Array {
  const pixels = image.width * image.height;
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    out[p * 3] = image.data[p * 4]!; out[p * 3 + 1] = image.data[p * 4 + 1]!; out[p * 3 + 2] = image.data[p * 4 + 2]!;
  }
  return out;
}

export interface ReferenceCase {
  sklearn_best_inertia: number;
  init: [number, number, number][];
  lloyd_f64: { iterations: number; inertia: number; centroids: number[][] };
  lloyd_f32: { iterations: number; inertia: number; centroids: number[][] };
}
export interface ReferenceImage {
  width: number; height: number; pixels: number; distinct_colours: number; rgb_sha256: string;
  k: Record<string, ReferenceCase>;
}
export interface Reference { ks: number[]; images: Record<string, ReferenceImage> }

export function loadReference(): Reference {
  return JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as Reference;
}

export type Pixel = readonly [number, number, number] | readonly [number, number, number, number];

/** An RGBA image from a list of pixels ([r, g, b] is opaque), `width` per row (default: one row). */
export function image(pixels: readonly Pixel[], width = pixels.length): RGBAImage {
  const height = pixels.length / width;
  if (!Number.isInteger(height)) throw new Error(`${pixels.length} pixels do not fill rows of ${width}`);
  const data = new Uint8Array(pixels.length * 4);
  pixels.forEach((p, i) => { data.set([p[0], p[1], p[2], p[3] ?? 255], i * 4); });
  return { data, width, height };
}

export interface Counts { opaque: number; distinct: number }

/** Opaque (alpha > 0) pixels and their distinct RGB colours. */
export function countColours(img: RGBAImage): Counts {
  const seen = new Set<number>();
  let opaque = 0;
  for (let p = 0; p < img.width * img.height; p++) {
    if (img.data[p * 4 + 3] === 0) continue;
    opaque++;
    seen.add((img.data[p * 4]! << 16) | (img.data[p * 4 + 1]! << 8) | img.data[p * 4 + 2]!);
  }
  return { opaque, distinct: seen.size };
}

const f = Math.fround;

/** Squared distance in f32, rounded after every operation in the kernel's order ((dx*dx + dy*dy) + dz*dz). */
export function f32Distance(px: number, py: number, pz: number, c: readonly number[]): number {
  const dx = f(px - c[0]!), dy = f(py - c[1]!), dz = f(pz - c[2]!);
  return f(f(f(dx * dx) + f(dy * dy)) + f(dz * dz));
}

/**
 * Independent recomputation over the opaque pixels of `img`: each pixel's nearest centroid (f32
 * distance, strict < so ties keep the lower index), and the inertia as sum floor(d * 256) / 256.
 */
export function nearest(img: RGBAImage, centroids: readonly (readonly number[])[]): { labels: Int32Array; inertia: number } {
  const pixels = img.width * img.height;
  const labels = new Int32Array(pixels).fill(-1);
  let q = 0;
  for (let p = 0; p < pixels; p++) {
    if (img.data[p * 4 + 3] === 0) continue;
    const x = img.data[p * 4]!, y = img.data[p * 4 + 1]!, z = img.data[p * 4 + 2]!;
    let best = Infinity, bi = -1;
    centroids.forEach((c, j) => {
      const d = f32Distance(x, y, z, c);
      if (d < best) { best = d; bi = j; }
    });
    labels[p] = bi;
    q += Math.floor(best * 256);
  }
  return { labels, inertia: q / 256 };
}

/** Whether some opaque pixel is exactly as far (f32) from two or more of its nearest centroids. */
export function hasTie(img: RGBAImage, centroids: readonly (readonly number[])[]): boolean {
  for (let p = 0; p < img.width * img.height; p++) {
    if (img.data[p * 4 + 3] === 0) continue;
    let best = Infinity, ties = 0;
    for (const c of centroids) {
      const d = f32Distance(img.data[p * 4]!, img.data[p * 4 + 1]!, img.data[p * 4 + 2]!, c);
      if (d < best) { best = d; ties = 1; } else if (d === best) ties++;
    }
    if (ties > 1) return true;
  }
  return false;
}

/** Per cluster: pixel count and the f64 mean of its opaque pixels (NaN when empty). */
export function clusterMeans(img: RGBAImage, labels: ArrayLike<number>, k: number): { counts: number[]; means: number[][] } {
  const sums = Array.from({ length: k }, () => [0, 0, 0]);
  const counts = new Array<number>(k).fill(0);
  for (let p = 0; p < img.width * img.height; p++) {
    if (img.data[p * 4 + 3] === 0) continue;
    const l = labels[p]!;
    counts[l]!++;
    const s = sums[l]!;
    for (let d = 0; d < 3; d++) s[d] = s[d]! + img.data[p * 4 + d]!;
  }
  return { counts, means: sums.map((s, j) => s.map((v) => v / counts[j]!)) };
}

/** Everything a result holds except the timings (which differ run to run) and the toRGBA closure. */
export function comparable(r: KMeansResult): Record<string, unknown> {
  return {
    width: r.width, height: r.height, k: r.k, palette: r.palette,
    labels: { type: r.labels.constructor.name, values: Array.from(r.labels) },
    centroids: r.centroids, inertia: r.inertia, iterations: r.iterations, converged: r.converged,
    history: r.history, warnings: r.warnings, attempt: r.attempt,
    rgba: Array.from(r.toRGBA()),
  };
}

/**
 * Bit-identical comparison of two results. Object.is on every number (so -0 vs 0 and NaN count),
 * with a readable first difference instead of a 100 000-element diff.
 */
export function expectSameResult(a: KMeansResult, b: KMeansResult, what = ''): void {
  const ca = comparable(a), cb = comparable(b);
  const diff = firstDifference(ca, cb, '');
  expect(diff, `${what}: results differ`).toBeUndefined();
}

function firstDifference(a: unknown, b: unknown, at: string): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) ? undefined : `${at}: ${a} vs ${b}`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at}.length: ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${at}: ${String(a)} vs ${String(b)}`;
}

/** Await a promise expected to reject with a KMeansSegError of `code` whose message mentions each item. */
export async function expectKMeansError(promise: Promise<unknown>, code: ErrorCode, ...mentions: (string | RegExp)[]): Promise<KMeansSegError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, `expected a ${code} failure`).toBeInstanceOf(KMeansSegError);
  const e = error as KMeansSegError;
  expect(e.code, e.message).toBe(code);
  for (const m of mentions) {
    if (typeof m === 'string') expect(e.message).toContain(m);
    else expect(e.message).toMatch(m);
  }
  return e;
}

/** Channel values that make ties and duplicate points common. */
export const SMALL_ALPHABET = [0, 1, 2, 128, 255] as const;

export interface ImageArbOptions {
  maxWidth?: number;
  maxHeight?: number;
  /** Draw channels from SMALL_ALPHABET (many ties and duplicates) or from 0-255. */
  alphabet?: 'small' | 'full' | 'mixed';
  /** Allow fully and partly transparent pixels. */
  transparency?: boolean;
}

/**
 * Random RGBA images with at least one visible pixel. Sizes are arbitrary (not multiples of 8, so the
 * SIMD body and the scalar tail both run); alpha is mostly 255, sometimes 0 or partial.
 */
export function imageArb(o: ImageArbOptions = {}): fc.Arbitrary<RGBAImage> {
  const { maxWidth = 24, maxHeight = 12, alphabet = 'mixed', transparency = true } = o;
  const small = fc.constantFrom(...SMALL_ALPHABET);
  const full = fc.integer({ min: 0, max: 255 });
  const channelSet = alphabet === 'small' ? fc.constant(small)
    : alphabet === 'full' ? fc.constant(full)
    : fc.constantFrom(small, full);
  const alpha = transparency
    ? fc.oneof({ weight: 6, arbitrary: fc.constant(255) }, { weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 254 }) })
    : fc.constant(255);
  return fc.record({
    width: fc.integer({ min: 1, max: maxWidth }),
    height: fc.integer({ min: 1, max: maxHeight }),
    channel: channelSet,
  }).chain(({ width, height, channel }) =>
    fc.array(fc.tuple(channel, channel, channel, alpha), { minLength: width * height, maxLength: width * height })
      .map((px) => {
        // At least one visible pixel: an all-transparent image is an error, tested on its own.
        if (px.every((p) => p[3] === 0)) px[0] = [px[0]![0], px[0]![1], px[0]![2], 255];
        return image(px, width);
      }));
}

export type InitChoice = 'kmeans++' | 'random' | 'explicit';

/** Options for a random case: k, seed, init (named, or explicit centroids), iterations, tolerance, attempts. */
export function optionsArb(maxK = 40): fc.Arbitrary<KMeansOptions> {
  // Mostly centroids on the small alphabet (and its midpoints), so that pixels drawn from the same
  // alphabet are often exactly equidistant from two of them; sometimes anything, even off-range.
  const alphabetic = fc.constantFrom(...SMALL_ALPHABET, 0.5, 1.5, 64, 191.5);
  const any = fc.oneof(fc.integer({ min: -20, max: 280 }), fc.float({ min: -10, max: 265, noNaN: true }));
  const centroid = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(alphabetic, alphabetic, alphabetic) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(alphabetic, any), fc.oneof(alphabetic, any), fc.oneof(alphabetic, any)) },
  );
  return fc.record({
    k: fc.integer({ min: 1, max: maxK }),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    init: fc.constantFrom<InitChoice>('kmeans++', 'random', 'explicit'),
    // Explicit centroids: fresh ones mixed with copies from a small pool (duplicates tie everywhere).
    centroids: fc.array(centroid, { minLength: 1, maxLength: 4 }).chain((pool) =>
      fc.array(fc.oneof(centroid, fc.nat().map((i) => pool[i % pool.length]!)), { minLength: 1, maxLength: maxK })),
    maxIterations: fc.oneof(fc.constant(300), fc.integer({ min: 1, max: 6 })),
    tolerance: fc.constantFrom(0, 0.01, 3),
    attempts: fc.integer({ min: 1, max: 3 }),
  }).map(({ k, seed, init, centroids, maxIterations, tolerance, attempts }) =>
    init === 'explicit'
      ? { init: centroids.map((c) => [...c]), seed, maxIterations, tolerance }
      : { k, seed, init, maxIterations, tolerance, attempts });
}

/**
 * A deterministic noise image (mulberry32, independent of src/random.ts): every channel uniform in
 * 0-255, so nearly every pixel is a distinct colour. `levels` < 256 quantises channels to that many
 * values, for images with repeated colours.
 */
export function noiseImage(width: number, height: number, seed: number, levels = 256, transparent = 0): RGBAImage {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const data = new Uint8Array(width * height * 4);
  const step = 255 / Math.max(1, levels - 1);
  for (let p = 0; p < width * height; p++) {
    for (let d = 0; d < 3; d++) data[p * 4 + d] = Math.round(Math.floor(next() * levels) * step);
    data[p * 4 + 3] = p % 16 < transparent ? 0 : 255; // `transparent` pixels in every 16 get alpha 0
  }
  return { data, width, height };
}

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 as PNG chunks carry it, for tests that forge or mutate PNG files. */
export function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * A 16-bit grayscale PNG's header fields and samples, inflated and unfiltered here rather than
 * through a decoder (whose conversions could hide a wrong bit depth or byte order).
 */
export function decodeGrey16(bytes: Uint8Array): { depth: number; colourType: number; interlace: number; samples: Uint16Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8, width = 0, height = 0, depth = 0, colourType = -1, interlace = -1;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at), type = buf.toString('latin1', at + 4, at + 8), body = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') { width = body.readUInt32BE(0); height = body.readUInt32BE(4); depth = body[8]!; colourType = body[9]!; interlace = body[12]!; }
    if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const stride = width * 2, raw = inflateSync(Buffer.concat(idat)), rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const a = x >= 2 ? rows[y * stride + x - 2]! : 0, b = y > 0 ? rows[(y - 1) * stride + x]! : 0;
      const c = x >= 2 && y > 0 ? rows[(y - 1) * stride + x - 2]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!;
      rows[y * stride + x] = (raw[y * (stride + 1) + 1 + x]! + pred) & 255;
    }
  }
  const samples = Uint16Array.from({ length: width * height }, (_, i) => (rows[i * 2]! << 8) | rows[i * 2 + 1]!);
  return { depth, colourType, interlace, samples };
}

/** What a CLI run gave: its exit code and both streams. */
export interface CliRun { code: number; stdout: string; stderr: string }

/** The built CLI (bin/kmeans-seg.js) run as a user runs it, in `cwd`; never rejects. */
export function runCli(args: string[], cwd: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bin', 'kmeans-seg.js'), ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A seeded image: `levels` values a channel, some pixels transparent (any colour) or translucent. */
export function levelsImage(width: number, height: number, seed: number, levels: number, holes: number, translucent: boolean): RGBAImage {
  let a = seed >>> 0;
  const next = (): number => { a = (Math.imul(a, 1664525) + 1013904223) >>> 0; return a >>> 8; };
  const data = new Uint8Array(width * height * 4);
  const step = Math.max(1, Math.floor(256 / levels));
  for (let p = 0; p < width * height; p++) {
    data[p * 4] = (next() % levels) * step; data[p * 4 + 1] = (next() % levels) * step; data[p * 4 + 2] = (next() % levels) * step;
    const r = next() % 1000;
    data[p * 4 + 3] = r < holes ? 0 : translucent && r < holes + 20 ? 1 + (r % 254) : 255;
  }
  return { data, width, height };
}

/** A coordinate of a weighted point set: the small alphabet (ties), any byte, or a 1/256-grid value far outside the cube. */
export const pointCoordinateArb = fc.oneof(fc.constantFrom(...SMALL_ALPHABET), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -300 * 256, max: 600 * 256 }).map((m) => m / 256));

/** n weights of a kind: 'large' up to 40,000, 'zeros' from 0 up to 50, anything else 1 to 50. */
export function weightsArb(kind: string, n: number): fc.Arbitrary<number[]> {
  return fc.array(kind === 'large' ? fc.integer({ min: 1, max: 40_000 }) : fc.integer({ min: kind === 'zeros' ? 0 : 1, max: 50 }), { minLength: n, maxLength: n });
}

/** The x, y and z planes as f32, every seventh value moved off the 1/256 grid when `offGrid`. */
export function pointPlanes(planes: number[][], offGrid: boolean): Float32Array[] {
  return planes.map((p) => Float32Array.from(p, (v, i) => (offGrid && i % 7 === 0 ? v + 1 / 3 : v)));
}
