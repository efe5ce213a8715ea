/**
 * Reading a command line: flags to values, text to numbers. Table options only convert their text and
 * leave every range to the option table's check, so a flag accepts exactly what the API accepts.
 */
import { parseArgs } from 'node:util';
import { canonicalValue, checkOption, foreignHint, foreignName, listOf, optionNames, optionRow, type OptionName, type OptionRow, type Rule } from '../core/option-table.js';
import { KMeansSegError } from '../errors.js';
import type { SegmentOptions } from '../segment.js';
import { readPalette } from '../palette/parse.js';
import { nearestName, quote } from '../validate.js';
import { UsageError } from './report.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
export type FlagValues = Record<string, string | boolean | undefined>;
/** What flags can set: every option but the callbacks. */
export type FlagOptions = Omit<SegmentOptions, 'onProgress' | 'signal'>;

/** The CLI's own flags, which every command takes (help) or most do; their help differs by command. */
export const COMMON_FLAGS = {
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** An option's row, which must have a flag (the commands list only such options). */
function flagRow(name: OptionName): OptionRow & { flag: NonNullable<OptionRow['flag']> } {
  const row = optionRow(name);
  if (!row.flag) throw new Error(`option ${name} has no CLI flag`);
  return row as OptionRow & { flag: NonNullable<OptionRow['flag']> };
}

/** The parseArgs spec of the table options a command takes, in table order. */
export function tableFlags(names: readonly OptionName[]): FlagSpec {
  const spec: FlagSpec = {};
  // Table order whatever the help's order: "did you mean" breaks ties in the spec's order.
  for (const name of optionNames().filter((n) => names.includes(n))) {
    const { flag } = flagRow(name);
    spec[flag.name] = flag.short ? { type: 'string', short: flag.short } : { type: 'string' };
  }
  return spec;
}

/** The flag of a table option: "max-iter" for maxIterations. */
export function flagName(name: OptionName): string {
  return flagRow(name).flag.name;
}

/** How messages name a flag: "-k/--k", "--seed". */
export function flagLabel(name: OptionName): string {
  const { flag } = flagRow(name);
  return flag.short ? `-${flag.short}/--${flag.name}` : `--${flag.name}`;
}

/** A string flag's value, or undefined (parseArgs types every value as string | boolean | array). */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The table options a command takes, from their flags: each text converted, then checked by the
 * option table's own check (resolveOptions makes the same one), so the range has one home.
 * @throws {UsageError} "Invalid value "x" for --flag: expected ..., e.g. --flag 42".
 */
export function kmeansOptionsFrom(values: FlagValues, names: readonly OptionName[]): FlagOptions {
  const options: Record<string, unknown> = {};
  for (const name of names) {
    const text = stringFlag(values, flagName(name));
    if (text !== undefined) options[name] = optionValue(name, text);
  }
  return options as FlagOptions;
}

/** One table option's value from its flag's text. @throws {UsageError} when the option's check refuses it. */
export function optionValue(name: OptionName, text: string): unknown {
  const row = flagRow(name);
  const number = canonicalValue(row, fromText(row.rule, text)); // --init k-means++ is kmeans++
  const value = row.flag.zeroIsFalse && number === 0 ? false : number; // 0 means no limit, as in sharp
  try {
    checkOption(name, value);
  } catch (error) {
    if (!(error instanceof KMeansSegError)) throw error;
    const { flag } = row;
    const example = `${flag.short ? `-${flag.short}` : `--${flag.name}`} ${flag.example ?? exampleOf(row.rule)}`;
    throw new UsageError(`Invalid value ${quote(text)} for ${flagLabel(name)}: expected ${cliExpected(row)}${flag.why ? ` (${flag.why})` : ''}, e.g. ${example}`);
  }
  return value;
}

/**
 * Text to the value the rule checks. Only plain decimal digits are an integer and only a plain
 * non-negative decimal is a number ("2.5", "1e3", "+4", "0x10", "-1", "" are not guessed at): any
 * other text becomes NaN, which every numeric rule refuses.
 */
function fromText(rule: Rule, text: string): unknown {
  if (rule.kind === 'integer') return /^\d+$/.test(text) ? Number(text) : NaN;
  if (rule.kind === 'number') return /^(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
  // A choice of numbers (connectivity 4 or 8) takes their plain digits; anything else stays text, which no such choice holds.
  if (rule.kind === 'choice' && rule.choices.some((c) => typeof c === 'number') && /^\d+$/.test(text)) return Number(text);
  // A choice of true and false (--serpentine) takes those words.
  if (rule.kind === 'choice' && rule.choices.includes(true) && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function exampleOf(rule: Rule): string {
  return rule.kind === 'choice' ? String(rule.choices[0]) : '1';
}

/** The rule in a command line's words: no quotes, no "finite" (text cannot say infinity). */
export function cliExpected(row: OptionRow): string {
  const { rule } = row;
  switch (rule.kind) {
    case 'integer': return `an integer between ${row.flag?.zeroIsFalse ? 0 : rule.min} and ${rule.max}`;
    case 'number': return rule.max === undefined ? `a number >= ${rule.min}` : `a number from ${rule.min} to ${rule.max}`;
    case 'choice': return listOf(rule.choices.map(String));
    default: return rule.kind;
  }
}

/**
 * parseArgs with our error messages.
 * @throws {UsageError} an unknown flag (naming the nearest valid one) or a missing value, pointing at
 * `<command> --help`.
 */
export function parseCommandLine(argv: string[], options: FlagSpec, command: string): { values: FlagValues; positionals: string[] } {
  try {
    const { values, positionals, tokens } = parseArgs({ args: normalise(argv, options), options, allowPositionals: true, strict: true, tokens: true });
    refuseRepeats(tokens, options);
    return { values: values as FlagValues, positionals };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const name = /'([^']+)'/.exec((error as Error).message)?.[1] ?? 'option';
      // scikit-learn's --n-init, --tol, ...: ours named, when this command takes it.
      const foreign = foreignName(name);
      const flag = foreign && optionRow(foreign.ours).flag?.name;
      if (flag !== undefined && options[flag] !== undefined) {
        throw new UsageError(`Unknown option ${quote(name)}: ${foreignHint(name, () => `--${flag}`)}; run ${command} --help for the options`);
      }
      const near = nearestFlag(name, options);
      throw new UsageError(`Unknown option ${quote(name)}${near ? ` (did you mean ${quote(near)}?)` : ''}: run ${command} --help for the options; a file name starting with "-" goes after "--"`);
    }
    if (code?.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(`${(error as Error).message.replace(/\s*\n\s*/g, ' ')} (run ${command} --help)`);
    }
    throw error;
  }
}

/**
 * A flag that takes a value may be given once: with `-o a.png -o b.png` the last would silently win,
 * so the run would not do what the line says. Switches (--force, --json) may repeat: saying one twice
 * means the same.
 * @throws {UsageError} naming the flag and both values.
 */
function refuseRepeats(tokens: ReturnType<typeof parseArgs>['tokens'] & object, options: FlagSpec): void {
  const seen = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || options[token.name]?.type !== 'string') continue;
    const before = seen.get(token.name);
    if (before !== undefined) {
      const short = options[token.name]!.short;
      const label = `${short ? `-${short}/` : ''}--${token.name}`;
      throw new UsageError(`${label} is given twice (${quote(before)} and ${quote(token.value ?? '')}): give it once, as the last would silently win`);
    }
    seen.set(token.name, token.value ?? '');
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
export function normalise(argv: string[], options: FlagSpec): string[] {
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

/**
 * A command's own integer flag (--columns, --jobs): plain decimal digits in [min, max].
 * @throws {UsageError} naming the text, the range and an example.
 */
export function integerFlag(label: string, text: string, min: number, max: number, example: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`Invalid value ${quote(text)} for ${label}: expected an integer between ${min} and ${max}, e.g. ${example}`);
  }
  return value;
}

/** One of `choices`, as typed. @throws {UsageError} listing them. */
export function oneOf<T extends string>(label: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`Invalid value ${quote(text)} for ${label}: expected ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, e.g. ${label} ${choices[0]}`);
}

/** "#rrggbb" (the "#" optional) to [r, g, b]. @throws {UsageError} for anything else. */
export function hexColour(label: string, text: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(text);
  if (!m) throw new UsageError(`Invalid value ${quote(text)} for ${label}: expected a colour #rrggbb, e.g. ${label} '#ff0000'`);
  const n = parseInt(m[1]!, 16);
  return [n >>> 16, (n >>> 8) & 255, n & 255];
}

/**
 * `--init palette.json` (or .gpl, or any path with a folder in it): the flag names a palette file of
 * starting colours, not a method. Returns the values without it, for kmeansOptionsFrom, and the file.
 */
export function initFileFrom(values: FlagValues): { values: FlagValues; initFile: string | undefined } {
  const text = stringFlag(values, 'init');
  if (text === undefined || !/\.(json|gpl)$/i.test(text) && !/[\\/]/.test(text)) return { values, initFile: undefined };
  return { values: { ...values, init: undefined }, initFile: text };
}

/**
 * The starting centroids of `--init FILE`: the palette's sRGB colours, as the API's init takes them.
 * @throws the errors of readPalette (ERR_INPUT_NOT_FOUND, ERR_PALETTE, ...).
 */
export async function initColours(file: string): Promise<[number, number, number][]> {
  return (await readPalette(file)).palette.map((p) => p.rgb);
}
