// The benchmark's input images, generated once into bench/images/ (gitignored), each with a sidecar
// JSON that records its recipe and distinct colour count: the shared photos resized with lanczos3,
// the 12 MP photo-like image with seeded noise (the photo issue 12 was measured on, byte for byte).
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { IMAGES_DIR, SHARED_IMAGES } from './lib.js';

export type ImageName = '1mp' | '12mp' | '50mp' | 'photo-12mp';

export interface Recipe {
  source: string;
  width: number;
  height: number;
  /** 'fill' stretches (coffee.png is already 3:2), 'cover' crops to the aspect. */
  fit: 'fill' | 'cover';
  /** Seeded uniform noise in [-noise, noise] per channel, 0 for none. */
  noise: number;
  seed: number;
}

/**
 * The coffee images keep their names and recipe (3:2 like the source, except 12 MP, the usual
 * 4000 x 3000 camera frame). photo-12mp is astronaut.png with noise: 1.4 M distinct colours, as a
 * real 12 MP photo has, so the colour histogram cannot flatter kmeans-seg.
 */
export const RECIPES: Record<ImageName, Recipe> = {
  '1mp': { source: 'coffee.png', width: 1200, height: 800, fit: 'fill', noise: 0, seed: 0 },
  '12mp': { source: 'coffee.png', width: 4000, height: 3000, fit: 'fill', noise: 0, seed: 0 },
  '50mp': { source: 'coffee.png', width: 8660, height: 5774, fit: 'fill', noise: 0, seed: 0 },
  'photo-12mp': { source: 'astronaut.png', width: 4256, height: 2848, fit: 'cover', noise: 8, seed: 12345 },
};
/** Kept for callers that list the sizes. */
export const SIZES = RECIPES;
export const SOURCE = 'coffee.png';

export interface ImageInfo extends Recipe {
  name: ImageName;
  file: string;
  distinctColours: number;
  kernel: 'lanczos3';
}

const baseName = (name: ImageName): string => (name.startsWith('photo') ? name : `coffee-${name}`);
export const imageFile = (name: ImageName): string => path.join(IMAGES_DIR, `${baseName(name)}.png`);
const infoFile = (name: ImageName): string => path.join(IMAGES_DIR, `${baseName(name)}.json`);

/** Distinct RGB triples in interleaved 8-bit pixels with `channels` bytes each. */
export function countColours(data: Uint8Array, channels: number): number {
  const seen = new Uint8Array(1 << 24);
  let n = 0;
  for (let o = 0; o < data.length; o += channels) {
    const key = (data[o]! << 16) | (data[o + 1]! << 8) | data[o + 2]!;
    if (seen[key] === 0) { seen[key] = 1; n++; }
  }
  return n;
}

/**
 * Add uniform noise in [-range, range] to every byte, clamped, from a xorshift32 seeded with `seed`:
 * one draw per byte, `u32 % (2 range + 1) - range`: the recipe of the photo issue 12 was measured on.
 */
export function addNoise(data: Uint8Array, range: number, seed: number): void {
  let s = seed >>> 0;
  const span = 2 * range + 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const v = data[i]! + (s % span) - range;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/** The recipe's pixels, 3 bytes each: resized from the shared photo, with its noise. */
export async function recipePixels(r: Recipe): Promise<{ data: Uint8Array; width: number; height: number }> {
  const src = path.join(SHARED_IMAGES, r.source);
  if (!existsSync(src)) throw new Error(`Source image ${src} not found: the benchmark reads ../shared/images/${r.source} beside the repository`);
  const { data } = await sharp(src).removeAlpha().resize(r.width, r.height, { kernel: 'lanczos3', fit: r.fit })
    .raw().toBuffer({ resolveWithObject: true });
  if (r.noise > 0) addNoise(data, r.noise, r.seed);
  return { data, width: r.width, height: r.height };
}

/** Encode 3-channel pixels as a PNG through a temporary name, so a killed run leaves no half file. */
export async function writePNG(file: string, data: Uint8Array, width: number, height: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await sharp(data, { raw: { width, height, channels: 3 }, limitInputPixels: false }).png().toFile(tmp);
  await fs.rename(tmp, file);
}

/**
 * Create the image unless it (and its sidecar) already exist; return its description either way.
 * lanczos3 invents in-between colours the way a real high-resolution photo has them, so the colour
 * histogram stays large and its shortcut cannot hide the per-pixel cost.
 */
export async function ensureImage(name: ImageName, log = console.log): Promise<ImageInfo> {
  const file = imageFile(name);
  if (existsSync(file) && existsSync(infoFile(name))) {
    const info = JSON.parse(await fs.readFile(infoFile(name), 'utf8')) as ImageInfo;
    log(`  ${name}: present, ${info.width} x ${info.height}, ${info.distinctColours.toLocaleString('en')} distinct colours (${path.relative(process.cwd(), file)})`);
    return { ...info, file };
  }
  const recipe = RECIPES[name];
  await fs.mkdir(IMAGES_DIR, { recursive: true });
  const t0 = performance.now();
  const { data, width, height } = await recipePixels(recipe);
  await writePNG(file, data, width, height);
  const info: ImageInfo = { name, file, ...recipe, distinctColours: countColours(data, 3), kernel: 'lanczos3' };
  await fs.writeFile(infoFile(name), JSON.stringify(info, null, 2) + '\n');
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  log(`  ${name}: made ${width} x ${height} in ${seconds} s, ${info.distinctColours.toLocaleString('en')} distinct colours (${(info.distinctColours / (width * height) * 100).toFixed(1)}% of pixels)`);
  return info;
}
