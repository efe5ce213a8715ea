/**
 * The `kmeans-seg` command. `main` returns the exit code and never exits the process itself, so tests
 * and embedders can call it: 0 done, 1 failed (reading, decoding, clustering, writing), 2 usage error.
 * Results go to stdout; errors and warnings to stderr, one line each.
 *
 * `kmeans-seg sweep|apply|batch ...` hand the rest of the command line to that subcommand's module,
 * loaded only when used. The parsing helpers below are exported for them, so every subcommand reads
 * flags, numbers and errors the same way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { COLOR_SPACES, type ColorSpace } from '../core/colorspace.js';
import { KMeansSegError } from '../errors.js';
import { checkOutputPath, decodeImage, encodeImage, resolveLimitInputPixels, type DecodedImage } from '../io/image-io.js';
import { kmeans } from '../core/kmeans.js';
import { resolveOptions } from '../core/options.js';
import { checkFile, checkMaskDir, saveLabels, saveMasks, saveOverlay, savePalette } from '../outputs/outputs.js';
import { qualityOf, type Quality } from '../core/quality.js';
import { paintOver } from '../core/result.js';
import { nameInput, type SegmentOptions } from '../segment.js';
import { DEFAULT_LIMIT_INPUT_PIXELS, MAX_K } from '../limits.js';
import { nearestName } from '../validate.js';

const USAGE = `Usage: kmeans-seg <input> -o <output> [-k <K>] [options]
       kmeans-seg sweep <input> -k <K,K,...> -o <sheet>   (kmeans-seg sweep --help)
       kmeans-seg apply --palette <file> <images...> -o <out>   (kmeans-seg apply --help)
       kmeans-seg batch <images...> -k <K> -o <folder>   (kmeans-seg batch --help)

Segment an image into K flat colours with K-means.

  <input>                    image to read: JPEG, PNG, WebP, AVIF, TIFF or GIF
  -o, --output <file>        segmented image to write: .png, .jpg, .jpeg or .webp
  -k, --k <K>                number of colours, 1-${MAX_K} (default 8)

Other outputs (any of them may replace -o):
  --labels <file.png>        label map: grayscale PNG, pixel value = label (8-bit, or 16-bit when K > 255)
  --masks <folder>           one mask per colour: mask-00.png, mask-01.png, ... (folder created if missing)
  --palette <file>           the palette: JSON (hex, rgb, count, share), or a GIMP palette if it ends in .gpl
  --overlay <file>           the segment borders drawn over the original (.png, .jpg, .webp)
  --border-color <#rrggbb>   colour of those borders (default #ffff00)

Options:
  --color-space <space>      rgb (default), linear-rgb, lab or oklab: the space to cluster in
  --spatial-weight <w>       add pixel positions to colours (0 = off, default); 1 makes the longer
                             side span 255 units, like a colour channel: spatially coherent segments
  --seed <n>                 seed, 0-4294967295 (default 0): same seed, same output
  --init <method>            kmeans++ (default) or random
  --max-iter <n>             at most n iterations per attempt (default 300)
  --tolerance <x>            stop when no centre moves more than x, in the colour space's units (default 0.01)
  --attempts <n>             seeded restarts, the best is kept (default 1)
  --backend <name>           auto (default), wasm or js: same result, different speed
  --threads <n>              threads for the wasm kernel, 1-32 (default: all cores); same result
  --limit-input-pixels <n>   refuse larger images (default ${DEFAULT_LIMIT_INPUT_PIXELS}); 0 for no limit
  --force                    overwrite existing outputs, even the input
  --json                     print a JSON summary on stdout (palette, inertia, quality: PSNR and ΔE)
  --verbose                  print stack traces with errors
  -h, --help                 show this help
  --version                  print the version

Exit codes: 0 done, 1 failed (read, decode, write), 2 usage error.

Example:
  kmeans-seg photo.jpg -k 6 -o photo-6.png --seed 42 --palette photo-6.gpl --overlay photo-6-borders.png
`;

/** Flags every clustering command shares (the options of kmeans, plus the CLI's own). */
export const KMEANS_FLAGS = {
  k: { type: 'string', short: 'k' },
  seed: { type: 'string' },
  init: { type: 'string' },
  'max-iter': { type: 'string' },
  tolerance: { type: 'string' },
  attempts: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'color-space': { type: 'string' },
  'spatial-weight': { type: 'string' },
  'limit-input-pixels': { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const OPTIONS = {
  ...KMEANS_FLAGS,
  output: { type: 'string', short: 'o' },
  labels: { type: 'string' },
  masks: { type: 'string' },
  palette: { type: 'string' },
  overlay: { type: 'string' },
  'border-color': { type: 'string' },
} as const;

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
export type FlagValues = Record<string, string | boolean | undefined>;

/** A mistake in the command line: exit code 2. */
export class UsageError extends Error {}

const SUBCOMMANDS: Record<string, string> = { sweep: './sweep.js', apply: './apply.js', batch: './batch.js' };

export async function main(argv: string[]): Promise<number> {
  const sub = argv[0] !== undefined && Object.hasOwn(SUBCOMMANDS, argv[0]) ? argv[0] : undefined;
  if (sub !== undefined) return runCommand(argv.slice(1), '', (rest) => subcommand(sub, rest));
  return runCommand(argv, USAGE, run, true);
}

/**
 * What every command does around its work: --help (and --version for the main one) before any
 * parsing, and every error turned into one stderr line and an exit code.
 */
export async function runCommand(argv: string[], usage: string, work: (argv: string[]) => Promise<number>, hasVersion = false): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    const beforeDashes = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
    if (usage && (beforeDashes.includes('-h') || beforeDashes.includes('--help'))) {
      process.stdout.write(usage);
      return 0;
    }
    if (hasVersion && beforeDashes.includes('--version')) {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    return await work(argv);
  } catch (error) {
    return reportError(error, verbose);
  }
}

/** A string flag's value, or undefined (parseArgs types every value as string | boolean | array). */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

async function subcommand(name: string, argv: string[]): Promise<number> {
  let mod: { main(argv: string[]): Promise<number> };
  try {
    mod = (await import(SUBCOMMANDS[name]!)) as typeof mod;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(SUBCOMMANDS[name]!.slice(2))) {
      throw new KMeansSegError('ERR_BACKEND', `kmeans-seg ${name} is not part of this build (${SUBCOMMANDS[name]} is missing): reinstall kmeans-seg, or rebuild it with npm run build; a file named "${name}" is read with kmeans-seg ./${name}`, { cause: error });
    }
    throw error;
  }
  return mod.main(argv);
}

interface Outputs { output?: string; labels?: string; masks?: string; palette?: string; overlay?: string }

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, 'kmeans-seg');
  if (positionals.length === 0) throw new UsageError('Missing the input image: usage: kmeans-seg <input> -o <output> [-k <K>]');
  if (positionals.length > 1) {
    throw new UsageError(`Expected one input image but received ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(', ')}; quote a path that contains spaces, and put options before "--"`);
  }
  const input = positionals[0]!;
  const outputs: Outputs = {};
  for (const name of ['output', 'labels', 'masks', 'palette', 'overlay'] as const) {
    const v = values[name];
    if (v === '') throw new UsageError(`Empty value for --${name}: pass a path, e.g. --${name} ${exampleOf[name]}`);
    if (typeof v === 'string') outputs[name] = v;
  }
  if (Object.keys(outputs).length === 0) {
    throw new UsageError('Missing -o/--output: pass where to write the segmented image, e.g. -o out.png (or another output: --labels, --masks, --palette, --overlay)');
  }
  distinctPaths(outputs);
  const options = kmeansOptionsFrom(values);
  if (values.k !== undefined) options.k = integerFlag('-k/--k', values.k as string, 1, MAX_K, '-k 8');
  const borderColor = values['border-color'] === undefined ? undefined : hexColour('--border-color', values['border-color'] as string);
  const force = values.force === true;

  const t0 = performance.now();
  // Every option, then every output path, is checked before the input is decoded and clustered,
  // so a bad flag or path fails at once and nothing is written.
  const { limitInputPixels, ...kmeansOptions } = options;
  resolveOptions(kmeansOptions);
  const limit = resolveLimitInputPixels(limitInputPixels);
  const check = { force, inputPath: input };
  if (outputs.output !== undefined) await checkOutputPath(outputs.output, check);
  if (outputs.labels !== undefined) await checkFile(outputs.labels, { ...check, extensions: ['.png'], what: 'label map' });
  if (outputs.palette !== undefined) await checkFile(outputs.palette, { ...check, what: 'palette' });
  if (outputs.overlay !== undefined) await checkOutputPath(outputs.overlay, check);
  if (outputs.masks !== undefined) await checkMaskDir(outputs.masks, undefined, check);

  let image: DecodedImage | undefined = await decodeImage(input, { limitInputPixels: limit });
  const decode = performance.now() - t0;
  let result;
  try {
    result = await kmeans(image, kmeansOptions);
  } catch (error) {
    throw nameInput(error, input); // as segment() does: the core's image errors name the file
  }
  const warnings = [...image.warnings, ...result.warnings];
  const t1 = performance.now();
  // K is known now (it may have been reduced): the mask names can be checked before the first write.
  if (outputs.masks !== undefined) await checkMaskDir(outputs.masks, result.k, check);
  // Quality first, so that without --overlay the output can be painted over the decoded original
  // (no second image-sized buffer at the memory peak), which then goes.
  const quality = qualityOf(image, result);
  const original = outputs.overlay === undefined ? undefined : image;
  let spare = original === undefined ? image.data : undefined;
  image = undefined;
  if (outputs.output !== undefined) {
    const painted = spare !== undefined ? paintOver(result, spare) : result.hasAlpha ? result.toRGBA() : result.toRGB();
    await encodeImage(painted, result.width, result.height, outputs.output, check);
  }
  spare = undefined;
  if (outputs.labels !== undefined) await saveLabels(result, outputs.labels, check);
  const masks = outputs.masks === undefined ? undefined : await saveMasks(result, outputs.masks, check);
  if (outputs.palette !== undefined) await savePalette(result, outputs.palette, { ...check, colorSpace: kmeansOptions.colorSpace ?? 'rgb' });
  if (original !== undefined) await saveOverlay(original, result, outputs.overlay!, { ...check, color: borderColor });
  const encode = performance.now() - t1;
  const total = performance.now() - t0;

  for (const warning of warnings) process.stderr.write(`kmeans-seg: warning: ${warning}\n`);
  const ms = (x: number): number => Math.round(x * 100) / 100;
  if (values.json) {
    const summary = {
      input, output: outputs.output ?? null, width: result.width, height: result.height, k: result.k,
      palette: result.palette.map((p) => ({ hex: p.hex, share: p.share, count: p.count })),
      inertia: result.inertia, iterations: result.iterations, converged: result.converged,
      backend: result.backend, warnings,
      colorSpace: kmeansOptions.colorSpace ?? 'rgb',
      quality: qualityJSON(quality),
      outputs: { labels: outputs.labels ?? null, masks: masks ?? null, palette: outputs.palette ?? null, overlay: outputs.overlay ?? null },
      timings: {
        decode: ms(decode), histogram: ms(result.timings.histogram), init: ms(result.timings.init),
        lloyd: ms(result.timings.lloyd), encode: ms(encode), total: ms(total),
      },
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    const stop = result.converged ? 'converged' : 'not converged: raise --max-iter';
    const written = [
      outputs.labels && `  labels  -> ${outputs.labels}\n`,
      masks && `  masks   -> ${path.join(outputs.masks!, path.basename(masks[0]!))} ... ${path.basename(masks.at(-1)!)} (${masks.length})\n`,
      outputs.palette && `  palette -> ${outputs.palette}\n`,
      outputs.overlay && `  overlay -> ${outputs.overlay}\n`,
    ].filter(Boolean).join('');
    process.stdout.write(
      `${input}${outputs.output !== undefined ? ` -> ${outputs.output}` : ''}: ${result.width}x${result.height}, ${result.k} colour${result.k === 1 ? '' : 's'}, ` +
      `${result.iterations} iteration${result.iterations === 1 ? '' : 's'} (${stop}), ${result.backend}, ${Math.round(total)} ms\n` +
      result.palette.map((p) => `  ${p.hex}  ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.count} px\n`).join('') +
      `  ${qualityLine(quality)}\n` + written,
    );
  }
  return 0;
}

const exampleOf = { output: 'out.png', labels: 'labels.png', masks: 'masks', palette: 'palette.json', overlay: 'borders.png' };

/** Two outputs naming one file would overwrite each other: refuse it up front. */
function distinctPaths(outputs: Outputs): void {
  const seen = new Map<string, string>();
  for (const [name, file] of Object.entries(outputs)) {
    const key = path.resolve(file as string);
    const other = seen.get(key);
    if (other !== undefined) {
      throw new UsageError(`--${other} and --${name} both name ${JSON.stringify(file)}: give each output its own path`);
    }
    seen.set(key, name);
  }
}

/** Quality for JSON: an infinite PSNR (identical pixels) is written as null, which JSON can hold. */
export function qualityJSON(q: Quality): { psnr: number | null; mse: number; deltaE: Quality['deltaE'] } {
  return { psnr: Number.isFinite(q.psnr) ? q.psnr : null, mse: q.mse, deltaE: q.deltaE };
}

export function qualityLine(q: Quality): string {
  return `PSNR ${Number.isFinite(q.psnr) ? `${q.psnr.toFixed(2)} dB` : 'infinite (identical)'}, ` +
    `ΔE OKLab×100 mean ${q.deltaE.mean.toFixed(2)}, p95 ${q.deltaE.p95.toFixed(2)}, max ${q.deltaE.max.toFixed(2)}`;
}

/**
 * parseArgs with our error messages: an unknown flag or a missing value is a UsageError that names
 * it and points at `<command> --help`.
 */
export function parseCommandLine(argv: string[], options: FlagSpec, command: string): { values: FlagValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: normalise(argv, options), options, allowPositionals: true, strict: true });
    return { values: values as FlagValues, positionals };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = /'([^']+)'/.exec((error as Error).message)?.[1] ?? 'option';
      const near = nearestFlag(name, options);
      throw new UsageError(`Unknown option ${JSON.stringify(name)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}: run ${command} --help for the options; a file name starting with "-" goes after "--"`);
    }
    if (code?.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(`${(error as Error).message.replace(/\s*\n\s*/g, ' ')} (run ${command} --help)`);
    }
    throw error;
  }
}

/** The flag nearest to a mistyped one ("--max-iters" -> "--max-iter"), if it is near enough to be the likely intent. */
function nearestFlag(typed: string, options: FlagSpec): string | undefined {
  const near = nearestName(typed.replace(/^-+/, '').replace(/=.*$/s, ''), Object.keys(options));
  return near === undefined ? undefined : `--${near}`;
}

/**
 * parseArgs refuses a value that starts with "-" after a space ("-k -1" is "ambiguous"), so a
 * negative number would be reported as a missing value instead of a bad one; join such pairs
 * ("--k=-1") so the range check can name the value. "-k=4" becomes "--k=4" for the same reason.
 */
function normalise(argv: string[], options: FlagSpec): string[] {
  const short: Record<string, string> = {};
  for (const [name, spec] of Object.entries(options)) if (spec.short) short[`-${spec.short}`] = name;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { out.push(...argv.slice(i)); break; }
    const shortEq = /^(-[a-zA-Z])=(.*)$/s.exec(arg);
    if (shortEq && short[shortEq[1]!] !== undefined) { out.push(`--${short[shortEq[1]!]}=${shortEq[2]}`); continue; }
    const long = short[arg] ?? (arg.startsWith('--') ? arg.slice(2) : undefined);
    const takesValue = long !== undefined && options[long]?.type === 'string';
    const next = argv[i + 1];
    if (takesValue && next !== undefined && /^-(?:[\d.]|inf|nan)/i.test(next)) {
      out.push(`--${long}=${next}`);
      i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** The kmeans options of KMEANS_FLAGS (all but -k, whose form differs between commands), checked as text. */
export function kmeansOptionsFrom(values: FlagValues): SegmentOptions {
  const options: SegmentOptions = {};
  const text = (name: string): string | undefined => stringFlag(values, name);
  const seed = text('seed'), maxIter = text('max-iter'), attempts = text('attempts'), threads = text('threads');
  const limit = text('limit-input-pixels'), tolerance = text('tolerance'), init = text('init'), backend = text('backend');
  const space = text('color-space'), spatial = text('spatial-weight');
  if (seed !== undefined) options.seed = integerFlag('--seed', seed, 0, 4294967295, '--seed 42');
  if (maxIter !== undefined) options.maxIterations = integerFlag('--max-iter', maxIter, 1, 1e9, '--max-iter 300');
  if (attempts !== undefined) options.attempts = integerFlag('--attempts', attempts, 1, 10000, '--attempts 5');
  if (threads !== undefined) options.threads = integerFlag('--threads', threads, 1, 32, '--threads 2');
  if (limit !== undefined) {
    const n = integerFlag('--limit-input-pixels', limit, 0, Number.MAX_SAFE_INTEGER, '--limit-input-pixels 500000000');
    options.limitInputPixels = n === 0 ? false : n; // 0 means no limit, as in sharp
  }
  if (tolerance !== undefined) options.tolerance = numberFlag('--tolerance', tolerance, '--tolerance 0.01');
  if (spatial !== undefined) options.spatialWeight = numberFlag('--spatial-weight', spatial, '--spatial-weight 1');
  if (init !== undefined) options.init = oneOf('--init', init, ['kmeans++', 'random'] as const);
  if (backend !== undefined) options.backend = oneOf('--backend', backend, ['auto', 'wasm', 'js'] as const);
  if (space !== undefined) options.colorSpace = oneOf<ColorSpace>('--color-space', space, COLOR_SPACES);
  return options;
}

/** A plain non-negative decimal (an exponent allowed): "-1", "NaN", "0x10" and "" are refused. */
function numberFlag(label: string, text: string, example: string): number {
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(text) || !Number.isFinite(Number(text))) {
    throw new UsageError(`Invalid value ${JSON.stringify(text)} for ${label}: expected a number >= 0, e.g. ${example}`);
  }
  return Number(text);
}

/** Plain decimal digits only: "2.5", "1e3", "+4", "0x10" and "" are refused rather than guessed at. */
export function integerFlag(label: string, text: string, min: number, max: number, example: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`Invalid value ${JSON.stringify(text)} for ${label}: expected an integer between ${min} and ${max}, e.g. ${example}`);
  }
  return value;
}

export function oneOf<T extends string>(label: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`Invalid value ${JSON.stringify(text)} for ${label}: expected ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, e.g. ${label} ${choices[0]}`);
}

function hexColour(label: string, text: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(text);
  if (!m) throw new UsageError(`Invalid value ${JSON.stringify(text)} for ${label}: expected a colour #rrggbb, e.g. ${label} '#ff0000'`);
  const n = parseInt(m[1]!, 16);
  return [n >>> 16, (n >>> 8) & 255, n & 255];
}

/** Print one error line (and the stack with --verbose); returns the exit code: 2 for usage, 1 otherwise. */
export function reportError(error: unknown, verbose: boolean): number {
  const usage = error instanceof UsageError ||
    (error instanceof KMeansSegError && (error.code === 'ERR_INVALID_OPTION' || error.code === 'ERR_OUTPUT_FORMAT'));
  const message = error instanceof Error ? error.message : String(error);
  const known = usage || error instanceof KMeansSegError;
  const line = known ? message : `unexpected failure: ${message} (please report it; --verbose shows the stack trace)`;
  process.stderr.write(`kmeans-seg: error: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return usage ? 2 : 1;
}

export function version(): string {
  // cli.ts sits one folder below the package root both as src/ (tests) and dist/ (installed).
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
