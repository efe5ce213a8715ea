// Where `kmeans-seg batch --report FILE` may write, decided before any work. Invariant: the report never
// replaces a file the batch reads or writes (an input, an output, its record, the palette) nor anything
// but a regular file, whatever --force says; an earlier report, a regular file, is replaced.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KMeansSegError } from '../errors.js';
import { resolveTarget } from '../io/output-path.js';
import { quote } from '../validate.js';
import { notRegular } from './plan.js';
import { recordFileOf } from './record.js';

/** What a batch reads and writes, known before any work (see runBatch's `beforeWork`). */
export interface BatchPlan {
  inputs: readonly string[];
  outputs: readonly string[];
  /** The palette file, when the palette is one. */
  palette: string | undefined;
}

/**
 * Check the report's path against the plan: real paths compared (links followed, dangling ones to
 * the path they name; case-folded, as outputs are), and existing files by device and inode too.
 *
 * @throws {KMeansSegError} ERR_OUTPUT_DIR when its folder is missing; ERR_OUTPUT_EXISTS when it is
 *   a file of the plan, or exists and is no regular file (a folder, FIFO, device, a link to one).
 */
export async function checkReportFile(file: string, plan: BatchPlan): Promise<void> {
  const shown = quote(file);
  const dir = path.dirname(path.resolve(file));
  if (!(await fs.stat(dir).catch(() => undefined))?.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_DIR', `The folder of --report ${shown} (${quote(dir)}) does not exist: create it first, or write the report elsewhere`);
  }
  const what = await notRegular(file);
  if (what) {
    throw new KMeansSegError('ERR_OUTPUT_EXISTS', `--report ${shown} is ${what}, not a regular file; a report never replaces it, even with --force: ` +
      `pass a file name${what === 'a folder' ? `, e.g. --report ${quote(path.join(file, 'report.json'))}` : ''}, or --json to print the report on stdout`);
  }
  const target = await resolveTarget(file);
  const targetId = await identity(target);
  const roles: [string, readonly string[]][] = [
    ['an input image', plan.inputs], ['an output', plan.outputs],
    ['the settings record of an output', plan.outputs.map(recordFileOf)], ['the palette file', plan.palette === undefined ? [] : [plan.palette]],
  ];
  for (const [role, files] of roles) {
    for (const f of files) {
      const other = await resolveTarget(f);
      if (other.toLowerCase() !== target.toLowerCase() && (targetId === undefined || targetId !== (await identity(other)))) continue;
      const via = path.resolve(file) !== other ? ` (it leads to ${quote(other)})` : '';
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `--report ${shown} is ${role} of this batch, ${quote(f)}${via}; a report never replaces it, even with --force: ` +
        `write the report elsewhere, e.g. --report ${quote(path.join(path.dirname(file), 'batch-report.json'))}`);
    }
  }
}

const identity = (file: string): Promise<string | undefined> =>
  fs.stat(file, { bigint: true }).then((s) => `${s.dev}:${s.ino}`, () => undefined);
