/**
 * The option table is the one home of each option's rule, default and doc: defaultOptions, the
 * KMeansOptions docs, resolveOptions and the generated pages docs/options.md and docs/cli.md all agree with it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { accepts, checkOption, KMEANS_OPTION_NAMES, optionNames, optionTable, type OptionRow } from '../../src/core/option-table.js';
import { defaultOptions, resolveOptions, type KMeansOptions } from '../../src/core/options.js';
import { KMeansSegError } from '../../src/errors.js';
import { apiDefault, PAGES } from '../../scripts/docs-tables.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Values on and around a rule's edges, and of the wrong type. */
function probes(row: OptionRow): unknown[] {
  const { rule } = row;
  const wrong = [NaN, Infinity, -Infinity, '1', null, true, {}, [1]];
  switch (rule.kind) {
    case 'integer': return [...wrong, rule.min - 1, rule.min, rule.min + 0.5, rule.max, rule.max + 1, false];
    case 'number': return [...wrong, rule.min - 0.001, rule.min, rule.min + 0.5, 1e300];
    // An array is init's centroids, checked as such (test/core/options.test.ts).
    case 'choice': return [...wrong.filter((v) => !Array.isArray(v)), ...rule.choices, 'other', ''];
    default: return [];
  }
}

describe('the option table', () => {
  it('gives defaultOptions its names, order and values; limitInputPixels and pngColors belong to the file fronts', () => {
    expect(Object.keys(defaultOptions)).toEqual(KMEANS_OPTION_NAMES);
    expect(optionNames().filter((n) => !(KMEANS_OPTION_NAMES as string[]).includes(n))).toEqual(['limitInputPixels', 'pngColors', 'strips', 'stripRows']);
    for (const row of optionTable()) if (!row.filesOnly) expect(defaultOptions[row.name as keyof typeof defaultOptions], row.name).toEqual(row.default);
  });

  it('resolveOptions accepts exactly the values each row accepts, with the row\'s error', () => {
    for (const row of optionTable().filter((r) => !r.filesOnly)) {
      for (const value of probes(row)) {
        const ok = accepts(row.rule, value);
        const run = (): unknown => resolveOptions({ [row.name]: value } as KMeansOptions);
        if (ok) {
          expect(run, `${row.name}: ${String(value)}`).not.toThrow();
        } else {
          expect(run, `${row.name}: ${String(value)}`).toThrow(KMeansSegError);
          expect(run).toThrow(`for ${row.name} but received`);
          expect(() => checkOption(row.name, value)).toThrow(KMeansSegError);
        }
      }
    }
  });

  it("KMeansOptions' docs state each row's default", () => {
    const file = path.join(ROOT, 'src/core/options.ts');
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const docs = new Map<string, string>();
    sf.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'KMeansOptions') return;
      for (const member of node.members) {
        const doc = ts.getJSDocCommentsAndTags(member).map((d) => d.getText(sf)).join(' ');
        docs.set(member.name!.getText(sf), doc.replace(/`/g, ''));
      }
    });
    expect([...docs.keys()]).toEqual(KMEANS_OPTION_NAMES);
    for (const row of optionTable()) {
      if (row.filesOnly || row.defaultText === 'none') continue;
      expect(docs.get(row.name), row.name).toMatch(new RegExp(`Default:? ${apiDefault(row).replace(/`/g, '').replace(/[.+*()[\]]/g, '\\$&')}`));
    }
  });

  for (const [page, render] of Object.entries(PAGES)) {
    it(`${page} is what the table and the commands' help make now (npm run docs:tables rewrites it)`, () => {
      expect(readFileSync(path.join(ROOT, page), 'utf8')).toBe(render());
    });
  }
});
