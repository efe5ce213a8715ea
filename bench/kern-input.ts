// The input of the kernel-only scripts (kern-stages.ts, kern-ab.ts, kern-ab-tree.ts): the 12 MP photo-like
// image as RGBA, from a raw file ($KERN_RGBA, 4256 x 2848, written on first use) or decoded by sharp
// from the bench's photo-12mp.png (npm run bench:images makes it).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ensureImage } from './images.js';

export interface RawImage { data: Uint8Array; width: number; height: number }

export async function kernPhoto(): Promise<RawImage> {
  const raw = process.env.KERN_RGBA ?? path.join(os.tmpdir(), 'kmeans-seg-kern-photo.rgba');
  const width = 4256, height = 2848;
  if (existsSync(raw)) return { data: new Uint8Array(readFileSync(raw)), width, height };
  const info = await ensureImage('photo-12mp');
  const { data, info: got } = await sharp(info.file, { limitInputPixels: false }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  if (got.width !== width || got.height !== height) throw new Error(`${info.file} is ${got.width} x ${got.height}, not ${width} x ${height}`);
  writeFileSync(raw, data);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}
