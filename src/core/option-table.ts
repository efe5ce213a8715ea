/**
 * The clustering options as one table in two halves keyed alike: the rules (type, range, default, fix)
 * and the docs (one-line doc, CLI flag). resolveOptions, the CLI's flags and --help, docs/options.md derive from it.
 */
import { COLOR_SPACES } from './colorspace.js';
import { DEFAULT_LIMIT_INPUT_PIXELS, MAX_K, MAX_MIN_REGION, MAX_SEED, MAX_THREADS } from '../limits.js';
import { STRIP_DOCS, STRIP_RULES } from './strip-options.js';
import { KMeansSegError } from '../errors.js';
import { checkCallbacks, invalidOption, quote } from '../validate.js';
import { ROI_DITHER_DOCS, ROI_DITHER_RULES } from './roi-dither-options.js';
import { checkRoiMask } from './roi.js';
import { K_SEARCH_DOCS, K_SEARCH_RULES, SAMPLE_DOCS, SAMPLE_RULES } from './k-search-options.js';

/** What a value must be. `orFalse`: `false` is also accepted (limitInputPixels: no limit). */
export type Rule =
  | { kind: 'integer'; min: number; max: number; orFalse?: true; /** 'auto' is also accepted (k: the quality target's search). */ orAuto?: true }
  | { kind: 'number'; min: number; max?: number; unit?: string }
  | { kind: 'choice'; choices: readonly (string | boolean | number)[] }
  | { kind: 'function' }
  | { kind: 'signal' }
  /** A region-of-interest mask: its shape is checked by core/roi.ts (checkRoiMask). */
  | { kind: 'mask' }
  | { kind: 'object' } /* target: its fields are checked by core/k-search-options.ts */;

export interface OptionRule {
  rule: Rule;
  /** undefined: optional, the work decides (threads: every core). */
  default: unknown;
  /** How to fix a bad value, appended to the error message. */
  fix?: string;
  /** The API error's "Expected ..." when the rule alone does not say it. */
  expected?: string;
  /** Only the file fronts (segment, sweep, applyPalette, batch) take it; kmeans refuses it. */
  filesOnly?: true;
  /** Other spellings of a choice, taken as the choice (scikit-learn's 'k-means++' for 'kmeans++'). */
  aliases?: Readonly<Record<string, string>>;
}

/**
 * The rules, in the order the options are checked, listed and documented. Their docs and flags are
 * OPTION_DOCS, kept apart only so that the browser bundle, which needs the rules, drops the docs.
 */
export const OPTION_RULES = {
  k: { rule: { kind: 'integer', min: 1, max: MAX_K, orAuto: true }, default: 8, fix: "pass the number of colours, e.g. k: 8, or 'auto' with a target" },
  ...K_SEARCH_RULES,
  seed: { rule: { kind: 'integer', min: 0, max: MAX_SEED }, default: 0, fix: 'pass a whole number, e.g. seed: 42' },
  init: {
    rule: { kind: 'choice', choices: ['kmeans++', 'random', 'random-colours'] }, default: 'kmeans++', aliases: { 'k-means++': 'kmeans++' },
    expected: "'kmeans++', 'random', 'random-colours' or an array of [r, g, b] centroids",
  },
  maxIterations: { rule: { kind: 'integer', min: 1, max: 1e9 }, default: 300, fix: 'the default is 300' },
  tolerance: {
    rule: { kind: 'number', min: 0, unit: 'colour units' }, default: 0.01,
    fix: 'the default is 0.01; 0 runs until no label changes',
  },
  attempts: { rule: { kind: 'integer', min: 1, max: 10000 }, default: 1, fix: 'use 1 (default) to 10' },
  backend: { rule: { kind: 'choice', choices: ['auto', 'wasm', 'js'] }, default: 'auto' },
  histogram: { rule: { kind: 'choice', choices: ['auto', true, false] }, default: 'auto' },
  threads: {
    rule: { kind: 'integer', min: 1, max: MAX_THREADS }, default: undefined,
    fix: `use 1 to ${MAX_THREADS}, or leave it out for every core`,
  },
  colorSpace: { rule: { kind: 'choice', choices: COLOR_SPACES }, default: 'rgb' },
  spatialWeight: {
    rule: { kind: 'number', min: 0, max: 257 }, default: 0,
    fix: 'try 0.5 to 2; above 257, positions lose float32 exactness',
  },
  ...SAMPLE_RULES,
  connectivity: {
    rule: { kind: 'choice', choices: [4, 8] }, default: 8,
    fix: '8 (default) joins pixels that touch at an edge or a corner, 4 only those that share an edge',
  },
  minRegion: {
    rule: { kind: 'integer', min: 0, max: MAX_MIN_REGION }, default: 0,
    fix: 'pass a size in pixels, e.g. minRegion: 20; 0 (default) merges nothing',
  },
  regions: { rule: { kind: 'choice', choices: [true, false] }, default: false },
  ...ROI_DITHER_RULES,
  onProgress: { rule: { kind: 'function' }, default: undefined },
  signal: { rule: { kind: 'signal' }, default: undefined },
} as const satisfies Record<string, OptionRule>;

/**
 * The rows of the options only the file fronts take (segment, sweep, applyPalette, batch): kmeans
 * refuses them. Apart from OPTION_RULES so that a bundle of kmeans alone drops them.
 */
export const FILE_OPTION_RULES = {
  limitInputPixels: {
    rule: { kind: 'integer', min: 1, max: 2 ** 53 - 1, orFalse: true }, default: DEFAULT_LIMIT_INPUT_PIXELS, filesOnly: true,
    expected: 'a positive integer or false',
    fix: `the default is ${DEFAULT_LIMIT_INPUT_PIXELS}; pass a larger number, or false for no limit, for images you trust`,
  },
  pngColors: { rule: { kind: 'choice', choices: ['auto', 'truecolour'] }, default: 'auto', filesOnly: true },
  ...STRIP_RULES,
} as const satisfies Record<string, OptionRule>;

export type KMeansOptionName = keyof typeof OPTION_RULES;
export type OptionName = KMeansOptionName | keyof typeof FILE_OPTION_RULES;
/** The options of kmeans itself, in table order. */
export const KMEANS_OPTION_NAMES = /* @__PURE__ */ Object.keys(OPTION_RULES) as KMeansOptionName[];
/** Every option, in table order: kmeans' own, then the file fronts'. */
export function optionNames(): OptionName[] {
  return [...KMEANS_OPTION_NAMES, ...Object.keys(FILE_OPTION_RULES) as OptionName[]];
}

function ruleRow(name: OptionName): OptionRule {
  return name in OPTION_RULES ? OPTION_RULES[name as KMeansOptionName] : FILE_OPTION_RULES[name as keyof typeof FILE_OPTION_RULES];
}

/** A CLI flag: `--name arg`, or `-short`. `zeroIsFalse`: the flag's 0 means the API's `false`. */
export interface FlagDoc {
  name: string;
  short?: string;
  arg: string;
  /** A valid value, for "e.g. --seed 42" in messages; choices default to their first. */
  example?: string;
  zeroIsFalse?: true;
  /** The values as --help shows them, when the rule's range would mislead. */
  values?: string;
  /** --help's text, when the option's doc says more than a command line can do. */
  doc?: string;
  /** Why the range ends where it does, added to the message that refuses a value. */
  why?: string;
}

export interface OptionDoc {
  /** One line: what the option does. Its range and default are derived from the rule. */
  doc: string;
  /** The type as docs/options.md shows it, when the rule does not say it all. */
  type?: string;
  /** The default in words, when it is no plain value. */
  defaultText?: string;
  /** The flag of every command that takes the option; none: API only. */
  flag?: FlagDoc;
  /** It shapes the clusters, so a fixed palette (batch's palette) leaves it nothing to do. */
  clusters?: true;
}

/** The other half of each row of the table: doc and flag. Every option has one (the type says so). */
export const OPTION_DOCS: Record<OptionName, OptionDoc> = {
  k: {
    clusters: true,
    doc: 'number of colours; fewer, with a warning, when the image has fewer distinct colours',
    flag: { name: 'k', short: 'k', arg: '<K>', example: '8' },
    type: "integer 1-65536, or `'auto'` (with target)",
  },
  ...K_SEARCH_DOCS,
  seed: {
    clusters: true,
    doc: 'seed of the PRNG behind initialisation and restarts: same seed, same output',
    flag: { name: 'seed', arg: '<n>', example: '42' },
  },
  init: {
    clusters: true,
    doc: 'how centroids start: greedy k-means++ (as scikit-learn); random, the classic method (K distinct colours, each drawn in proportion to its pixels, as drawing K pixels would); random-colours (K distinct colours drawn uniformly, a rare one as likely as a common one); or (API only) the K centroids [[r, g, b], ...]',
    type: "`'kmeans++'` | `'random'` | `'random-colours'` | `[[r, g, b], ...]`",
    flag: { name: 'init', arg: '<method>', doc: 'how centroids start: greedy k-means++ (as scikit-learn), random (the classic method: K distinct colours drawn in proportion to their pixels) or random-colours (K distinct colours drawn uniformly)' },
  },
  maxIterations: {
    clusters: true,
    doc: 'most assignment passes per attempt',
    flag: { name: 'max-iter', arg: '<n>', example: '300' },
  },
  tolerance: {
    clusters: true,
    doc: "stop when no centroid moves more than this, in the colour space's units; 0 runs until no label changes",
    flag: { name: 'tolerance', arg: '<x>', example: '0.01' },
  },
  attempts: {
    clusters: true,
    doc: 'seeded restarts; the lowest inertia is kept',
    flag: { name: 'attempts', arg: '<n>', example: '5' },
  },
  backend: {
    doc: 'SIMD WebAssembly or TypeScript: same result, different speed; auto takes wasm when it passes a probe',
    flag: { name: 'backend', arg: '<name>' },
  },
  histogram: {
    clusters: true,
    doc: 'cluster the distinct colours weighted by their counts, not every pixel: same result, faster; auto does when they are fewer than 3/4 of the pixels',
  },
  threads: {
    doc: 'threads for the wasm kernel (small images use one); results do not depend on it',
    defaultText: 'every core',
    flag: { name: 'threads', arg: '<n>', example: '2' },
  },
  colorSpace: {
    doc: 'the space to cluster in; tolerance and centroids use its units, the palette is always sRGB',
    flag: { name: 'color-space', arg: '<space>' },
  },
  spatialWeight: {
    doc: 'add pixel positions to colours for spatially coherent segments; at 1 the longer side spans 255 units, like a colour channel; slower, as no histogram is used; at most 257, as positions sit on a 1/256 grid in float32, exact only while spatialWeight x 255 x 256 <= 2^24',
    flag: {
      name: 'spatial-weight', arg: '<w>', example: '1',
      doc: 'add pixel positions to colours for spatially coherent segments; at 1 the longer side spans 255 units, like a colour channel; slower, as no histogram is used; at most 257, so positions stay exact in float32',
      why: 'positions sit on a 1/256 grid in float32, exact only while w x 255 x 256 <= 2^24',
    },
  },
  ...SAMPLE_DOCS,
  connectivity: {
    clusters: true,
    doc: 'how pixels of one label join into a region: 8 (edges and corners) or 4 (edges only); for regions, minRegion and the region outputs',
    flag: { name: 'connectivity', arg: '<n>', example: '4', doc: 'how pixels of one label join into a region: 8 (edges and corners) or 4 (edges only), for merging small regions and the region outputs' },
  },
  minRegion: {
    clusters: true,
    doc: 'merge every connected region under this many pixels into its neighbour nearest in mean colour, smallest first (docs/regions.md); rewrites the labels and every output; 0 merges nothing',
    flag: { name: 'min-region', arg: '<px>', example: '20', doc: 'merge every connected region under this many pixels into its neighbour nearest in mean colour, smallest first; every output shows the merged regions (docs/regions.md); 0 merges nothing' },
  },
  regions: {
    clusters: true,
    doc: "compute the connected regions during the run, for result.regions() (their mean colours are read from the pixels, which the result does not keep); minRegion above 1 and the CLI's region outputs imply it",
  },
  ...ROI_DITHER_DOCS,
  onProgress: {
    doc: "called after every assignment pass with { stage: 'lloyd', done, total, attempt, iteration, inertia, changed }, on the calling thread (Node's job worker posts each one)",
    type: '`(progress) => void`', defaultText: 'none',
  },
  signal: {
    doc: 'an abort rejects with ERR_ABORTED (cause: its reason): at once while a job worker runs the call, else after the current pass',
    type: '`AbortSignal`', defaultText: 'none',
  },
  limitInputPixels: {
    doc: 'refuse images with more pixels, read from the header before decoding: a decompression-bomb guard',
    type: 'integer >= 1, or `false` for no limit',
    flag: { name: 'limit-input-pixels', arg: '<n>', example: '500000000', zeroIsFalse: true, values: '0 for no limit' },
  },
  pngColors: {
    doc: 'how a segmented PNG stores its pixels: auto writes an indexed PNG (a palette, 1 to 8 bits a pixel) when it has at most 256 distinct colours, truecolour always RGB or RGBA; a reader gets the same pixels either way',
    flag: { name: 'png-colors', arg: '<mode>' },
  },
  ...STRIP_DOCS,
};

/** A value as its row takes it: an alias (see OptionRule.aliases) becomes its choice, anything else stays. */
export function canonicalValue(row: OptionRule, value: unknown): unknown {
  return typeof value === 'string' && row.aliases !== undefined && Object.hasOwn(row.aliases, value) ? row.aliases[value] : value;
}

/**
 * Names other libraries give our options (scikit-learn's KMeans, OpenCV's cv.kmeans), each with ours
 * and what differs: an unknown option with one of these names is answered with ours, not a guess.
 * Keyed as typed in the API; a CLI flag is looked up with dashes as underscores (--n-init).
 */
export const FOREIGN_NAMES: Readonly<Record<string, { ours: OptionName; note: string }>> = {
  n_clusters: { ours: 'k', note: "scikit-learn's n_clusters" },
  n_init: { ours: 'attempts', note: "scikit-learn's n_init (seeded restarts; the lowest inertia is kept)" },
  max_iter: { ours: 'maxIterations', note: "scikit-learn's max_iter" },
  tol: {
    ours: 'tolerance',
    note: "scikit-learn's tol, but ours is absolute, in the colour space's units (stop when no centroid moves more than it), not relative to the data's variance; the default is 0.01",
  },
  random_state: { ours: 'seed', note: "scikit-learn's random_state" },
};

/** "scikit-learn's n_init is attempts here (...)" for a name another library gives one of ours, else undefined. */
export function foreignHint(typed: string, ours: (name: OptionName) => string = (name) => name): string | undefined {
  const foreign = foreignName(typed);
  return foreign && foreign.note.replace(/^([^ ]+ [^ ,(]+)/, `$1 is ${ours(foreign.ours)} here`);
}

/** The row of FOREIGN_NAMES for a name as typed ("n_init", "--n-init"), if it has one. */
export function foreignName(typed: string): (typeof FOREIGN_NAMES)[string] | undefined {
  const key = typed.replace(/^-+/, '').replace(/=.*$/s, '').replace(/-/g, '_');
  return Object.hasOwn(FOREIGN_NAMES, key) ? FOREIGN_NAMES[key] : undefined;
}

/**
 * Refuse an option named as another library names it, naming ours (see FOREIGN_NAMES).
 * @throws {KMeansSegError} ERR_INVALID_OPTION for such a name that `known` does not hold.
 */
export function checkForeignNames(options: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(options)) {
    const foreign = known.includes(name) ? undefined : foreignName(name);
    if (foreign) throw new KMeansSegError('ERR_INVALID_OPTION', `Unknown option ${quote(name)} for ${where}: did you mean ${quote(foreign.ours)}? ${foreignHint(name)}`);
  }
}

/** The options a fixed palette makes meaningless (batch with a palette refuses them). */
export function clusterOptionNames(): KMeansOptionName[] {
  return KMEANS_OPTION_NAMES.filter((n) => OPTION_DOCS[n].clusters === true);
}

export const CLUSTER_OPTION_NAMES: readonly KMeansOptionName[] = /* @__PURE__ */ clusterOptionNames();

/** Whether `value` obeys the rule. */
export function accepts(rule: Rule, value: unknown): boolean {
  switch (rule.kind) {
    case 'integer':
      return (rule.orFalse === true && value === false) || (rule.orAuto === true && value === 'auto')
        || (typeof value === 'number' && Number.isInteger(value) && value >= rule.min && value <= rule.max);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= rule.min && !(value > rule.max!);
    case 'choice':
      return rule.choices.includes(value as string | boolean | number);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      return true; // functions and signals: checkCallbacks words their errors
  }
}

/** The rule in words, for the API's errors ("an integer between 1 and 65536", "'auto', 'wasm' or 'js'"). */
export function expectedText(rule: Rule): string {
  switch (rule.kind) {
    case 'integer': return `an integer between ${rule.min} and ${rule.max}${rule.orFalse ? ' or false' : ''}${rule.orAuto ? " or 'auto'" : ''}`;
    case 'number': return `a finite number >= ${rule.min}${rule.max === undefined ? '' : ` and <= ${rule.max}`}${rule.unit ? ` (${rule.unit})` : ''}`;
    case 'choice': return listOf(rule.choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c))));
    case 'function': return 'a function';
    case 'signal': return 'an AbortSignal';
    case 'mask': return 'a mask';
    case 'object': return 'an object';
  }
}

/** "a, b or c". */
export function listOf(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/**
 * Check one option's value against its row (undefined passes when the option has no default).
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the option, the value received and the fix.
 */
export function checkOption(name: OptionName, value: unknown): void {
  checkValue(name, ruleRow(name), value);
}

/** checkOption with the row given (resolveOptions: kmeans' rows only, so bundles drop the others). */
export function checkValue(name: string, row: OptionRule, value: unknown): void {
  if (value === undefined && row.default === undefined) return;
  if (row.rule.kind === 'function') return checkCallbacks(value, undefined);
  if (row.rule.kind === 'signal') return checkCallbacks(undefined, value);
  if (row.rule.kind === 'mask') return checkRoiMask(name, value);
  if (!accepts(row.rule, value)) throw invalidOption(name, row.expected ?? expectedText(row.rule), value, row.fix);
}

/** One row of the table, both halves joined: what the CLI and the docs read. */
export interface OptionRow extends OptionRule, OptionDoc {
  name: OptionName;
}

export function optionRow(name: OptionName): OptionRow {
  return { name, ...ruleRow(name), ...OPTION_DOCS[name] };
}

/** Every row, in table order. */
export function optionTable(): OptionRow[] {
  return optionNames().map(optionRow);
}
