/**
 * `-` on a command line: the input read from stdin, one output written to stdout. Invariant: at most
 * one output goes to stdout, and only once every file output is in place, so a failed run writes
 * nothing there; the summary then goes to stderr.
 */
import type { EncodedInput } from '../io/decode.js';
import type { OutputFormat } from '../io/output-path.js';
import { helpLine } from './help.js';
import { oneOf, stringFlag, type FlagValues } from './flags.js';
import { UsageError } from './report.js';

export const STDIO_FLAGS = {
  format: { type: 'string' },
  'palette-format': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const STDIO_HELP = [
  helpLine('--format <png|webp|jpeg>', 'format of -o - (the image on stdout); default png'),
  helpLine('--palette-format <json|gpl>', 'format of --palette - (the palette on stdout): JSON (default) or a GIMP palette'),
].join('\n');

/** The outputs that may be `-`, by flag name. */
const STDOUT_OUTPUTS = ['output', 'palette'] as const;
export type StdoutOutput = (typeof STDOUT_OUTPUTS)[number];

export interface Stdio {
  /** The input is `-`: read from stdin. */
  stdin: boolean;
  /** Which output is `-`, if one is. */
  stdout: StdoutOutput | undefined;
  /** The format of `-o -`. */
  format: OutputFormat;
  /** The format of `--palette -`. */
  paletteFormat: 'json' | 'gpl';
  /** --quiet: print no summary and no warnings, only errors. */
  quiet: boolean;
}

/**
 * Which of `input` and `outputs` are `-`, and the flags that go with them. Takes the stdout output out
 * of `outputs` (it has no path to check, reserve or stage).
 * @throws {UsageError} for two outputs on stdout, one that cannot be, --json beside one, --format or
 *   --palette-format without the output they are for, --quiet with --json, or `-` on a terminal.
 */
export function parseStdio(input: string, outputs: Partial<Record<string, string>>, values: FlagValues, json: boolean): Stdio {
  const dashes = Object.keys(outputs).filter((name) => outputs[name] === '-');
  if (dashes.length > 1) {
    throw new UsageError(`${dashes.map((n) => `--${n} -`).join(' and ')} both write to stdout: at most one output may be -; give the others a file`);
  }
  const dash = dashes[0];
  if (dash !== undefined && !(STDOUT_OUTPUTS as readonly string[]).includes(dash)) {
    throw new UsageError(`--${dash} cannot be - (stdout): only -o and --palette write to stdout; give --${dash} a path (a file named "-" is ./-)`);
  }
  const stdout = dash as StdoutOutput | undefined;
  if (stdout !== undefined) delete outputs[stdout];
  if (stdout !== undefined && json) {
    throw new UsageError(`--json prints the summary on stdout, where --${stdout} - writes: drop --json (the summary goes to stderr), or give --${stdout} a file`);
  }
  const quiet = values.quiet === true;
  if (quiet && json) throw new UsageError('--quiet and --json contradict each other: --json prints the summary, --quiet prints nothing; give one');
  const formatText = stringFlag(values, 'format');
  if (formatText !== undefined && stdout !== 'output') {
    throw new UsageError('--format gives the format of -o - (stdout): a file output takes its format from its extension (.png, .jpg, .webp)');
  }
  const paletteText = stringFlag(values, 'palette-format');
  if (paletteText !== undefined && stdout !== 'palette') {
    throw new UsageError('--palette-format gives the format of --palette - (stdout): a palette file takes its format from its extension (.gpl, else JSON)');
  }
  const stdin = input === '-';
  if (stdin) refuseTerminal();
  const format = formatText === undefined ? 'png' : oneOf('--format', formatText === 'jpg' ? 'jpeg' : formatText, ['png', 'webp', 'jpeg'] as const);
  const paletteFormat = paletteText === undefined ? 'json' : oneOf('--palette-format', paletteText, ['json', 'gpl'] as const);
  return { stdin, stdout, format, paletteFormat, quiet };
}

/** `-` would wait for a user to type an image. @throws {UsageError} when stdin is a terminal. */
function refuseTerminal(): void {
  if (process.stdin.isTTY === true) {
    throw new UsageError('The input is - (stdin) but stdin is a terminal: pipe an image in, e.g. cat photo.jpg | kmeans-seg - -o out.png');
  }
}

/** A command's input: stdin for `-` (refused on a terminal), else the path. @throws {UsageError} as refuseTerminal. */
export function stdinOr(input: string): EncodedInput {
  if (input !== '-') return input;
  refuseTerminal();
  return process.stdin;
}

/** What the decoder reads: stdin for `-`, else the path. */
export function inputSource(input: string, stdio: Stdio): EncodedInput {
  return stdio.stdin ? process.stdin : input;
}

/**
 * Write the output's bytes to stdout and wait until they are handed to the OS. A reader that went
 * away (EPIPE) is no failure (see runCommand): the bytes are dropped quietly.
 */
export function writeStdout(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.destroyed) { resolve(); return; }
    process.stdout.write(bytes, () => resolve()); // an error reaches the stream's 'error' handler too
  });
}
