// The decoded test image and the initial centroids every K-means suite starts from, drawn once so
// kmeans-seg (histogram on and off) and the peers (here and in peers.py) do the same work.
import './src-platform.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../src/io/decode.js';
import { kmeans } from '../src/core/kmeans.js';
import type { RGBAImage } from '../src/types.js';
import { ensureImage, type ImageInfo, type ImageName } from './images.js';
import { RESULTS_DIR } from './lib.js';

export interface Inputs {
  info: ImageInfo;
  image: RGBAImage;
  k: number;
  iterations: number;
  /** K initial centroids [r, g, b]: k-means++ draws (seed 1) over the image's colours. */
  init: number[][];
  /** Peers run on every `peerStride`-th pixel (they are ~20x slower): rates stay comparable. */
  peerStride: number;
}

export async function loadInputs(quick: boolean): Promise<Inputs> {
  const name: ImageName = quick ? '1mp' : '12mp';
  const info = await ensureImage(name);
  const t0 = performance.now();
  const decoded = await decodeImage(info.file, { limitInputPixels: false });
  console.log(`  decoded ${name} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const image = { data: decoded.data, width: decoded.width, height: decoded.height };
  const k = 16;
  // One pass with k-means++ returns the initial centroids unchanged: the pass assigns, nothing moves.
  const first = await kmeans(image, { k, seed: 1, maxIterations: 1 });
  const init = first.centroids.map((c) => c.map((v) => Math.round(v)));
  const inputs: Inputs = { info, image, k, iterations: 20, init, peerStride: quick ? 4 : 12 };
  await fs.mkdir(RESULTS_DIR, { recursive: true });
  await fs.writeFile(path.join(RESULTS_DIR, 'init.json'), JSON.stringify({
    image: info.file, width: image.width, height: image.height, k, iterations: inputs.iterations,
    peerStride: inputs.peerStride, centroids: init,
  }, null, 1) + '\n');
  return inputs;
}

/** Every `stride`-th pixel, as an RGBA image one row high. */
export function subset(image: RGBAImage, stride: number): RGBAImage {
  const n = Math.ceil((image.width * image.height) / stride);
  const data = new Uint8Array(n * 4);
  for (let i = 0, p = 0; i < n; i++, p += stride) data.set(image.data.subarray(p * 4, p * 4 + 4), i * 4);
  return { data, width: n, height: 1 };
}
