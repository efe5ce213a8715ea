/**
 * The CLI reads the option table: every command's --help lists each of its flags, a flag accepts
 * exactly the values the API accepts (the table's one check), and its errors keep the CLI's wording.
 */
import { describe, expect, it } from 'vitest';
import { accepts, checkOption, optionRow, optionTable, type OptionName } from '../../src/core/option-table.js';
import { APPLY_FLAGS, APPLY_OPTIONS, USAGE as APPLY_USAGE } from '../../src/cli/apply.js';
import { BATCH_FLAGS, BATCH_OPTIONS, USAGE as BATCH_USAGE } from '../../src/cli/batch.js';
import { flagName, optionValue } from '../../src/cli/flags.js';
import { UsageError } from '../../src/cli/report.js';
import { SEGMENT_FLAGS, SEGMENT_OPTIONS, USAGE as SEGMENT_USAGE } from '../../src/cli/segment.js';
import { SWEEP_FLAGS, SWEEP_OPTIONS, USAGE as SWEEP_USAGE } from '../../src/cli/sweep.js';

const COMMANDS = [
  { name: 'kmeans-seg', usage: SEGMENT_USAGE, flags: SEGMENT_FLAGS, options: SEGMENT_OPTIONS },
  { name: 'sweep', usage: SWEEP_USAGE, flags: SWEEP_FLAGS, options: SWEEP_OPTIONS },
  { name: 'apply', usage: APPLY_USAGE, flags: APPLY_FLAGS, options: APPLY_OPTIONS },
  { name: 'batch', usage: BATCH_USAGE, flags: BATCH_FLAGS, options: BATCH_OPTIONS },
];

describe('--help', () => {
  it('the main command lists every option of the table that has a flag', () => {
    for (const row of optionTable().filter((r) => r.flag)) {
      expect(SEGMENT_OPTIONS, row.name).toContain(row.name);
      expect(SEGMENT_USAGE).toContain(`--${row.flag!.name} ${row.flag!.arg}`);
    }
  });

  for (const c of COMMANDS) {
    it(`${c.name}: lists every flag it takes, in lines of 100 columns at most`, () => {
      // sweep has always taken (and ignored) --version, which only the main command prints.
      for (const flag of Object.keys(c.flags).filter((f) => !(c.name === 'sweep' && f === 'version'))) {
        expect(c.usage, `--${flag}`).toMatch(new RegExp(`^  (-\\w, )?--${flag}\\b`, 'm'));
      }
      for (const name of c.options) expect(Object.keys(c.flags), name).toContain(flagName(name));
      // Flag lines (prose and examples are laid out by hand).
      for (const line of c.usage.split('\n').filter((l) => /^  [-<]|^ {29}\S/.test(l))) expect(line.length, line).toBeLessThanOrEqual(100);
    });

    it(`${c.name}: each table option's line gives the row's range and default`, () => {
      for (const name of c.options.filter((n) => !(c.name === 'apply' && n === 'colorSpace'))) {
        const row = optionRow(name);
        const at = c.usage.indexOf(`--${row.flag!.name} `);
        const text = c.usage.slice(at, c.usage.indexOf('\n  -', at + 1)).replace(/\s+/g, ' ');
        expect(text, name).toContain(`default ${row.defaultText ?? String(row.default)})`);
      }
    });
  }
});

describe('flags take what the API takes', () => {
  const texts = ['0', '1', '2', '32', '33', '65536', '65537', '4294967295', '4294967296', '1000000000', '1000000001',
    '-1', '1.5', '0.5', '.5', '1e3', '1e999', '+4', '0x10', '', 'NaN', 'Infinity', 'abc', 'auto', 'wasm', 'js', 'WASM',
    'kmeans++', 'random', 'rgb', 'oklab', 'hsv'];

  for (const row of optionTable().filter((r) => r.flag)) {
    it(`--${row.flag!.name}`, () => {
      for (const text of texts) {
        let value: unknown;
        let error: unknown;
        try { value = optionValue(row.name as OptionName, text); } catch (e) { error = e; }
        if (error === undefined) {
          // Accepted text is a valid API value, as typed: digits for integers, a decimal for numbers.
          expect(() => checkOption(row.name, value), `${row.name} ${text}`).not.toThrow();
          if (row.rule.kind === 'integer' && value !== false) expect(String(value)).toBe(text);
        } else {
          expect(error, `${row.name} ${JSON.stringify(text)}`).toBeInstanceOf(UsageError);
          const label = row.flag!.short ? `-${row.flag!.short}/--${row.flag!.name}` : `--${row.flag!.name}`;
          expect((error as Error).message).toMatch(new RegExp(`^Invalid value ${JSON.stringify(text).replace(/[.+*()[\]]/g, '\\$&')} for ${label}: expected .+, e\\.g\\. `));
          // Refused text: plain text the API would refuse too, or text that is not a plain number.
          if (row.rule.kind === 'choice') expect(accepts(row.rule, text)).toBe(false);
        }
      }
    });
  }

  it('0 means no limit for --limit-input-pixels, as in sharp', () => {
    expect(optionValue('limitInputPixels', '0')).toBe(false);
    expect(optionValue('limitInputPixels', '500')).toBe(500);
  });
});
