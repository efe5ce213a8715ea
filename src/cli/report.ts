/**
 * What every command prints and how it fails: --help, one stderr line per error or warning, and the
 * exit code (0 done, 1 failed, 2 usage). No command writes to stderr or exits any other way.
 */
import { existsSync } from 'node:fs';
import type { Quality } from '../core/quality.js';
import { KMeansSegError } from '../errors.js';
import type { PaletteEntry } from '../types.js';
import { printable, quote } from '../validate.js';

/** A mistake in the command line: exit code 2. */
export class UsageError extends Error {}

/**
 * What every command does around its work: --help (and --version when `version` is given) before
 * any parsing, and every error turned into one stderr line and an exit code. Never throws.
 */
export async function runCommand(
  argv: string[], usage: string, work: (argv: string[]) => Promise<number>, version?: () => string,
): Promise<number> {
  const verbose = argv.includes('--verbose');
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  try {
    const beforeDashes = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
    if (usage && (beforeDashes.includes('-h') || beforeDashes.includes('--help'))) {
      process.stdout.write(usage);
      return 0;
    }
    if (version && beforeDashes.includes('--version')) {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    return await work(argv);
  } catch (error) {
    return reportError(error, verbose);
  }
}

/**
 * Print one error line (and the stack with --verbose); returns the exit code: 2 for a usage error (a
 * UsageError, ERR_INVALID_OPTION or ERR_OUTPUT_FORMAT), 1 otherwise.
 */
export function reportError(error: unknown, verbose: boolean): number {
  const usage = error instanceof UsageError ||
    (error instanceof KMeansSegError && (error.code === 'ERR_INVALID_OPTION' || error.code === 'ERR_OUTPUT_FORMAT'));
  const message = error instanceof Error ? error.message : String(error);
  const known = usage || error instanceof KMeansSegError;
  const line = known ? message : `unexpected failure: ${message} (please report it; --verbose shows the stack trace)`;
  process.stderr.write(`kmeans-seg: error: ${printable(line.replace(/\s*\n\s*/g, ' '))}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return usage ? 2 : 1;
}

/** One warning line on stderr; `prefix` says what it is about ("K = 4: "). */
export function warn(warning: string, prefix = ''): void {
  process.stderr.write(`kmeans-seg: warning: ${printable(`${prefix}${warning}`.replace(/\s*\n\s*/g, ' '))}\n`);
}

/**
 * A command's summary on stdout (stderr when an output goes there), every line passed through printable(): a file name that holds
 * terminal escapes is shown escaped (\u001b), never sent to the terminal. Valid JSON stays valid JSON.
 */
export function writeOut(text: string, stream: NodeJS.WriteStream = process.stdout): void {
  stream.write(text.split('\n').map(printable).join('\n'));
}

const quieted = new WeakSet<NodeJS.WriteStream>();
let streamFailed = false;

/**
 * A reader that goes away (`kmeans-seg ... --json | head -c 100`) ends the output quietly, as for
 * other Unix tools, but is no failure: the rest is dropped without a word, the run goes on (its files
 * are the product, each written whole or not at all), and the exit code is the run's own, 0 when it
 * succeeded, not SIGPIPE's 141. Any other error of the stream (a full disk under `> file`) is one
 * line and exit code 1.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (quieted.has(stream)) return;
  quieted.add(stream);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // After the first failure the stream is destroyed: later writes say so, and were dealt with then.
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED' || streamFailed) return;
    streamFailed = true;
    // Also at exit, in case the command's own exit code is set after this event.
    process.once('exit', () => { process.exitCode = 1; });
    if (stream !== process.stderr) process.stderr.write(`kmeans-seg: error: cannot write to stdout (${error.code ?? printable(error.message)})\n`);
  });
}

/**
 * The one input image a command takes.
 * @throws {UsageError} none, or more than one; `usage` ends the "missing" message.
 */
export function oneInput(positionals: readonly string[], usage: string): string {
  if (positionals.length === 0) throw new UsageError(`Missing the input image: usage: ${usage}`);
  if (positionals.length > 1) {
    throw new UsageError(`Expected one input image but received ${positionals.length}: ${positionals.map(quote).join(', ')}; for several images use kmeans-seg batch <images...> -o <folder>; quote a path that contains spaces, and put options before "--"`);
  }
  const input = positionals[0]!;
  // A quoted glob reaches us unexpanded: batch expands patterns, the one-image commands do not.
  if (/[*?]/.test(input) && !existsSync(input)) {
    throw new UsageError(`${quote(input)} is a pattern, and this command reads one image: kmeans-seg batch ${quote(input)} -o <folder> segments every match`);
  }
  return input;
}

/** Milliseconds for a JSON summary: two decimals. */
export function ms(x: number): number {
  return Math.round(x * 100) / 100;
}

/** "s" when n is not 1: "1 colour", "2 colours". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The palette as text: one line per colour, its hex, share and pixel count. */
export function paletteLines(palette: readonly PaletteEntry[]): string {
  return palette.map((p) => `  ${p.hex}  ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.count} px\n`).join('');
}

/** The palette for a JSON summary. */
export function paletteJSON(palette: readonly PaletteEntry[]): { hex: string; share: number; count: number }[] {
  return palette.map((p) => ({ hex: p.hex, share: p.share, count: p.count }));
}

/** Quality for JSON: an infinite PSNR (identical pixels) is written as null, which JSON can hold. */
export function qualityJSON(q: Quality): { psnr: number | null; mse: number; deltaE: Quality['deltaE'] } {
  return { psnr: Number.isFinite(q.psnr) ? q.psnr : null, mse: q.mse, deltaE: q.deltaE };
}

/** Quality as one line of text: PSNR and ΔE (OKLab x 100). */
export function qualityLine(q: Quality): string {
  return `PSNR ${Number.isFinite(q.psnr) ? `${q.psnr.toFixed(2)} dB` : 'infinite (identical)'}, ` +
    `ΔE OKLab×100 mean ${q.deltaE.mean.toFixed(2)}, p95 ${q.deltaE.p95.toFixed(2)}, max ${q.deltaE.max.toFixed(2)}`;
}
