/**
 * The `kmeans-seg` command. `main` returns the exit code and never exits the process itself, so tests
 * and embedders can call it: 0 done, 1 failed (reading, decoding, clustering, writing), 2 usage error.
 * Results go to stdout; errors and warnings to stderr, one line each.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KMeansSegError } from './errors.js';
import { checkOutputPath, DEFAULT_LIMIT_INPUT_PIXELS } from './image-io.js';
import { MAX_K } from './options.js';
import { segment, type SegmentOptions } from './segment.js';

const USAGE = `Usage: kmeans-seg <input> -o <output> [-k <K>] [options]

Segment an image into K flat colours with K-means.

  <input>                    image to read: JPEG, PNG, WebP, AVIF, TIFF or GIF
  -o, --output <file>        image to write: .png, .jpg, .jpeg or .webp (required)
  -k, --k <K>                number of colours, 1-${MAX_K} (default 8)

Options:
  --seed <n>                 seed, 0-4294967295 (default 0): same seed, same output
  --init <method>            kmeans++ (default) or random
  --max-iter <n>             at most n iterations per attempt (default 300)
  --tolerance <x>            stop when no centre moves more than x (0-255 units, default 0.01)
  --attempts <n>             seeded restarts, the best is kept (default 1)
  --backend <name>           auto (default), wasm or js: same result, different speed
  --threads <n>              threads for the wasm kernel, 1-32 (default: all cores); same result
  --limit-input-pixels <n>   refuse larger images (default ${DEFAULT_LIMIT_INPUT_PIXELS}); 0 for no limit
  --force                    overwrite an existing output, even the input
  --json                     print a JSON summary on stdout
  --verbose                  print stack traces with errors
  -h, --help                 show this help
  --version                  print the version

Exit codes: 0 done, 1 failed (read, decode, write), 2 usage error.

Example:
  kmeans-seg photo.jpg -k 6 -o photo-6.png --seed 42
`;

const OPTIONS = {
  k: { type: 'string', short: 'k' },
  output: { type: 'string', short: 'o' },
  seed: { type: 'string' },
  init: { type: 'string' },
  'max-iter': { type: 'string' },
  tolerance: { type: 'string' },
  attempts: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'limit-input-pixels': { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** A mistake in the command line: exit code 2. */
class UsageError extends Error {}

interface IntegerFlag { label: string; min: number; max: number; example: string }
const INTEGERS = {
  k: { label: '-k/--k', min: 1, max: MAX_K, example: '-k 8' },
  seed: { label: '--seed', min: 0, max: 4294967295, example: '--seed 42' },
  'max-iter': { label: '--max-iter', min: 1, max: 1e9, example: '--max-iter 300' },
  attempts: { label: '--attempts', min: 1, max: 10000, example: '--attempts 5' },
  threads: { label: '--threads', min: 1, max: 32, example: '--threads 2' },
  'limit-input-pixels': { label: '--limit-input-pixels', min: 0, max: Number.MAX_SAFE_INTEGER, example: '--limit-input-pixels 500000000' },
} satisfies Record<string, IntegerFlag>;

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    const beforeDashes = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
    if (beforeDashes.includes('-h') || beforeDashes.includes('--help')) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (beforeDashes.includes('--version')) {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    return await run(argv);
  } catch (error) {
    return report(error, verbose);
  }
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length === 0) throw new UsageError('Missing the input image: usage: kmeans-seg <input> -o <output> [-k <K>]');
  if (positionals.length > 1) {
    throw new UsageError(`Expected one input image but received ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(', ')}; quote a path that contains spaces, and put options before "--"`);
  }
  const input = positionals[0]!;
  const output = values.output;
  if (output === undefined || output === '') {
    throw new UsageError('Missing -o/--output: pass where to write the segmented image, e.g. -o out.png');
  }
  const options = toOptions(values);
  const force = values.force === true;

  const t0 = performance.now();
  // The output is checked before the input is decoded and clustered, so a bad -o fails at once.
  await checkOutputPath(output, { force, inputPath: input });
  const result = await segment(input, options);
  const t1 = performance.now();
  await result.save(output, { force });
  const encode = performance.now() - t1;
  const total = performance.now() - t0;

  for (const warning of result.warnings) process.stderr.write(`kmeans-seg: warning: ${warning}\n`);
  const ms = (x: number): number => Math.round(x * 100) / 100;
  if (values.json) {
    const summary = {
      input, output, width: result.width, height: result.height, k: result.k,
      palette: result.palette.map((p) => ({ hex: p.hex, share: p.share, count: p.count })),
      inertia: result.inertia, iterations: result.iterations, converged: result.converged,
      backend: result.backend, warnings: result.warnings,
      timings: {
        decode: ms(result.timings.decode), histogram: ms(result.timings.histogram), init: ms(result.timings.init),
        lloyd: ms(result.timings.lloyd), encode: ms(encode), total: ms(total),
      },
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    const stop = result.converged ? 'converged' : 'not converged: raise --max-iter';
    process.stdout.write(
      `${input} -> ${output}: ${result.width}x${result.height}, ${result.k} colour${result.k === 1 ? '' : 's'}, ` +
      `${result.iterations} iteration${result.iterations === 1 ? '' : 's'} (${stop}), ${result.backend}, ${Math.round(total)} ms\n` +
      result.palette.map((p) => `  ${p.hex}  ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.count} px\n`).join(''),
    );
  }
  return 0;
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: normalise(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = /'([^']+)'/.exec((error as Error).message)?.[1] ?? 'option';
      throw new UsageError(`Unknown option ${JSON.stringify(name)}: run kmeans-seg --help for the options; a file name starting with "-" goes after "--"`);
    }
    if (code?.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(`${(error as Error).message.replace(/\s*\n\s*/g, ' ')} (run kmeans-seg --help)`);
    }
    throw error;
  }
}

/**
 * parseArgs refuses a value that starts with "-" after a space ("-k -1" is "ambiguous"), so a
 * negative number would be reported as a missing value instead of a bad one; join such pairs
 * ("--k=-1") so the range check can name the value. "-k=4" becomes "--k=4" for the same reason.
 */
function normalise(argv: string[]): string[] {
  const short: Record<string, string> = { '-k': 'k', '-o': 'output' };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { out.push(...argv.slice(i)); break; }
    const shortEq = /^(-[ko])=(.*)$/s.exec(arg);
    if (shortEq) { out.push(`--${short[shortEq[1]!]}=${shortEq[2]}`); continue; }
    const long = short[arg] ?? (arg.startsWith('--') ? arg.slice(2) : undefined);
    const takesValue = long !== undefined && (OPTIONS as Record<string, { type: string }>)[long]?.type === 'string';
    const next = argv[i + 1];
    if (takesValue && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`--${long}=${next}`);
      i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

type Values = ReturnType<typeof parse>['values'];

function toOptions(values: Values): SegmentOptions {
  const options: SegmentOptions = {};
  if (values.k !== undefined) options.k = integer('k', values.k);
  if (values.seed !== undefined) options.seed = integer('seed', values.seed);
  if (values['max-iter'] !== undefined) options.maxIterations = integer('max-iter', values['max-iter']);
  if (values.attempts !== undefined) options.attempts = integer('attempts', values.attempts);
  if (values.threads !== undefined) options.threads = integer('threads', values.threads);
  if (values['limit-input-pixels'] !== undefined) {
    const limit = integer('limit-input-pixels', values['limit-input-pixels']);
    options.limitInputPixels = limit === 0 ? false : limit; // 0 means no limit, as in sharp
  }
  if (values.tolerance !== undefined) {
    const text = values.tolerance;
    if (!/^(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(text) || !Number.isFinite(Number(text))) {
      throw new UsageError(`Invalid value ${JSON.stringify(text)} for --tolerance: expected a number >= 0, e.g. --tolerance 0.01`);
    }
    options.tolerance = Number(text);
  }
  if (values.init !== undefined) options.init = oneOf('--init', values.init, ['kmeans++', 'random'] as const);
  if (values.backend !== undefined) options.backend = oneOf('--backend', values.backend, ['auto', 'wasm', 'js'] as const);
  return options;
}

/** Plain decimal digits only: "2.5", "1e3", "+4", "0x10" and "" are refused rather than guessed at. */
function integer(name: keyof typeof INTEGERS, text: string): number {
  const { label, min, max, example } = INTEGERS[name];
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`Invalid value ${JSON.stringify(text)} for ${label}: expected an integer between ${min} and ${max}, e.g. ${example}`);
  }
  return value;
}

function oneOf<T extends string>(label: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`Invalid value ${JSON.stringify(text)} for ${label}: expected ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, e.g. ${label} ${choices[0]}`);
}

function report(error: unknown, verbose: boolean): number {
  const usage = error instanceof UsageError ||
    (error instanceof KMeansSegError && (error.code === 'ERR_INVALID_OPTION' || error.code === 'ERR_OUTPUT_FORMAT'));
  const message = error instanceof Error ? error.message : String(error);
  const known = usage || error instanceof KMeansSegError;
  const line = known ? message : `unexpected failure: ${message} (please report it; --verbose shows the stack trace)`;
  process.stderr.write(`kmeans-seg: error: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return usage ? 2 : 1;
}

function version(): string {
  // cli.ts sits one folder below the package root both as src/ (tests) and dist/ (installed).
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
