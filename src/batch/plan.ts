// Which files a batch (or `kmeans-seg apply`) reads and writes: patterns expanded in order, and one
// output per input in the folder. Invariant: every plan is refused before any work when two inputs
// would share an output, an output would replace an input or is no regular file, whatever `force` says.
import { promises as fs, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { KMeansSegError } from '../errors.js';
import { quote } from '../validate.js';

/**
 * Patterns in order, each one's matches sorted; duplicates dropped. An argument that names an
 * existing file is taken as it is (the shell may have expanded a pattern already, and file names may
 * hold glob characters); one without glob characters that names nothing is kept so that it fails as
 * "not found" in the report; a pattern that matches nothing is a warning. A match that is no regular
 * file is never dropped in silence: a dangling symbolic link, a FIFO, a socket or a device is an
 * input (it fails, with its reason, when read), and a folder is left out with a warning and listed
 * in `folders`.
 *
 * @throws {KMeansSegError} ERR_INPUT_NOT_FILE for a folder given as an input; ERR_INPUT_NOT_FOUND
 * when nothing matched at all.
 */
export async function expandInputs(patterns: readonly string[], warnings: string[] = [], folders: string[] = []): Promise<string[]> {
  const seen = new Set<string>();
  const files: string[] = [];
  const add = (f: string): void => {
    const key = path.resolve(f);
    if (!seen.has(key)) { seen.add(key); files.push(f); }
  };
  for (const pattern of patterns) {
    const stat = await fs.stat(pattern).catch(() => undefined);
    if (stat?.isFile() || (!stat && !isDynamicPattern(pattern))) { add(pattern); continue; }
    if (stat?.isDirectory()) {
      throw new KMeansSegError('ERR_INPUT_NOT_FILE', `Input ${quote(pattern)} is a folder: pass a pattern for the files inside it, e.g. ${quote(path.posix.join(pattern.replace(/\\/g, '/'), '*.jpg'))} (quoted, so kmeans-seg expands it)`);
    }
    const matches = await globAll(pattern);
    const dirs = matches.filter((m) => m.endsWith('/'));
    if (matches.length === 0) warnings.push(`the pattern ${quote(pattern)} matched no file`);
    if (dirs.length > 0) {
      folders.push(...dirs);
      const shown = dirs.slice(0, 5).map((d) => quote(d)).join(', ') + (dirs.length > 5 ? ` and ${dirs.length - 5} more` : '');
      warnings.push(`the pattern ${quote(pattern)} matched ${dirs.length === 1 ? 'a folder' : `${dirs.length} folders`}, left out: ${shown}`);
    }
    for (const m of matches) if (!m.endsWith('/')) add(m);
  }
  if (files.length === 0) {
    throw new KMeansSegError('ERR_INPUT_NOT_FOUND',
      `No input file: ${patterns.map((p) => quote(p)).join(', ')} matched nothing (looked from ${quote(process.cwd())}): check the pattern, e.g. 'photos/*.jpg'`);
  }
  return files;
}

/**
 * Every match of `pattern`, sorted, folders with a trailing '/'. tinyglobby (fdir) passes over
 * entries that are neither files, folders nor links it can follow; its readdir here shows FIFOs,
 * sockets, devices and dangling or looping links as files, so that they match like any file.
 */
async function globAll(pattern: string): Promise<string[]> {
  // tinyglobby speaks POSIX patterns; backslashes in a Windows path are separators, not escapes.
  const posix = path.sep === '\\' ? pattern.replace(/\\/g, '/') : pattern;
  const matches = await glob(posix, {
    onlyFiles: false, expandDirectories: false, absolute: path.isAbsolute(pattern),
    fs: { readdir: readdirShowingAll as never },
  });
  return matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

type ReaddirCallback = (error: NodeJS.ErrnoException | null, entries?: Dirent[]) => void;

/** fs.readdir(dir, { withFileTypes: true }, callback), with every entry that is no folder and no followable link shown as a file. */
function readdirShowingAll(dir: string, options: { withFileTypes: true }, callback: ReaddirCallback): void {
  fs.readdir(dir, options).then(async (entries) => {
    const shown = await Promise.all(entries.map(async (e) => {
      if (e.isFile() || e.isDirectory()) return e;
      if (e.isSymbolicLink() && (await fs.stat(path.join(dir, e.name)).then(() => true, () => false))) return e;
      return Object.create(e, { isFile: { value: () => true }, isSymbolicLink: { value: () => false }, isDirectory: { value: () => false } }) as Dirent;
    }));
    callback(null, shown);
  }, (error: NodeJS.ErrnoException) => callback(error));
}

/**
 * The output path of every input (folder + base name + extension), refused before any work when two
 * inputs share an output name, an output would be an input (by any name or link), or an output is
 * no regular file (a folder, FIFO, socket, device, or a link to one), whatever `force` says.
 *
 * @throws {KMeansSegError} ERR_OUTPUT_EXISTS naming the two inputs, the input an output would
 *   replace, or the output and what it is.
 */
export async function planOutputs(files: readonly string[], folder: string, ext: string): Promise<string[]> {
  const outputs = files.map((f) => path.join(folder, path.parse(f).name + ext));
  const byName = new Map<string, number>();
  for (let i = 0; i < files.length; i++) {
    // Case-folded: on macOS and Windows "A.png" and "a.png" are one file.
    const key = path.resolve(outputs[i]!).toLowerCase();
    const j = byName.get(key);
    if (j !== undefined) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `Inputs ${quote(files[j])} and ${quote(files[i])} would both be written to ${quote(outputs[i])}: ` +
        `outputs are named after the input's base name; rename one of them, or run them separately with different output folders`);
    }
    byName.set(key, i);
  }
  const inputs = new Set(files.map((f) => path.resolve(f)));
  const inputIds = new Set<string>();
  for (const f of files) {
    const stat = await fs.stat(f, { bigint: true }).catch(() => undefined);
    if (stat) inputIds.add(`${stat.dev}:${stat.ino}`);
  }
  for (const out of outputs) {
    // Another input of the batch, or an input reached by another name (a link).
    const stat = await fs.stat(out, { bigint: true }).catch(() => undefined);
    if (inputs.has(path.resolve(out)) || (stat && inputIds.has(`${stat.dev}:${stat.ino}`))) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `The output ${quote(out)} would replace an input image, which a batch never does: choose an output folder other than ${quote(folder)}, or another format`);
    }
    const what = await notRegular(out);
    if (what) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `The output ${quote(out)} is ${what}, not a regular file; it is never replaced, even with --force / force: true: move it away, or choose another output folder`);
    }
  }
  return outputs;
}

/** What a path is when it exists and is no regular file (nor a link to one): "a folder", "a symbolic link to a FIFO"; else undefined. */
export async function notRegular(file: string): Promise<string | undefined> {
  const own = await fs.lstat(file).catch(() => undefined);
  if (!own || own.isFile()) return undefined;
  if (!own.isSymbolicLink()) return kind(own);
  const target = await fs.stat(file).catch(() => undefined);
  return target && !target.isFile() ? `a symbolic link to ${kind(target)}` : undefined;
}

function kind(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isBlockDevice() || stat.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}
