/**
 * The option table's rows for a quality target (k: 'auto', target, maxK) and for sampling (sample),
 * and the checks between them. Kept apart from option-table.ts, which spreads these rows in place.
 */
import { MAX_K } from '../limits.js';
import { checkNumber, checkOptionNames, invalidOption } from '../validate.js';
import type { OptionDoc, OptionRule } from './option-table.js';

/** What "good enough" means for k: 'auto'; both must hold when both are given. */
export interface QualityTarget {
  /** Largest mean ΔE allowed, in OKLab x 100 as the quality figures report it (core/quality.ts). */
  maxDeltaE?: number;
  /** Smallest PSNR allowed, in dB over RGB. */
  minPsnr?: number;
}

const TARGET_KEYS = ['maxDeltaE', 'minPsnr'] as const;

/** Rows spread into OPTION_RULES right after `k`. */
export const K_SEARCH_RULES = {
  target: {
    rule: { kind: 'object' }, default: undefined,
    expected: 'an object { maxDeltaE?, minPsnr? } with at least one of them',
    fix: "e.g. target: { maxDeltaE: 3 } with k: 'auto'",
  },
  maxK: {
    rule: { kind: 'integer', min: 1, max: MAX_K }, default: 256,
    fix: "the largest K k: 'auto' may choose, e.g. maxK: 64",
  },
} as const satisfies Record<string, OptionRule>;

/** Row spread into OPTION_RULES right after `spatialWeight`. 0: exact, every point clustered. */
export const SAMPLE_RULES = {
  sample: {
    rule: { kind: 'integer', min: 0, max: 2 ** 32 - 1 }, default: 0,
    fix: 'pass a number of pixels, e.g. sample: 200000; 0 (default) clusters every pixel',
  },
} as const satisfies Record<string, OptionRule>;

export const K_SEARCH_DOCS: Record<keyof typeof K_SEARCH_RULES, OptionDoc> = {
  target: {
    clusters: true,
    doc: "with k: 'auto', the quality to reach: maxDeltaE (largest mean ΔE, OKLab x 100) and/or minPsnr (smallest PSNR, dB); the smallest K up to maxK that meets both is chosen (docs/quality-target.md)",
    type: '`{ maxDeltaE?: number, minPsnr?: number }`', defaultText: 'none',
  },
  maxK: {
    clusters: true,
    doc: "with k: 'auto', the largest K the search may choose (read only then); on the command line -k is this bound",
  },
};

export const SAMPLE_DOCS: Record<keyof typeof SAMPLE_RULES, OptionDoc> = {
  sample: {
    clusters: true,
    doc: 'where every pixel is a point (spatialWeight > 0, or histogram: false): cluster a seeded sample of this many pixels, then assign every pixel to the final centroids; the result says so (result.sample, a warning); ignored, with a warning, when the run clusters the colour histogram; 0 clusters every pixel',
    flag: { name: 'sample', arg: '<pixels>', example: '200000' },
  },
};

/** The options checkSearchOptions reads, as resolveOptions holds them (each one's own rule already passed). */
interface SearchFields {
  k: number | 'auto';
  target: QualityTarget | undefined;
  maxK: number;
  sample: number;
  init: unknown;
  spatialWeight: number;
  histogram: 'auto' | boolean;
}

/**
 * The checks between k, target and sample; then k: 'auto' becomes maxK, the search's bound, so
 * that everything downstream sees a number (the search is on when `target` is set). maxK is read
 * only with k: 'auto'.
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the option and the fix.
 */
export function checkSearchOptions(o: SearchFields): void {
  if (o.k === 'auto') {
    if (o.target === undefined) throw invalidOption('target', "the quality k: 'auto' must reach, e.g. { maxDeltaE: 3 }", undefined);
    checkOptionNames(o.target, TARGET_KEYS, 'target');
    if (!TARGET_KEYS.some((key) => o.target![key] !== undefined)) throw invalidOption('target', K_SEARCH_RULES.target.expected, o.target, 'e.g. { maxDeltaE: 3 } or { minPsnr: 30 }');
    for (const key of TARGET_KEYS) if (o.target[key] !== undefined) checkNumber(o.target[key], `target.${key}`, 0, Infinity, key === 'maxDeltaE' ? 'mean ΔE in OKLab x 100, e.g. 3' : 'PSNR in dB, e.g. 30');
    if (Array.isArray(o.init)) throw invalidOption('init', "'kmeans++', 'random' or 'random-colours' with k: 'auto' (centroids given fix K)", `${o.init.length} centroids`);
    o.k = o.maxK;
  } else if (o.target !== undefined) {
    throw invalidOption('k', "'auto' with target", o.k, "pass k: 'auto' (and maxK as the bound), or leave target out");
  }
  if (o.sample > 0) {
    if (o.spatialWeight === 0 && o.histogram === true) {
      throw invalidOption('sample', "0 with histogram: true (the histogram's colours are clustered exactly, not sampled)", o.sample,
        "leave sample out, or pass histogram: false or 'auto'");
    }
    if (o.sample < o.k) throw invalidOption('sample', `at least k (${o.k}) pixels`, o.sample, 'a sample needs a pixel per cluster; try 100 per cluster or more');
  }
}
