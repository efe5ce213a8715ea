// Which files a queue worker may read and write: only those whose real path, every symbolic link
// followed, lies inside one of its --root folders. Invariant: a job is refused (ERR_OUTSIDE_ROOT,
// never retried) before any file of it is opened when its input, its output's folder, the record
// folder beside it, or an existing output resolves outside every root.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KMeansSegError } from '../../errors.js';
import { errnoCode } from '../../io/error-text.js';
import { quote } from '../../validate.js';
import { recordFolderOf } from '../record.js';
import type { JobPayload } from './payload.js';

/**
 * The real paths of the roots, each an existing folder.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION when there is none; ERR_OUTPUT_DIR for a root that is
 *   missing or no folder.
 */
export async function resolveRoots(roots: readonly string[]): Promise<string[]> {
  if (!Array.isArray(roots) || roots.length === 0 || !roots.every((r) => typeof r === 'string' && r !== '')) {
    throw new KMeansSegError('ERR_INVALID_OPTION',
      'A worker needs at least one root (--root DIR, roots: [...]): the folders its jobs may read and write, e.g. --root /mnt/share; jobs naming files elsewhere are refused');
  }
  const out: string[] = [];
  for (const root of roots) {
    const real = await fs.realpath(root).catch(() => undefined);
    if (real === undefined || !(await fs.stat(real)).isDirectory()) {
      throw new KMeansSegError('ERR_OUTPUT_DIR', `The root ${quote(root)} is ${real === undefined ? 'missing' : 'no folder'}: pass an existing folder (the share every host mounts at the same path)`);
    }
    out.push(real);
  }
  return out;
}

const inside = (file: string, root: string): boolean => {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

function outside(what: string, given: string, real: string, roots: readonly string[]): KMeansSegError {
  const via = real !== given ? ` (it leads to ${quote(real)})` : '';
  return new KMeansSegError('ERR_OUTSIDE_ROOT',
    `The job's ${what} ${quote(given)}${via} lies outside this worker's roots (${roots.map((r) => quote(r)).join(', ')}): ` +
    'enqueue files under a root, or start the worker with --root for their folder');
}

/** The real path of `file`, or undefined when it does not exist (any other failure is thrown as is). */
async function realOrNothing(file: string): Promise<string | undefined> {
  try {
    return await fs.realpath(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Refuse a job that would read or write outside the roots.
 *
 * @throws {KMeansSegError} ERR_OUTSIDE_ROOT naming the path and where it leads; ERR_INPUT_NOT_FOUND
 *   when the input is missing (retried: a share may not be mounted yet); ERR_OUTPUT_DIR when the
 *   output's folder is missing; ERR_READ when a path cannot be resolved (a link loop, permissions).
 */
export async function checkInsideRoots(payload: JobPayload, roots: readonly string[]): Promise<void> {
  const within = (real: string): boolean => roots.some((r) => inside(real, r));
  const input = payload.input.path;
  const output = payload.output.path;
  try {
    const realInput = await realOrNothing(input);
    if (realInput === undefined) {
      if (!within(input)) throw outside('input', input, input, roots);
      throw new KMeansSegError('ERR_INPUT_NOT_FOUND', `Input file ${quote(input)} does not exist on this host: check that the share is mounted at the same path on every host`);
    }
    if (!within(realInput)) throw outside('input', input, realInput, roots);
    const folder = path.dirname(output);
    const realFolder = await realOrNothing(folder);
    if (realFolder === undefined) throw new KMeansSegError('ERR_OUTPUT_DIR', `The output folder ${quote(folder)} does not exist on this host: check that the share is mounted at the same path on every host`);
    if (!within(realFolder)) throw outside('output folder', folder, realFolder, roots);
    // The record beside the output, and an output that is a link, are written through too.
    for (const [what, p] of [['record folder', recordFolderOf(output)], ['output', output]] as const) {
      const real = await realOrNothing(p);
      if (real !== undefined && !within(real)) throw outside(what, p, real, roots);
    }
  } catch (error) {
    if (error instanceof KMeansSegError) throw error;
    const code = errnoCode(error) ?? (error as Error).message;
    throw new KMeansSegError('ERR_READ', `Cannot resolve the paths of the job for ${quote(input)} (${code}): check the share and its permissions`, { cause: error });
  }
}
