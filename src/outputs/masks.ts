/**
 * One 1-bit mask PNG per cluster, in a folder. Invariant: the masks partition the clustered pixels,
 * and every mask's name is checked before the first one is written.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KMeansSegError } from '../errors.js';
import { checkEncodable } from '../io/encode.js';
import { refuseNonRegular, type WriteOptions } from '../io/output-path.js';
import { OutputSet } from '../io/output-set.js';
import { pngFile, rowBytes } from '../io/png-writer.js';
import { MAX_K } from '../limits.js';
import type { Labelled } from '../types.js';
import { checkHelperOptions, checkInteger, checkLabelled, invalidOption, WRITE_OPTIONS, quote } from '../validate.js';

/**
 * `mask-00.png` ... : two digits at least, more when k > 100, so the names sort in label order.
 * @throws ERR_INVALID_OPTION for a k outside 1-65536 or a label outside 0 to k - 1.
 */
export function maskName(label: number, k: number): string {
  checkInteger(k, 'k', 1, MAX_K, 'pass the number of clusters, result.k');
  checkInteger(label, 'label', 0, k - 1, 'a label is 0 to k - 1');
  return `mask-${String(label).padStart(Math.max(2, String(k - 1).length), '0')}.png`;
}

/**
 * One 1-bit grayscale PNG per cluster: white (1, which readers give as 255) where the pixel has that
 * label, black (0) elsewhere. The masks partition the clustered pixels; fully transparent pixels are
 * black in every mask. An eighth of the raw bytes of 8-bit masks: smaller files, written far faster.
 *
 * @throws ERR_INVALID_OPTION when `result` is no { width, height, k, labels } that agree (see
 *   checkLabelled); ERR_WRITE when zlib fails.
 */
export async function masksPNG(result: Labelled): Promise<Buffer[]> {
  checkLabelled(result);
  const { width, height, k, labels } = result;
  const stride = rowBytes(width, 1) + 1;
  // The planes of a group of masks are filled in one pass over the labels; groups keep them within PLANE_BYTES.
  const group = Math.max(1, Math.min(k, Math.floor(PLANE_BYTES / (stride * height))));
  const out: Buffer[] = [];
  for (let first = 0; first < k; first += group) {
    const planes = maskPlanes(labels, width, height, first, Math.min(k, first + group));
    out.push(...(await Promise.all(planes.map((raw, i) => pngFile({ width, height, depth: 1, colorType: 0 }, raw, `mask ${first + i}`)))));
  }
  return out;
}

/** At most this many bytes of mask scanlines at once (a 12 MP image's 16 masks take 24 MB). */
const PLANE_BYTES = 64 << 20;

/** The 1-bit scanlines (each led by filter byte 0) of the masks of labels `from` to `to` - 1 (exported for its test). */
export function maskPlanes(labels: Labelled['labels'], width: number, height: number, from: number, to: number): Uint8Array[] {
  const stride = rowBytes(width, 1) + 1;
  const planes = Array.from({ length: to - from }, () => new Uint8Array(stride * height));
  for (let y = 0, p = 0; y < height; y++) {
    const row = y * stride + 1;
    for (let x = 0; x < width; x++, p++) {
      const j = labels[p]! - from;
      if (j >= 0 && j < planes.length) planes[j]![row + (x >>> 3)] |= 0x80 >>> (x & 7);
    }
  }
  return planes;
}

/** Whether `name` is maskName(j, k') for some k' <= k: a file of that name in the masks folder may be overwritten by a mask. */
export function couldBeMaskName(name: string, k: number): boolean {
  const m = /^mask-(\d+)\.png$/i.exec(name);
  if (m === null) return false;
  const digits = m[1]!, label = Number(digits);
  const widthFor = (kk: number): number => Math.max(2, String(kk - 1).length);
  return label < k && String(label).padStart(digits.length, '0') === digits && digits.length >= widthFor(label + 1) && digits.length <= widthFor(k);
}

/**
 * Write one mask per cluster into `dir` as mask-00.png, mask-01.png, ... (see maskName), creating the
 * folder (and its parents) when missing. All or nothing: every name is checked, and every mask is
 * written to a temporary file, before the first is renamed into place (see OutputSet). Returns the
 * paths written. With `force`, masks of an earlier run with a larger k are left in place.
 *
 * @throws the errors of checkMaskDir; ERR_OUTPUT_DIR when the folder cannot be created; ERR_WRITE
 *   when a mask cannot be written.
 */
export async function saveMasks(result: Labelled, dir: string, options: WriteOptions = {}): Promise<string[]> {
  checkLabelled(result);
  checkHelperOptions(options, WRITE_OPTIONS, 'saveMasks', '{ force: true }');
  const set = new OutputSet();
  const files = await planMasks(result, dir, options, set);
  await set.run(() => stageMasks(result, dir, files, set));
  return files;
}

/**
 * Check the masks of `result` in `dir` (see checkMaskDir) and plan each in `set` (see OutputSet.plan),
 * before any is written. Returns their paths.
 *
 * @throws the errors of checkMaskDir and OutputSet.plan; ERR_OUTPUT_FORMAT for an image wider or taller than PNG holds.
 */
export async function planMasks(result: Labelled, dir: string, options: WriteOptions, set: OutputSet): Promise<string[]> {
  await checkMaskDir(dir, result.k, options);
  const files = Array.from({ length: result.k }, (_, j) => path.join(dir, maskName(j, result.k)));
  if (files.length > 0) checkEncodable(result.width, result.height, 'png', files[0]!);
  for (const file of files) await set.plan(file, 'mask');
  return files;
}

/** Make the folder (when missing) and stage each mask of `files` (from planMasks) in `set`. */
export async function stageMasks(result: Labelled, dir: string, files: readonly string[], set: OutputSet): Promise<void> {
  await set.makeFolder(dir, 'masks folder', 'check that its parent is writable, or pass another --masks folder');
  const images = await masksPNG(result);
  for (let j = 0; j < files.length; j++) await set.stage(files[j]!, images[j]!);
}

/**
 * Check a masks folder before any work: it may be missing (it will be created) or an existing
 * folder, not a file; with `k` known, none of the mask files may exist unless `force`, and none may be
 * a special file (a device, a FIFO, a directory, or a link to one) even then (see refuseNonRegular).
 *
 * @throws ERR_INVALID_OPTION for an empty path; ERR_OUTPUT_DIR when the folder or an ancestor is a
 *   file; ERR_OUTPUT_EXISTS when a mask exists and `force` is not set, or is a special file.
 */
export async function checkMaskDir(dir: string, k: number | undefined, options: WriteOptions = {}): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw invalidOption('masks folder', 'a folder path such as "masks"', dir);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat === undefined) return checkCanCreate(dir);
  if (!stat.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_DIR', `The masks folder ${quote(dir)} is a file, not a folder: pass a folder (it is created when missing)`);
  }
  if (k === undefined) return;
  for (let j = 0; j < k; j++) {
    const file = path.join(dir, maskName(j, k));
    await refuseNonRegular(file, 'mask');
    if (!options.force && (await fs.lstat(file).then(() => true, () => false))) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `The mask ${quote(file)} already exists: pass --force / force: true to overwrite the masks, or choose another folder`);
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
        throw new KMeansSegError('ERR_OUTPUT_DIR', `Cannot create the masks folder ${quote(dir)}: ${quote(up)} is a file, not a folder; choose another folder`);
      }
      return;
    }
    const next = path.dirname(up);
    if (next === up) return;
    up = next;
  }
}
