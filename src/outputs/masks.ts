/**
 * One 8-bit mask PNG per cluster, in a folder. Invariant: the masks partition the clustered pixels,
 * and every mask's name is checked before the first one is written.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KMeansSegError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { makeFolder, type WriteOptions } from '../io/output-path.js';
import { loadSharp } from '../io/sharp.js';
import type { Labelled } from '../types.js';
import { invalidOption } from '../validate.js';

/** `mask-00.png` ... : two digits at least, more when k > 100, so the names sort in label order. */
export function maskName(label: number, k: number): string {
  return `mask-${String(label).padStart(Math.max(2, String(k - 1).length), '0')}.png`;
}

/**
 * One 8-bit grayscale PNG per cluster: 255 where the pixel has that label, 0 elsewhere. The masks
 * partition the clustered pixels; fully transparent pixels are 0 in every mask.
 *
 * @throws ERR_BACKEND when sharp cannot be loaded.
 */
export async function masksPNG(result: Labelled): Promise<Buffer[]> {
  const { width, height, k, labels } = result;
  const sharp = await loadSharp();
  const mask = new Uint8Array(width * height);
  const out: Buffer[] = [];
  for (let j = 0; j < k; j++) {
    for (let p = 0; p < mask.length; p++) mask[p] = labels[p] === j ? 255 : 0;
    out.push(await sharp(mask, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer());
  }
  return out;
}

/**
 * Write one mask per cluster into `dir` as mask-00.png, mask-01.png, ... (see maskName), creating the
 * folder (and its parents) when missing. Every name is checked before the first file is written.
 * Returns the paths written. With `force`, masks of an earlier run with a larger k are left in place.
 *
 * @throws the errors of checkMaskDir; ERR_OUTPUT_DIR when the folder cannot be created; ERR_WRITE
 *   when a mask cannot be written; ERR_BACKEND when sharp cannot be loaded.
 */
export async function saveMasks(result: Labelled, dir: string, options: WriteOptions = {}): Promise<string[]> {
  await checkMaskDir(dir, result.k, options);
  const files = Array.from({ length: result.k }, (_, j) => path.join(dir, maskName(j, result.k)));
  const images = await masksPNG(result);
  await makeFolder(dir, 'masks folder', 'check that its parent is writable, or pass another --masks folder');
  for (let j = 0; j < files.length; j++) await writeFileAtomic(files[j]!, images[j]!);
  return files;
}

/**
 * Check a masks folder before any work: it may be missing (it will be created) or an existing
 * folder, not a file; with `k` known, none of the mask files may exist unless `force`.
 *
 * @throws ERR_INVALID_OPTION for an empty path; ERR_OUTPUT_DIR when the folder or an ancestor is a
 *   file; ERR_OUTPUT_EXISTS when a mask exists and `force` is not set.
 */
export async function checkMaskDir(dir: string, k: number | undefined, options: WriteOptions = {}): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw invalidOption('masks folder', 'a folder path such as "masks"', dir);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat === undefined) return checkCanCreate(dir);
  if (!stat.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_DIR', `The masks folder ${JSON.stringify(dir)} is a file, not a folder: pass a folder (it is created when missing)`);
  }
  if (k === undefined || options.force) return;
  for (let j = 0; j < k; j++) {
    const file = path.join(dir, maskName(j, k));
    if (await fs.stat(file).then(() => true, () => false)) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `The mask ${JSON.stringify(file)} already exists: pass --force / force: true to overwrite the masks, or choose another folder`);
    }
  }
}

/** A missing masks folder will be created, but an ancestor that is a file would make that fail later. */
async function checkCanCreate(dir: string): Promise<void> {
  let up = path.dirname(path.resolve(dir));
  for (;;) {
    const s = await fs.stat(up).catch(() => undefined);
    if (s !== undefined) {
      if (!s.isDirectory()) {
        throw new KMeansSegError('ERR_OUTPUT_DIR', `Cannot create the masks folder ${JSON.stringify(dir)}: ${JSON.stringify(up)} is a file, not a folder; choose another folder`);
      }
      return;
    }
    const next = path.dirname(up);
    if (next === up) return;
    up = next;
  }
}
