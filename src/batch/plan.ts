// Which files a batch (or `kmeans-seg apply`) reads and writes: patterns expanded in order, and one
// output per input in the folder. Invariant: every plan is refused before any work when two inputs
// would share an output or an output would replace an input, whatever `force` says.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { KMeansSegError } from '../errors.js';
import { sameFile } from '../io/output-path.js';

/**
 * Patterns in order, each one's matches sorted; duplicates dropped. An argument that names an
 * existing file is taken as it is (the shell may have expanded a pattern already, and file names may
 * hold glob characters); one without glob characters that names nothing is kept so that it fails as
 * "not found" in the report; a pattern that matches nothing is a warning.
 *
 * @throws {KMeansSegError} ERR_INPUT_NOT_FILE for a folder given as an input; ERR_INPUT_NOT_FOUND
 * when nothing matched at all.
 */
export async function expandInputs(patterns: readonly string[], warnings: string[] = []): Promise<string[]> {
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
      throw new KMeansSegError('ERR_INPUT_NOT_FILE', `Input ${JSON.stringify(pattern)} is a folder: pass a pattern for the files inside it, e.g. ${JSON.stringify(path.posix.join(pattern.replace(/\\/g, '/'), '*.jpg'))} (quoted, so kmeans-seg expands it)`);
    }
    // tinyglobby speaks POSIX patterns; backslashes in a Windows path are separators, not escapes.
    const posix = path.sep === '\\' ? pattern.replace(/\\/g, '/') : pattern;
    const matches = await glob(posix, { onlyFiles: true, expandDirectories: false, absolute: path.isAbsolute(pattern) });
    matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (matches.length === 0) warnings.push(`the pattern ${JSON.stringify(pattern)} matched no file`);
    for (const m of matches) add(m);
  }
  if (files.length === 0) {
    throw new KMeansSegError('ERR_INPUT_NOT_FOUND',
      `No input file: ${patterns.map((p) => JSON.stringify(p)).join(', ')} matched nothing (looked from ${process.cwd()}): check the pattern, e.g. 'photos/*.jpg'`);
  }
  return files;
}

/**
 * The output path of every input (folder + base name + extension), refused before any work when two
 * inputs share an output name or an output would be an input, whatever `force` says.
 *
 * @throws {KMeansSegError} ERR_OUTPUT_EXISTS naming the two inputs, or the input an output would replace.
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
        `Inputs ${JSON.stringify(files[j])} and ${JSON.stringify(files[i])} would both be written to ${JSON.stringify(outputs[i])}: ` +
        `outputs are named after the input's base name; rename one of them, or run them separately with different output folders`);
    }
    byName.set(key, i);
  }
  const inputs = new Set(files.map((f) => path.resolve(f)));
  for (let i = 0; i < files.length; i++) {
    const out = outputs[i]!;
    // Another input of the batch, or this input reached by another name (a link).
    if (inputs.has(path.resolve(out)) || (await sameFile(files[i]!, out))) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `The output ${JSON.stringify(out)} would replace an input image, which a batch never does: choose an output folder other than ${JSON.stringify(folder)}, or another format`);
    }
  }
  return outputs;
}
