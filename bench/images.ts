// The benchmark's input images: the shared test photo upscaled with lanczos3, generated once into
// bench/images/ (gitignored), each with a sidecar JSON that records its distinct colour count.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { IMAGES_DIR, SHARED_IMAGES } from './lib.js';

export type ImageName = '1mp' | '12mp' | '50mp';

/** 3:2 like the source (coffee.png is 600 x 400), except 12 MP, which is the usual 4000 x 3000 camera frame. */
export const SIZES: Record<ImageName, { width: number; height: number }> = {
  '1mp': { width: 1200, height: 800 },
  '12mp': { width: 4000, height: 3000 },
  '50mp': { width: 8660, height: 5774 },
};

export const SOURCE = 'coffee.png';

export interface ImageInfo {
  name: ImageName;
  file: string;
  width: number;
  height: number;
  distinctColours: number;
  source: string;
  kernel: 'lanczos3';
}

export const imageFile = (name: ImageName): string => path.join(IMAGES_DIR, `coffee-${name}.png`);
const infoFile = (name: ImageName): string => path.join(IMAGES_DIR, `coffee-${name}.json`);

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
  const { width, height } = SIZES[name];
  const src = path.join(SHARED_IMAGES, SOURCE);
  if (!existsSync(src)) throw new Error(`Source image ${src} not found: the benchmark reads ../shared/images/${SOURCE} beside the repository`);
  await fs.mkdir(IMAGES_DIR, { recursive: true });
  const t0 = performance.now();
  const tmp = `${file}.${process.pid}.tmp`;
  await sharp(src).resize(width, height, { kernel: 'lanczos3', fit: 'fill' }).png().toFile(tmp);
  await fs.rename(tmp, file);
  const { data, info: raw } = await sharp(file, { limitInputPixels: false }).raw().toBuffer({ resolveWithObject: true });
  const info: ImageInfo = {
    name, file, width, height, distinctColours: countColours(data, raw.channels), source: SOURCE, kernel: 'lanczos3',
  };
  await fs.writeFile(infoFile(name), JSON.stringify(info, null, 2) + '\n');
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  log(`  ${name}: made ${width} x ${height} in ${seconds} s, ${info.distinctColours.toLocaleString('en')} distinct colours (${(info.distinctColours / (width * height) * 100).toFixed(1)}% of pixels)`);
  return info;
}
