/**
 * The main command's quality target (--max-delta-e, --min-psnr, --strict, with -k as the bound) and
 * what its summary says of the search and of a sample. Invariant: the flags become the API's options
 * (k: 'auto', target, maxK), so the command searches exactly as kmeans does.
 */
import type { KSearch } from '../core/k-search.js';
import type { KMeansResult } from '../types.js';
import { printable, quote } from '../validate.js';
import { stringFlag, type FlagOptions, type FlagValues } from './flags.js';
import { helpLine } from './help.js';
import { UsageError } from './report.js';

export const TARGET_FLAGS = {
  'max-delta-e': { type: 'string' },
  'min-psnr': { type: 'string' },
  strict: { type: 'boolean' },
} as const;

export const TARGET_HELP = [
  helpLine('--max-delta-e <x>', 'choose the smallest K (up to -k, default 256) whose mean ΔE (OKLab x 100, as the summary reports it) is at most x (docs/quality-target.md)'),
  helpLine('--min-psnr <dB>', 'choose the smallest K (up to -k) whose PSNR is at least this; with --max-delta-e both must hold'),
  helpLine('--strict', 'when even -k misses the target: exit 1 and write nothing (default: a warning, and the outputs at K = -k)'),
].join('\n');

/** Runs whose command line said --strict, by their options object. */
const strictRuns = new WeakSet<object>();

/**
 * Turn the target flags into options: k becomes 'auto', -k (when given) the bound maxK.
 * @throws {UsageError} for a value that is not a number >= 0, or --strict without a target.
 */
export function targetOptionsFrom(values: FlagValues, options: FlagOptions): FlagOptions {
  const maxDeltaE = targetNumber(values, 'max-delta-e', '3');
  const minPsnr = targetNumber(values, 'min-psnr', '30');
  if (maxDeltaE === undefined && minPsnr === undefined) {
    if (values.strict === true) throw new UsageError('--strict refuses a missed quality target: add --max-delta-e <x> or --min-psnr <dB>, e.g. --max-delta-e 3');
    return options;
  }
  const { k, ...rest } = options;
  const out: FlagOptions = { ...rest, k: 'auto', target: { ...(maxDeltaE === undefined ? {} : { maxDeltaE }), ...(minPsnr === undefined ? {} : { minPsnr }) } };
  if (k !== undefined) out.maxK = k as number;
  if (values.strict === true) strictRuns.add(out);
  return out;
}

function targetNumber(values: FlagValues, name: string, example: string): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(text) || !Number.isFinite(Number(text))) {
    throw new UsageError(`Invalid value ${quote(text)} for --${name}: expected a number >= 0, e.g. --${name} ${example}`);
  }
  return Number(text);
}

/**
 * With --strict, a missed target fails the run before any output is written: the error line is
 * printed here. Returns the exit code to stop with (1), or undefined to go on.
 */
export function strictMiss(options: object, result: KMeansResult): number | undefined {
  if (!strictRuns.has(options) || result.kSearch === undefined || result.kSearch.met) return undefined;
  const last = result.kSearch.tried.at(-1)!;
  process.stderr.write(printable(`kmeans-seg: error: quality target missed (--strict): even K = ${result.kSearch.maxK} gives mean ΔE ${last.deltaE.toFixed(2)}, ` +
    `PSNR ${psnrText(last.psnr)}; nothing was written: raise -k or relax the target`) + '\n');
  return 1;
}

const psnrText = (psnr: number): string => (Number.isFinite(psnr) ? `${psnr.toFixed(2)} dB` : 'infinite');

function targetText(search: KSearch): string {
  const { maxDeltaE, minPsnr } = search.target;
  return [maxDeltaE !== undefined && `mean ΔE <= ${maxDeltaE}`, minPsnr !== undefined && `PSNR >= ${minPsnr} dB`].filter(Boolean).join(' and ');
}

/** The summary's lines for a quality-target search (every K tried) and a sample; '' for neither. */
export function searchLines(result: KMeansResult): string {
  const lines: string[] = [];
  const search = result.kSearch;
  if (search !== undefined) {
    const verdict = search.met
      ? `K = ${search.k} chosen${search.k > 1 ? ` (K = ${search.k - 1} misses it)` : ''}`
      : `missed: even K = ${search.maxK}, the bound, misses it`;
    lines.push(`  target ${targetText(search)}: ${verdict}; ${search.tried.length} K tried:`);
    for (const t of [...search.tried].sort((a, b) => a.k - b.k)) {
      lines.push(`    K = ${String(t.k).padStart(5)}  ΔE ${t.deltaE.toFixed(2).padStart(6)}  PSNR ${psnrText(t.psnr).padStart(9)}  ${t.met ? 'meets' : 'misses'}`);
    }
  }
  if (result.sample !== undefined) lines.push(`  sample: ${result.sample.size} of ${result.sample.of} pixels clustered, every pixel assigned`);
  return lines.map((l) => `${l}\n`).join('');
}

/** The --json summary's fields for the search and the sample (null when there was none). */
export function searchJSON(result: KMeansResult): { kSearch: object | null; sample: object | null } {
  const search = result.kSearch;
  return {
    kSearch: search === undefined ? null : {
      ...search,
      tried: search.tried.map((t) => ({ ...t, psnr: Number.isFinite(t.psnr) ? t.psnr : null })),
    },
    sample: result.sample ?? null,
  };
}
