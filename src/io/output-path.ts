/**
 * Whether an output can be written, decided before any work: the one check of an output file's path,
 * the same-file test and the one way to make an output folder. Invariant: nothing here writes a file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KMeansSegError } from '../errors.js';
import { invalidOption, quote } from '../validate.js';
import { errnoCode, firstLine } from './error-text.js';

/** How an output may be written: every writer of the package takes these two. */
export interface WriteOptions {
  /** Replace an existing output file, even when it is the input. Default false. */
  force?: boolean;
  /** The path the pixels were read from, so an output naming the same file is refused without `force`. */
  inputPath?: string;
}

/** The options of a result's `save()`: the input is already known to the result. */
export type SaveOptions = Pick<WriteOptions, 'force'>;

/** For an output that is not the segmented image itself: a label map, a palette, a chart. */
export interface OutputFileOptions extends WriteOptions {
  /** What the file is, for messages: "label map". */
  what: string;
  /** Allowed extensions (lower case, with the dot); any when absent. */
  extensions?: readonly string[];
}

export type OutputFormat = 'png' | 'jpeg' | 'webp';

const WRITABLE: Record<string, OutputFormat> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };
const WRITABLE_NAMES = '.png, .jpg, .jpeg or .webp';

/** The image format an output's extension selects (.png, .jpg/.jpeg, .webp), or undefined for any other. */
export function imageFormatOf(file: string): OutputFormat | undefined {
  return WRITABLE[path.extname(file).toLowerCase()];
}

/** The messages of one kind of output: the segmented image's, or those of a named other file. */
interface Wording {
  /** The error for a value that is no usable path, or undefined when it is one. */
  invalid(file: unknown): KMeansSegError | undefined;
  extension(file: string, ext: string): string;
  folder(dir: string, missing: boolean): string;
  directory(file: string): string;
  input(file: string): string;
  exists(file: string): string;
}

const noExtension = (ext: string): string => (ext ? `the extension ${quote(ext)} is not supported` : 'it has no extension');

const IMAGE_WORDING: Wording = {
  invalid: (file) => (typeof file !== 'string' || file === '' || file.includes('\0')
    ? invalidOption('outPath', 'a non-empty file path (without NUL characters) such as "out.png"', file) : undefined),
  extension: (file, ext) => `Cannot write ${quote(file)}: ${noExtension(ext)}; use ${WRITABLE_NAMES}, e.g. ${quote(replaceExt(file, '.png'))}`,
  folder: (dir, missing) => `The output folder ${quote(dir)} ${missing ? 'does not exist' : 'is not a folder'}: ` +
    `create it first, or choose another output path (kmeans-seg never creates folders)`,
  directory: (file) => `The output ${quote(file)} is a directory: pass a file path, e.g. ${quote(path.join(file, 'out.png'))}`,
  input: (file) => `The output ${quote(file)} is the input file; refusing to overwrite it: choose another output path, or pass --force / force: true to replace the input`,
  exists: (file) => `The output file ${quote(file)} already exists: pass --force / force: true to overwrite it, or choose another output path`,
};

function fileWording(what: string, extensions: readonly string[] | undefined): Wording {
  return {
    invalid: (file) => (typeof file !== 'string' || file === '' ? invalidOption(`${what} path`, 'a non-empty file path', file) : undefined),
    extension: (file, ext) => `Cannot write the ${what} to ${quote(file)}: ${noExtension(ext)}; ` +
      `use ${extensions!.join(' or ')}, e.g. ${quote(replaceExt(file, extensions![0]!))}`,
    folder: (dir, missing) => `The folder of the ${what} ${quote(dir)} ${missing ? 'does not exist' : 'is not a folder'}: create it first, or choose another path`,
    directory: (file) => `The ${what} path ${quote(file)} is a directory: pass a file path`,
    input: (file) => `The ${what} path ${quote(file)} is the input file; refusing to overwrite it: choose another path, or pass --force / force: true`,
    exists: (file) => `The ${what} file ${quote(file)} already exists: pass --force / force: true to overwrite it, or choose another path`,
  };
}

/**
 * Check, before any work, that an output can be written: a known extension, an existing folder, and
 * no existing file (nor the input itself, nor a symbolic link, even a dangling one: the write would
 * replace the link) unless `force`; never, even with `force`, a directory or a special file (see
 * refuseNonRegular). Without `what` the output is an image (.png, .jpg/.jpeg, .webp) and the format
 * its extension selects is returned; with `what` it is another file (a label map, a palette, a
 * chart) with the given `extensions`, any when absent.
 *
 * @throws ERR_INVALID_OPTION for a path that is not a non-empty string; ERR_OUTPUT_FORMAT for an
 *   extension not allowed; ERR_OUTPUT_DIR when the folder is missing or is a file; ERR_OUTPUT_EXISTS
 *   when the path is a directory or a special file, or an existing file or the input and `force` is not set.
 */
export async function checkOutputPath(outPath: string, options?: WriteOptions): Promise<OutputFormat>;
export async function checkOutputPath(file: string, options: OutputFileOptions): Promise<void>;
export async function checkOutputPath(file: string, options: WriteOptions | OutputFileOptions = {}): Promise<OutputFormat | void> {
  const named = 'what' in options;
  const extensions = named ? options.extensions : Object.keys(WRITABLE);
  const wording = named ? fileWording(options.what, extensions) : IMAGE_WORDING;
  const invalid = wording.invalid(file);
  if (invalid) throw invalid;
  const ext = path.extname(file).toLowerCase();
  if (extensions && !extensions.includes(ext)) throw new KMeansSegError('ERR_OUTPUT_FORMAT', wording.extension(file, ext));
  const dir = path.dirname(path.resolve(file));
  const dirStat = await fs.stat(dir).catch(() => undefined);
  if (dirStat === undefined || !dirStat.isDirectory()) throw new KMeansSegError('ERR_OUTPUT_DIR', wording.folder(dir, dirStat === undefined));
  const format = named ? undefined : WRITABLE[ext];
  const link = await fs.lstat(file).catch(() => undefined);
  if (link === undefined) return format;
  const stat = await fs.stat(file, { bigint: true }).catch(() => undefined);
  if (stat?.isDirectory()) throw new KMeansSegError('ERR_OUTPUT_EXISTS', wording.directory(file));
  await refuseNonRegular(file, named ? options.what : 'output');
  if (options.force) return format;
  if (stat === undefined) {
    // A dangling link: the write would replace the link itself (outputs never write through links).
    throw new KMeansSegError('ERR_OUTPUT_EXISTS', `The ${named ? options.what : 'output'} ${quote(file)} is a symbolic link to ` +
      `${quote(await fs.readlink(file).catch(() => '?'))}, which does not exist: pass --force / force: true to replace the link, or choose another path`);
  }
  if (options.inputPath !== undefined && (await sameFile(options.inputPath, file, stat))) {
    throw new KMeansSegError('ERR_OUTPUT_EXISTS', wording.input(file));
  }
  throw new KMeansSegError('ERR_OUTPUT_EXISTS', wording.exists(file));
}

/** What a non-regular file is, in words. */
function kindOf(stat: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean; isDirectory(): boolean }): string {
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return stat.isDirectory() ? 'a directory' : 'not a regular file';
}

/**
 * Refuse, even with `force`, an output path that names anything but a regular file or nothing: a
 * device, a FIFO, a socket or a directory, or a symbolic link to one (followed to see what it names;
 * a dangling link passes). Writing there would replace the special file with a regular one (as root,
 * `--palette /dev/null --force` would replace the system's /dev/null). `what` names the file in the
 * message ("output", "label map", "report"). Every writer of the package calls it.
 *
 * @throws ERR_OUTPUT_EXISTS naming the path and what it is.
 */
export async function refuseNonRegular(file: string, what = 'output'): Promise<void> {
  const link = await fs.lstat(file).catch(() => undefined);
  if (link === undefined || link.isFile()) return;
  const target = link.isSymbolicLink() ? await fs.stat(file).catch(() => undefined) : link;
  if (target === undefined || target.isFile()) return;
  const is = link.isSymbolicLink()
    ? `is a symbolic link to ${kindOf(target)} (${quote(await resolveTarget(file))})`
    : `is ${kindOf(target)}`;
  throw new KMeansSegError('ERR_OUTPUT_EXISTS',
    `The ${what} ${quote(file)} ${is}, not a regular file: kmeans-seg replaces only regular files, even with --force / force: true; ` +
    'choose a regular file path (writing to stdout (-) is not supported yet)');
}

/**
 * Same path once resolved, or the same file reached another way (symlink, hard link): device and
 * inode agree. `bStat`, when the caller has it, saves a second stat of `b`. Never throws: a path that
 * cannot be stat'ed is another file.
 */
export async function sameFile(a: string, b: string, bStat?: { dev: bigint; ino: bigint }): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const [aStat, other] = await Promise.all([
    fs.stat(a, { bigint: true }).catch(() => undefined),
    bStat ?? fs.stat(b, { bigint: true }).catch(() => undefined),
  ]);
  return aStat !== undefined && other !== undefined && aStat.dev === other.dev && aStat.ino === other.ino;
}

/**
 * Create `folder` (and its parents) unless it exists. `what` names it in messages ("output folder",
 * "masks folder") and `fix` says what to do when it cannot be made.
 *
 * @throws ERR_OUTPUT_DIR when `folder` is a file or cannot be created.
 */
export async function makeFolder(folder: string, what = 'output folder', fix = 'check the path and its permissions'): Promise<void> {
  const stat = await fs.stat(folder).catch(() => undefined);
  if (stat && !stat.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_DIR', `The ${what} ${quote(folder)} is a file: choose a folder name, e.g. ${quote(folder.replace(/\.[^./\\]*$/, '') + '-out')}`);
  }
  if (stat) return;
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    throw new KMeansSegError('ERR_OUTPUT_DIR', `Could not create the ${what} ${quote(folder)} (${errnoCode(error) ?? firstLine(error)}): ${fix}`, { cause: error });
  }
}

function replaceExt(file: string, ext: string): string {
  return file.slice(0, file.length - path.extname(file).length) + ext;
}

/**
 * Where writing `file` would land: its real path, with every symbolic link followed, also a dangling
 * one (to the path it names) and links in missing parents' place. Never throws; a loop ends after 40 links.
 */
export async function resolveTarget(file: string, hops = 0): Promise<string> {
  const p = path.resolve(file);
  const real = await fs.realpath(p).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = path.dirname(p);
  const here = parent === p ? p : path.join(await resolveTarget(parent, hops), path.basename(p));
  const link = hops < 40 ? await fs.readlink(here).catch(() => undefined) : undefined;
  return link === undefined ? here : resolveTarget(path.resolve(path.dirname(here), link), hops + 1);
}
