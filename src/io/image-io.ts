/**
 * Image files in and out, through sharp (libvips). Every check that can fail cheaply runs before any
 * pixel is decoded or encoded, and every failure is a KMeansSegError naming the path and the fix.
 */
import { constants as bufferConstants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { promises as fs, rmSync } from 'node:fs';
import path from 'node:path';
import type { Metadata } from 'sharp';
import { KMeansSegError } from '../errors.js';
import { DEFAULT_LIMIT_INPUT_PIXELS } from '../limits.js';
import { invalidOption } from '../validate.js';


export interface DecodeOptions {
  /** Refuse images with more pixels (width x height, read from the header before decoding). A positive integer, or false for no limit. Default 268402689. */
  limitInputPixels?: number | false;
}

export interface DecodedImage {
  /** RGBA, 8 bits per channel, sRGB, row-major, width * height * 4 bytes; EXIF orientation applied. */
  data: Uint8Array;
  width: number;
  height: number;
  /** Whether the file had an alpha channel (without one, every alpha byte is 255). */
  hasAlpha: boolean;
  /** The container: 'jpeg', 'png', 'webp', 'avif', 'heif', 'tiff' or 'gif'. */
  format: string;
  /** Frames (animated GIF/WebP) or pages (multi-page TIFF) in the file; only the first is decoded. */
  pages: number;
  /** What the caller should be told about the decoding (e.g. that frames were left out), one line each. */
  warnings: string[];
}

export interface EncodeOptions {
  /** Replace an existing output file, even when it is the input. Default false. */
  force?: boolean;
  /** The path the pixels were read from, so the output can be refused when it is the same file. */
  inputPath?: string;
}

export type OutputFormat = 'png' | 'jpeg' | 'webp';

const READABLE = new Set(['jpeg', 'png', 'webp', 'heif', 'tiff', 'gif']);
const READABLE_NAMES = 'JPEG, PNG, WebP, AVIF, TIFF or GIF';
const WRITABLE: Record<string, OutputFormat> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };
const WRITABLE_NAMES = '.png, .jpg, .jpeg or .webp';
// Largest side each encoder accepts; checked up front so the error names the fix, not libvips internals.
const MAX_SIDE: Record<OutputFormat, number> = { png: 0x7fffffff, jpeg: 65535, webp: 16383 };

type Sharp = typeof import('sharp').default;
let sharpModule: Promise<Sharp> | undefined;

/**
 * sharp is loaded on first use, not at import: `kmeans()` on pixels in memory (and so the package's
 * main entry) must work where sharp's native binary cannot load, e.g. a browser or an unsupported
 * platform.
 */
function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then((m) => m.default, (error: unknown) => {
    sharpModule = undefined;
    throw new KMeansSegError('ERR_BACKEND',
      `sharp, which reads and writes image files, could not be loaded (${firstLine(error)}): reinstall it with "npm install sharp", or decode the image yourself and call kmeans({ data, width, height })`,
      { cause: error });
  });
  return sharpModule;
}

/** Validate `limitInputPixels` (undefined gives the default). Throws ERR_INVALID_OPTION. */
export function resolveLimitInputPixels(value: unknown): number | false {
  if (value === undefined) return DEFAULT_LIMIT_INPUT_PIXELS;
  if (value === false || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1)) return value;
  throw invalidOption('limitInputPixels', 'a positive integer or false', value,
    `the default is ${DEFAULT_LIMIT_INPUT_PIXELS}; pass a larger number, or false for no limit, for images you trust`);
}

/** Decode an image file (path) or encoded bytes to 8-bit sRGB RGBA, EXIF orientation applied. */
export async function decodeImage(input: string | Uint8Array, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const limit = resolveLimitInputPixels(opts.limitInputPixels);
  let bytes: Buffer;
  let name: string;
  if (typeof input === 'string' && input !== '') {
    if (input.includes('\0')) throw invalidOption('input', 'a file path without NUL characters', input);
    name = `Input file ${JSON.stringify(input)}`;
    bytes = await readInput(input, name);
  } else if (input instanceof Uint8Array) {
    name = 'The input buffer';
    if (input.byteLength === 0) {
      throw new KMeansSegError('ERR_DECODE', `${name} is empty (0 bytes): pass the bytes of an encoded image file (${READABLE_NAMES})`);
    }
    // A view, not a copy, that honours the caller's byteOffset.
    bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  } else {
    throw invalidOption('input', 'a file path or a Uint8Array of encoded image bytes', input);
  }

  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    // No limit here: the header alone is read, and we want to name the size in our own message.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new KMeansSegError('ERR_DECODE',
      // sharp's "Input buffer contains unsupported image format" would misname a file: say it our way.
      `${name} is not an image kmeans-seg can read${/unsupported image format/.test(firstLine(error)) ? '' : ` (${firstLine(error)})`}` +
      `${looksLikeText(bytes) ? '; it starts with text, not image data' : ''}: ` +
      `expected ${READABLE_NAMES}${typeof input === 'string' ? '' : '; for raw RGBA pixels call kmeans({ data, width, height }) instead'}`,
      { cause: error });
  }
  const format = meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : String(meta.format);
  if (!READABLE.has(meta.format)) {
    throw new KMeansSegError('ERR_DECODE', `${name} is ${format.toUpperCase()}, which kmeans-seg does not read: convert it to PNG first (readable: ${READABLE_NAMES})`);
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (limit !== false && pixels > limit) {
    throw new KMeansSegError('ERR_TOO_LARGE',
      `${name} is ${meta.width} x ${meta.height} = ${pixels} pixels, more than the limit of ${limit}: ` +
      `if you trust the file, raise the limit with --limit-input-pixels ${pixels} (CLI) or limitInputPixels: ${pixels} (API)`);
  }
  // With the limit raised or off, the RGBA pixels must still fit one Node buffer (4 GiB on 64-bit
  // Node 20, about 1.07 G pixels). Said here, from the header, before libvips allocates anything.
  if (pixels * 4 > bufferConstants.MAX_LENGTH) {
    throw new KMeansSegError('ERR_TOO_LARGE',
      `${name} is ${meta.width} x ${meta.height} = ${pixels} pixels, whose RGBA (${(pixels * 4 / 2 ** 30).toFixed(2)} GiB) ` +
      `exceeds the largest buffer Node can allocate (${(bufferConstants.MAX_LENGTH / 2 ** 30).toFixed(2)} GiB): downscale or tile the image first`);
  }

  try {
    // failOn 'error' rejects truncated or broken pixel data (sharp's default 'warning' would also
    // reject JPEGs with recoverable glitches that every viewer shows). sharp keeps its own pixel limit
    // as a second guard.
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: limit })
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      hasAlpha: meta.hasAlpha === true,
      format,
      pages: meta.pages ?? 1,
      warnings: (meta.pages ?? 1) > 1
        ? [`only the first of the ${meta.pages} frames (or pages) of the ${format.toUpperCase()} was segmented`]
        : [],
    };
  } catch (error) {
    if (/exceeds pixel limit/i.test(firstLine(error))) {
      // The header lied (or sharp counts pages we did not): the second guard fired. Same code, same fix.
      throw new KMeansSegError('ERR_TOO_LARGE',
        `${name} decodes to more pixels than the limit of ${limit}: if you trust the file, raise --limit-input-pixels (CLI) or limitInputPixels (API)`,
        { cause: error });
    }
    throw new KMeansSegError('ERR_DECODE',
      `${name} could not be decoded as ${format.toUpperCase()} (${firstLine(error)}): the file is truncated or corrupt; re-export or re-download it`,
      { cause: error });
  }
}

/**
 * Read the whole file ourselves rather than hand sharp the path: one read gives metadata and pixels
 * the same bytes, and sidesteps libvips' cache of open files, which can serve stale pixels for a path
 * rewritten in the same process.
 */
async function readInput(file: string, name: string): Promise<Buffer> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KMeansSegError('ERR_INPUT_NOT_FOUND',
        `${name} not found (looked for ${path.resolve(file)}): check the path and the current folder`, { cause: error });
    }
    throw new KMeansSegError('ERR_READ', `${name} cannot be accessed (${code ?? firstLine(error)}): ${readFix(code)}`, { cause: error });
  }
  if (stat.isDirectory()) {
    throw new KMeansSegError('ERR_INPUT_NOT_FILE', `${name} is a directory, not an image file: pass an image inside it, e.g. ${JSON.stringify(path.join(file, 'photo.jpg'))}`);
  }
  if (!stat.isFile()) {
    throw new KMeansSegError('ERR_INPUT_NOT_FILE', `${name} is not a regular file (a device, pipe or socket): save the image to a file first`);
  }
  if (stat.size === 0) {
    throw new KMeansSegError('ERR_DECODE', `${name} is empty (0 bytes): re-export or re-download the image`);
  }
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = errnoCode(error);
    throw new KMeansSegError('ERR_READ', `${name} could not be read (${code ?? firstLine(error)}): ${readFix(code)}`, { cause: error });
  }
}

function readFix(code: string | undefined): string {
  switch (code) {
    case 'EACCES': case 'EPERM': return 'check its permissions and those of its folders';
    case 'ELOOP': return 'a symbolic link in the path points back to itself; fix the link';
    case 'ENAMETOOLONG': return 'the path (or one of its names) is too long; move or rename the file';
    case 'EIO': return 'the disk or network share reported an I/O error; copy the file elsewhere and retry';
    default: return 'check the path, its permissions, and the disk';
  }
}

/**
 * Check, before any work, that `outPath` can be written: a known extension, an existing folder, and
 * no existing file (or the input itself) unless `force`. Returns the format the extension selects.
 */
export async function checkOutputPath(outPath: string, opts: EncodeOptions = {}): Promise<OutputFormat> {
  if (typeof outPath !== 'string' || outPath === '' || outPath.includes('\0')) {
    throw invalidOption('outPath', 'a non-empty file path (without NUL characters) such as "out.png"', outPath);
  }
  const ext = path.extname(outPath).toLowerCase();
  const format = WRITABLE[ext];
  if (format === undefined) {
    throw new KMeansSegError('ERR_OUTPUT_FORMAT',
      `Cannot write ${JSON.stringify(outPath)}: ${ext ? `the extension ${JSON.stringify(ext)} is not supported` : 'it has no extension'}; ` +
      `use ${WRITABLE_NAMES}, e.g. ${JSON.stringify(replaceExt(outPath, '.png'))}`);
  }
  const dir = path.dirname(path.resolve(outPath));
  const dirStat = await fs.stat(dir).catch(() => undefined);
  if (dirStat === undefined || !dirStat.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_DIR',
      `The output folder ${JSON.stringify(dir)} ${dirStat === undefined ? 'does not exist' : 'is not a folder'}: ` +
      `create it first, or choose another output path (kmeans-seg never creates folders)`);
  }
  const outStat = await fs.stat(outPath, { bigint: true }).catch(() => undefined);
  if (outStat === undefined) return format;
  if (outStat.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_EXISTS', `The output ${JSON.stringify(outPath)} is a directory: pass a file path, e.g. ${JSON.stringify(path.join(outPath, 'out.png'))}`);
  }
  if (opts.force) return format;
  if (opts.inputPath !== undefined && (await sameFile(opts.inputPath, outPath, outStat))) {
    throw new KMeansSegError('ERR_OUTPUT_EXISTS',
      `The output ${JSON.stringify(outPath)} is the input file; refusing to overwrite it: choose another output path, or pass --force / force: true to replace the input`);
  }
  throw new KMeansSegError('ERR_OUTPUT_EXISTS',
    `The output file ${JSON.stringify(outPath)} already exists: pass --force / force: true to overwrite it, or choose another output path`);
}

/** Same path once resolved, or the same file reached another way (symlink, hard link): device and inode agree. */
async function sameFile(a: string, b: string, bStat: { dev: bigint; ino: bigint }): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const aStat = await fs.stat(a, { bigint: true }).catch(() => undefined);
  return aStat !== undefined && aStat.dev === bStat.dev && aStat.ino === bStat.ino;
}

/**
 * Encode RGBA pixels to `outPath` (format from its extension: .png, .jpg/.jpeg, .webp) and write the
 * file atomically. PNG and WebP are lossless so the palette survives exactly; JPEG (quality 90, no
 * chroma subsampling, which would smear the flat colours' edges) is flattened onto white.
 */
export async function encodeImage(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  outPath: string,
  opts: EncodeOptions = {},
): Promise<void> {
  if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(height) || height < 1) {
    throw new KMeansSegError('ERR_INVALID_IMAGE', `Expected positive integer width and height but received ${width} x ${height}`);
  }
  // RGBA, or RGB (3 bytes a pixel) for opaque images, which saves a quarter of the memory.
  const channels = (rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray) && rgba.length === width * height * 3 ? 3 : 4;
  if (!(rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray) || rgba.length !== width * height * channels) {
    throw new KMeansSegError('ERR_INVALID_IMAGE',
      `Expected RGBA pixels of length ${width} x ${height} x 4 = ${width * height * 4} but received ${rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray ? `length ${rgba.length}` : typeof rgba}: pass 4 bytes per pixel (or 3 for RGB), row-major`);
  }
  const format = await checkOutputPath(outPath, opts);
  if (Math.max(width, height) > MAX_SIDE[format]) {
    throw new KMeansSegError('ERR_OUTPUT_FORMAT',
      `Cannot write a ${width} x ${height} image as ${format.toUpperCase()} (at most ${MAX_SIDE[format]} pixels per side): use a .png output`);
  }

  const sharp = await loadSharp();
  let image = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels } });
  if (channels === 4 && isOpaque(rgba)) image = image.removeAlpha(); // smaller files, and JPEG would drop it anyway
  if (format === 'png') image = image.png();
  else if (format === 'webp') image = image.webp({ lossless: true });
  else image = image.flatten({ background: '#ffffff' }).jpeg({ quality: 90, chromaSubsampling: '4:4:4' });
  let encoded: Buffer;
  try {
    encoded = await image.toBuffer();
  } catch (error) {
    throw new KMeansSegError('ERR_WRITE', `Could not encode ${JSON.stringify(outPath)} as ${format.toUpperCase()} (${firstLine(error)}): try a .png output`, { cause: error });
  }
  await writeFileAtomic(outPath, encoded);
}

/**
 * Write `data` to a temporary file in the target's folder, flush it, then rename it over `file`:
 * readers see the old file or the whole new one, never a partial write, and a failure leaves no
 * temporary file behind, nor does SIGINT, SIGTERM, SIGHUP or process.exit() during the write (see
 * trackTemp). Only SIGKILL or a crash can leave the hidden `.name.pid.random.tmp`, never a partial
 * `file`. Failures throw ERR_WRITE. Overwrites `file` if it exists.
 */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  // Same folder so rename() stays on one filesystem; a random part so concurrent writers never share a name.
  const tmp = path.join(dir, `.${path.basename(file).slice(0, 200)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const untrack = trackTemp(tmp);
  try {
    const handle = await fs.open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new KMeansSegError('ERR_WRITE',
      `Could not write ${JSON.stringify(file)} (${errnoCode(error) ?? firstLine(error)}): ${writeFix(errnoCode(error))}`,
      { cause: error });
  } finally {
    untrack();
  }
}

function writeFix(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC': case 'EDQUOT': return 'the disk (or your quota) is full; free some space or write elsewhere';
    case 'EFBIG': return 'the file exceeds the size limit for this process or filesystem (ulimit -f); write elsewhere';
    case 'EROFS': return 'the folder is on a read-only filesystem; write elsewhere';
    case 'EACCES': case 'EPERM': return 'the folder is not writable by this user; write elsewhere or fix its permissions';
    default: return 'check that the folder is writable, the path is not a directory, and the disk has space';
  }
}

/**
 * Temporary files being written now. A signal whose default action ends the process would skip the
 * `finally` above and leave one behind, so while any exists we listen for SIGINT, SIGTERM and SIGHUP
 * (and 'exit', for process.exit()), remove them synchronously, and, when no one else listens for the
 * signal, raise it again so the process ends exactly as it would have (npm's write-file-atomic does
 * the same through signal-exit). When the application has its own listener we only clean up on
 * 'exit': the application decides whether the process goes on, and the write with it.
 */
const pendingTemps = new Set<string>();
const CLEANUP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function trackTemp(tmp: string): () => void {
  if (pendingTemps.size === 0) {
    for (const signal of CLEANUP_SIGNALS) process.on(signal, onSignal);
    process.on('exit', removePendingTemps);
  }
  pendingTemps.add(tmp);
  return () => {
    if (!pendingTemps.delete(tmp) || pendingTemps.size > 0) return;
    for (const signal of CLEANUP_SIGNALS) process.off(signal, onSignal);
    process.off('exit', removePendingTemps);
  };
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  removePendingTemps();
  for (const s of CLEANUP_SIGNALS) process.off(s, onSignal);
  process.off('exit', removePendingTemps);
  process.kill(process.pid, signal);
}

function removePendingTemps(): void {
  for (const tmp of pendingTemps) {
    try { rmSync(tmp, { force: true }); } catch { /* the process is ending: nothing better to do */ }
  }
  pendingTemps.clear();
}

function isOpaque(rgba: Uint8Array | Uint8ClampedArray): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

/** Printable ASCII or UTF-8 in the first bytes: a text file renamed to .png is a common mistake. */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 64);
  return head.length > 0 && head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b !== 127));
}

function replaceExt(file: string, ext: string): string {
  return file.slice(0, file.length - path.extname(file).length) + ext;
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}
