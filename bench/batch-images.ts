// The batch suite's inputs: BATCH_COUNT PNGs of 672 x 448 (0.3 MP) in bench/images/batch/, each a
// different seeded crop of coffee.png or astronaut.png (scale, offset, mirror) with seeded noise, so
// no two files share their pixels; the same files for every tool. A manifest records the recipe.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { addNoise, countColours, writePNG } from './images.js';
import { IMAGES_DIR, SHARED_IMAGES } from './lib.js';

export const BATCH_COUNT = 40;
export const BATCH_WIDTH = 672;
export const BATCH_HEIGHT = 448;
export const BATCH_DIR = path.join(IMAGES_DIR, 'batch');
const MANIFEST = path.join(IMAGES_DIR, 'batch.json');
const SOURCES = ['coffee.png', 'astronaut.png'];

export interface BatchFile {
  file: string;
  source: string;
  /** The source is resized to cover width x height, then the crop's window is cut out of it. */
  resized: { width: number; height: number };
  crop: { left: number; top: number };
  flop: boolean;
  noise: number;
  seed: number;
  distinctColours: number;
}

export interface BatchSet { width: number; height: number; files: BatchFile[] }

/** xorshift32 draws in [0, n): the recipe depends on the index alone. */
function draws(seed: number): (n: number) => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return (n) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return n > 0 ? s % n : 0; };
}

/** File i: source i % 2, scaled 1.0-1.5x beyond the frame, a random window, every 4th mirrored, noise +-4. */
function recipe(i: number): Omit<BatchFile, 'distinctColours'> {
  const next = draws(i + 1);
  const scale = 1 + next(6) / 10;
  const width = Math.round(BATCH_WIDTH * scale), height = Math.round(BATCH_HEIGHT * scale);
  return {
    file: path.join(BATCH_DIR, `batch-${String(i).padStart(2, '0')}.png`),
    source: SOURCES[i % SOURCES.length]!,
    resized: { width, height },
    crop: { left: next(width - BATCH_WIDTH + 1), top: next(height - BATCH_HEIGHT + 1) },
    flop: i % 4 === 3, noise: 4, seed: 1000 + i,
  };
}

async function makeFile(r: Omit<BatchFile, 'distinctColours'>): Promise<BatchFile> {
  const src = path.join(SHARED_IMAGES, r.source);
  if (!existsSync(src)) throw new Error(`Source image ${src} not found: the benchmark reads ../shared/images/${r.source} beside the repository`);
  // fit 'cover' keeps the aspect; the crop then cuts the frame out of the resized picture.
  const { data } = await sharp(src).removeAlpha()
    .resize(r.resized.width, r.resized.height, { kernel: 'lanczos3', fit: 'cover' })
    .extract({ left: r.crop.left, top: r.crop.top, width: BATCH_WIDTH, height: BATCH_HEIGHT })
    .flop(r.flop).raw().toBuffer({ resolveWithObject: true });
  addNoise(data, r.noise, r.seed);
  await writePNG(r.file, data, BATCH_WIDTH, BATCH_HEIGHT);
  return { ...r, distinctColours: countColours(data, 3) };
}

/** Make the set unless its manifest and every file exist; return the manifest either way. */
export async function ensureBatch(log = console.log): Promise<BatchSet> {
  if (existsSync(MANIFEST)) {
    const set = JSON.parse(await fs.readFile(MANIFEST, 'utf8')) as BatchSet;
    if (set.files.length === BATCH_COUNT && set.files.every((f) => existsSync(f.file))) {
      log(`  batch: present, ${set.files.length} PNGs of ${set.width} x ${set.height} (${path.relative(process.cwd(), BATCH_DIR)})`);
      return set;
    }
  }
  await fs.mkdir(BATCH_DIR, { recursive: true });
  const t0 = performance.now();
  const files: BatchFile[] = [];
  for (let i = 0; i < BATCH_COUNT; i++) files.push(await makeFile(recipe(i)));
  const set: BatchSet = { width: BATCH_WIDTH, height: BATCH_HEIGHT, files };
  await fs.writeFile(MANIFEST, JSON.stringify(set, null, 1) + '\n');
  const colours = files.map((f) => f.distinctColours);
  log(`  batch: made ${files.length} PNGs of ${BATCH_WIDTH} x ${BATCH_HEIGHT} in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
    `${Math.min(...colours).toLocaleString('en')}-${Math.max(...colours).toLocaleString('en')} distinct colours each`);
  return set;
}
