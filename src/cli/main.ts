/**
 * The `kmeans-seg` command: dispatch to a subcommand, --help and --version. `main` returns the exit
 * code and never exits the process (tests and embedders call it): 0 done, 1 failed, 2 usage error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { KMeansSegError } from '../errors.js';
import { nearestName, quote } from '../validate.js';
import { dropPrefetch, prefetchFile } from '../io/read-file.js';
import { runCommand, UsageError } from './report.js';
import { parseSegmentCommand, runSegment, USAGE } from './segment.js';

/** Loaded only when used, so the main command never pays for a subcommand's imports. */
const SUBCOMMANDS: Record<string, string> = { sweep: './sweep.js', apply: './apply.js', batch: './batch.js', worker: './worker.js' };

/** The main help, with the worker command's line under batch's (unless the help has one already). */
const MAIN_USAGE = USAGE.includes('kmeans-seg worker') ? USAGE
  : USAGE.replace(/^( +kmeans-seg batch .*\n)/m, '$1       kmeans-seg worker --redis <url> --root <dir>   (kmeans-seg worker --help)\n');

/** Run `kmeans-seg argv...`; resolves with the exit code. Never throws: errors are one stderr line. */
export async function main(argv: string[]): Promise<number> {
  const sub = argv[0] !== undefined && Object.hasOwn(SUBCOMMANDS, argv[0]) ? argv[0] : undefined;
  if (sub !== undefined) return runCommand(argv.slice(1), '', (rest) => subcommand(sub, rest));
  return runCommand(argv, MAIN_USAGE, async (rest) => {
    refuseMistypedCommand(rest[0]);
    prefetchInput(rest);
    try {
      return await runSegment(rest);
    } finally {
      dropPrefetch(); // not taken (the strip path, an error): its bytes go
    }
  }, version);
}

/**
 * The input file's read starts at once, so that it runs while sharp loads (tens of ms: sharp's load
 * is this thread's, the read libuv's); decodeImage then takes the bytes (see prefetchFile). A command
 * line that does not parse reads nothing (runSegment says what is wrong, as before), nor does
 * --strips true: the strip path reads its input in strips, never whole.
 */
function prefetchInput(argv: string[]): void {
  let cmd: ReturnType<typeof parseSegmentCommand>;
  try {
    cmd = parseSegmentCommand(argv);
  } catch {
    return;
  }
  if (!cmd.stdio.stdin && (cmd.options as { strips?: unknown }).strips !== true) prefetchFile(cmd.input);
}

/**
 * `kmeans-seg swep img.png`: a first word with no dot or slash that names no file but is near a
 * subcommand is a mistyped command, not an image.
 * @throws {UsageError} suggesting the subcommand, and how to name such a file.
 */
function refuseMistypedCommand(word: string | undefined): void {
  if (word === undefined || /^-|[./\\]/.test(word) || existsSync(word)) return;
  const near = nearestName(word, Object.keys(SUBCOMMANDS));
  if (near === undefined) return;
  throw new UsageError(`Unknown command ${quote(word)}: did you mean kmeans-seg ${near}? The commands are ${Object.keys(SUBCOMMANDS).join(', ')} (and kmeans-seg <image> itself); an image named ${quote(word)} is read with kmeans-seg ./${word}`);
}

/** @throws {KMeansSegError} ERR_BACKEND when the subcommand's file is missing from this build. */
async function subcommand(name: string, argv: string[]): Promise<number> {
  let mod: { main(argv: string[]): Promise<number> };
  try {
    mod = (await import(SUBCOMMANDS[name]!)) as typeof mod;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(SUBCOMMANDS[name]!.slice(2))) {
      throw new KMeansSegError('ERR_BACKEND', `kmeans-seg ${name} is not part of this build (${SUBCOMMANDS[name]} is missing): reinstall kmeans-seg, or rebuild it with npm run build; a file named ${quote(name)} is read with kmeans-seg ./${name}`, { cause: error });
    }
    throw error;
  }
  return mod.main(argv);
}

/** The package's version, from package.json. */
export function version(): string {
  // This file sits two folders below the package root both as src/cli/ (tests) and dist/cli/ (installed).
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
