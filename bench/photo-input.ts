// The input of the in-memory Performance II suites (strongest, default): the 12 MP photo-like image
// (the 1 MP coffee image with --quick) decoded once by sharp, as RGBA for kmeans-seg and as raw RGB
// bytes in a file for bench/peers.py, and K = 16 initial centroids every implementation starts from.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ensureImage, type ImageInfo } from './images.js';
import { kmeans, type RGBAImage } from './package.js';

export interface Photo {
  info: ImageInfo;
  image: RGBAImage;
  /** The same pixels, 3 bytes each, written for peers.py (remove with dispose()). */
  rawFile: string;
  k: number;
  passes: number;
  /** k-means++ draws (seed 1) over the image, rounded: exact in every peer's number type. */
  init: number[][];
  dispose(): Promise<void>;
}

export async function loadPhoto(quick: boolean): Promise<Photo> {
  const info = await ensureImage(quick ? '1mp' : 'photo-12mp');
  const t0 = performance.now();
  const { data, info: raw } = await sharp(info.file, { limitInputPixels: false }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const n = raw.width * raw.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    rgba[i * 4] = data[o]!; rgba[i * 4 + 1] = data[o + 1]!; rgba[i * 4 + 2] = data[o + 2]!; rgba[i * 4 + 3] = 255;
  }
  const rawFile = path.join(os.tmpdir(), `kmeans-seg-bench-${process.pid}-${info.name}.rgb`);
  await fs.writeFile(rawFile, data);
  console.log(`  decoded ${info.name} (${raw.width} x ${raw.height}, ${info.distinctColours.toLocaleString('en')} colours) in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const image: RGBAImage = { data: rgba, width: raw.width, height: raw.height };
  const k = 16;
  // One pass returns the k-means++ centroids unchanged: the pass assigns, nothing moves.
  const first = await kmeans(image, { k, seed: 1, maxIterations: 1 });
  const init = first.centroids.map((c) => c.map((v) => Math.round(v)));
  return { info, image, rawFile, k, passes: 20, init, dispose: () => fs.rm(rawFile, { force: true }) };
}
