/**
 * The option table's rows for the strip path (strips, stripRows: docs/huge-images.md), spread into
 * core/option-table.ts's file options. Plain data: the strip path itself is Node's (src/io/strips/).
 */
import type { OptionDoc, OptionRule } from './option-table.js';
import { DEFAULT_STRIP_ROWS, MAX_STRIP_ROWS, STRIP_THRESHOLD_PIXELS } from '../limits.js';

export const STRIP_RULES = {
  strips: { rule: { kind: 'choice', choices: ['auto', true, false] }, default: 'auto', filesOnly: true },
  stripRows: { rule: { kind: 'integer', min: 1, max: MAX_STRIP_ROWS }, default: DEFAULT_STRIP_ROWS, filesOnly: true, fix: `the default is ${DEFAULT_STRIP_ROWS}` },
} as const satisfies Record<string, OptionRule>;

export const STRIP_DOCS: Record<keyof typeof STRIP_RULES, OptionDoc> = {
  strips: {
    doc: `read and write the image in strips of rows, in memory bounded by the distinct colours and one strip (docs/huge-images.md); PNG outputs only; auto does above ${STRIP_THRESHOLD_PIXELS} pixels`,
    flag: { name: 'strips', arg: '<mode>', example: 'true', values: 'auto, true or false' },
  },
  stripRows: { doc: 'rows per strip on the strip path', flag: { name: 'strip-rows', arg: '<n>', example: '256' } },
};
