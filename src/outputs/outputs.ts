/**
 * What a segmentation can be saved as besides the recoloured image: the label map, one mask per
 * cluster, the palette (JSON or GIMP .gpl) and the segment borders drawn over the original. Each has
 * an in-memory form (bytes or text, for callers who store things their own way) and a `save*` that
 * checks the path first and writes atomically (image-io's writeFileAtomic), like `result.save`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ColorSpace } from '../core/colorspace.js';
import { KMeansSegError } from '../errors.js';
import { encodeImage, writeFileAtomic } from '../io/image-io.js';
import type { KMeansResult, RGBAImage } from '../types.js';
import { invalidOption } from '../validate.js';

export interface WriteOptions {
  /** Replace existing files (and the input, if a path names it). Default false. */
  force?: boolean;
  /** The image the result was computed from, so an output naming the same file is refused without `force`. */
  inputPath?: string;
}

type Sharp = typeof import('sharp').default;
// Loaded on first use, as in image-io.ts: importing the package must not need sharp's native binary.
const loadSharp = (): Promise<Sharp> => import('sharp').then((m) => m.default);

type Labelled = Pick<KMeansResult, 'width' | 'height' | 'k' | 'labels'>;

// ---------------------------------------------------------------------------------------------------
// Label map

/**
 * The label map as a grayscale PNG: each pixel's value is its label (0 to k-1; k for fully
 * transparent pixels), unscaled, so a reader gets `result.labels` back exactly. 8 bits per pixel when
 * the labels are a Uint8Array (every label, k included, fits in 0-255), 16 bits otherwise. PNG holds
 * at most 16 bits, so the one case of 32-bit labels (k = 65536 with transparent pixels) is refused.
 */
export async function labelsPNG(result: Labelled): Promise<Buffer> {
  const { width, height, labels } = result;
  if (labels instanceof Uint32Array) {
    throw new KMeansSegError('ERR_OUTPUT_FORMAT',
      `The labels run to ${result.k} (k = ${result.k} plus the label of transparent pixels), more than the 16 bits a PNG holds: use k <= 65535, or an image without transparent pixels`);
  }
  const sharp = await loadSharp();
  // sharp takes the sample depth from the typed array; the colourspace makes the PNG grayscale
  // (colour type 0) at that depth instead of RGB.
  const sixteen = labels instanceof Uint16Array;
  return sharp(labels, { raw: { width, height, channels: 1 } })
    .toColourspace(sixteen ? 'grey16' : 'b-w')
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** Write the label map (see labelsPNG) to `file`, which must end in .png. */
export async function saveLabels(result: Labelled, file: string, options: WriteOptions = {}): Promise<void> {
  await checkFile(file, { ...options, extensions: ['.png'], what: 'label map' });
  await writeFileAtomic(file, await labelsPNG(result));
}

// ---------------------------------------------------------------------------------------------------
// Masks

/** `mask-00.png` ... : two digits at least, more when k > 100, so the names sort in label order. */
export function maskName(label: number, k: number): string {
  return `mask-${String(label).padStart(Math.max(2, String(k - 1).length), '0')}.png`;
}

/**
 * One 8-bit grayscale PNG per cluster: 255 where the pixel has that label, 0 elsewhere. The masks
 * partition the clustered pixels; fully transparent pixels are 0 in every mask.
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
 */
export async function saveMasks(result: Labelled, dir: string, options: WriteOptions = {}): Promise<string[]> {
  await checkMaskDir(dir, result.k, options);
  const files = Array.from({ length: result.k }, (_, j) => path.join(dir, maskName(j, result.k)));
  const images = await masksPNG(result);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new KMeansSegError('ERR_OUTPUT_DIR',
      `Could not create the masks folder ${JSON.stringify(dir)} (${(error as { code?: string }).code ?? (error as Error).message}): check that its parent is writable, or pass another --masks folder`,
      { cause: error });
  }
  for (let j = 0; j < files.length; j++) await writeFileAtomic(files[j]!, images[j]!);
  return files;
}

/**
 * Check a masks folder before any work: it may be missing (it will be created) or an existing
 * folder, not a file; with `k` known, none of the mask files may exist unless `force`.
 */
export async function checkMaskDir(dir: string, k: number | undefined, options: WriteOptions = {}): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw invalidOption('masks folder', 'a folder path such as "masks"', dir);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat === undefined) {
    // Missing: it will be created, but an ancestor that is a file would make that fail later.
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

// ---------------------------------------------------------------------------------------------------
// Palette

export interface PaletteFileOptions {
  /** The space the result was clustered in; when given, the JSON also holds `colorSpace` and the exact `centroids` in that space. */
  colorSpace?: ColorSpace;
  /** GIMP palette name. Default "kmeans-seg k=<k>". */
  name?: string;
}

type Paletted = Pick<KMeansResult, 'k' | 'palette' | 'centroids'>;

/**
 * The palette as JSON: `{ k, palette: [{ hex, rgb, count, share }, ...] }`, plus `colorSpace` and
 * `centroids` when `colorSpace` is given. `kmeans-seg apply --palette` reads it back.
 */
export function paletteJSON(result: Paletted, options: PaletteFileOptions = {}): string {
  // Written by hand rather than JSON.stringify(doc, null, 2) so each colour stays on one line:
  // readable, and it diffs well. Every value still goes through JSON.stringify.
  const entry = ({ hex, rgb, count, share }: Paletted['palette'][number]): string =>
    `    { "hex": ${JSON.stringify(hex)}, "rgb": [${rgb.join(', ')}], "count": ${count}, "share": ${JSON.stringify(share)} }`;
  const lines = ['{', `  "k": ${result.k},`];
  if (options.colorSpace !== undefined) lines.push(`  "colorSpace": ${JSON.stringify(options.colorSpace)},`);
  lines.push('  "palette": [', result.palette.map(entry).join(',\n'), options.colorSpace === undefined ? '  ]' : '  ],');
  if (options.colorSpace !== undefined) {
    lines.push('  "centroids": [', result.centroids.map((c) => `    [${c.map((v) => JSON.stringify(v)).join(', ')}]`).join(',\n'), '  ]');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/**
 * The palette as a GIMP palette (.gpl): a "GIMP Palette" header, then one "R G B<TAB>name" line per
 * colour, named by its hex and share.
 */
export function paletteGPL(result: Paletted, options: PaletteFileOptions = {}): string {
  const name = (options.name ?? `kmeans-seg k=${result.k}`).replace(/[\r\n]+/g, ' ');
  const lines = ['GIMP Palette', `Name: ${name}`, `Columns: ${Math.min(result.k, 16)}`, '#'];
  for (const p of result.palette) {
    lines.push(`${p.rgb.map((v) => String(v).padStart(3)).join(' ')}\t${p.hex} ${(p.share * 100).toFixed(1)}%`);
  }
  return lines.join('\n') + '\n';
}

/** Write the palette to `file`: a GIMP palette when it ends in .gpl, JSON otherwise. */
export async function savePalette(result: Paletted, file: string, options: WriteOptions & PaletteFileOptions = {}): Promise<void> {
  await checkFile(file, { ...options, what: 'palette' });
  const gpl = path.extname(file).toLowerCase() === '.gpl';
  const name = options.name ?? (options.inputPath ? `${path.basename(options.inputPath)} k=${result.k}` : undefined);
  const text = gpl ? paletteGPL(result, { ...options, name }) : paletteJSON(result, options);
  await writeFileAtomic(file, Buffer.from(text, 'utf8'));
}

// ---------------------------------------------------------------------------------------------------
// Borders

export interface OverlayOptions {
  /** Border colour [r, g, b], 0-255. Default [255, 255, 0] (yellow, as scikit-image's mark_boundaries). */
  color?: readonly [number, number, number] | readonly number[];
}

/**
 * The original with segment borders drawn over it: a pixel is painted when its right or lower
 * neighbour has another label, which gives lines one pixel wide. Transparent pixels count as a
 * segment of their own (so the edge of the visible area is drawn), and border pixels are opaque.
 */
export function overlayBorders(original: RGBAImage, result: Labelled, options: OverlayOptions = {}): Uint8ClampedArray {
  const { width, height, labels } = result;
  if (original.width !== width || original.height !== height || original.data.length !== width * height * 4) {
    throw new KMeansSegError('ERR_INVALID_IMAGE',
      `The original is ${original.width} x ${original.height} but the result is ${width} x ${height}: pass the image the result was computed from`);
  }
  const color = options.color ?? [255, 255, 0];
  if (!Array.isArray(color) || color.length !== 3 || !color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw invalidOption('color', 'three integers 0-255, e.g. [255, 255, 0]', color);
  }
  const out = Uint8ClampedArray.from(original.data);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const l = labels[p];
      if ((x + 1 < width && labels[p + 1] !== l) || (y + 1 < height && labels[p + width] !== l)) {
        out[p * 4] = color[0]!; out[p * 4 + 1] = color[1]!; out[p * 4 + 2] = color[2]!; out[p * 4 + 3] = 255;
      }
    }
  }
  return out;
}

/** Draw the borders (see overlayBorders) and write the image; the format follows the extension (.png, .jpg, .webp). */
export async function saveOverlay(original: RGBAImage, result: Labelled, file: string, options: WriteOptions & OverlayOptions = {}): Promise<void> {
  const pixels = overlayBorders(original, result, options);
  await encodeImage(pixels, result.width, result.height, file, { force: options.force === true, inputPath: options.inputPath });
}

// ---------------------------------------------------------------------------------------------------
// Path checks

interface CheckFileOptions extends WriteOptions {
  /** Allowed extensions (lower case, with the dot); any when absent. */
  extensions?: string[];
  /** What the file is, for messages: "label map". */
  what: string;
}

/**
 * Check, before any work, that a non-image output can be written: an allowed extension, an existing
 * folder, and no existing file (nor the input) unless `force`. Mirrors image-io's checkOutputPath.
 */
export async function checkFile(file: string, options: CheckFileOptions): Promise<void> {
  const { what } = options;
  if (typeof file !== 'string' || file === '') throw invalidOption(`${what} path`, 'a non-empty file path', file);
  const ext = path.extname(file).toLowerCase();
  if (options.extensions && !options.extensions.includes(ext)) {
    throw new KMeansSegError('ERR_OUTPUT_FORMAT',
      `Cannot write the ${what} to ${JSON.stringify(file)}: ${ext ? `the extension ${JSON.stringify(ext)} is not supported` : 'it has no extension'}; ` +
      `use ${options.extensions.join(' or ')}, e.g. ${JSON.stringify(file.slice(0, file.length - ext.length) + options.extensions[0])}`);
  }
  const dir = path.dirname(path.resolve(file));
  const dirStat = await fs.stat(dir).catch(() => undefined);
  if (dirStat === undefined || !dirStat.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_DIR',
      `The folder of the ${what} ${JSON.stringify(dir)} ${dirStat === undefined ? 'does not exist' : 'is not a folder'}: create it first, or choose another path`);
  }
  const stat = await fs.stat(file, { bigint: true }).catch(() => undefined);
  if (stat === undefined) return;
  if (stat.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_EXISTS', `The ${what} path ${JSON.stringify(file)} is a directory: pass a file path`);
  }
  if (options.force) return;
  if (options.inputPath !== undefined) {
    const input = await fs.stat(options.inputPath, { bigint: true }).catch(() => undefined);
    if (path.resolve(options.inputPath) === path.resolve(file) || (input && input.dev === stat.dev && input.ino === stat.ino)) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `The ${what} path ${JSON.stringify(file)} is the input file; refusing to overwrite it: choose another path, or pass --force / force: true`);
    }
  }
  throw new KMeansSegError('ERR_OUTPUT_EXISTS',
    `The ${what} file ${JSON.stringify(file)} already exists: pass --force / force: true to overwrite it, or choose another path`);
}
