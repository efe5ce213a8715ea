/**
 * The documentation names real files: every repository path written in code (`src/limits.ts`,
 * `test/contracts/parity.test.ts`) exists, and CONTRIBUTING.md's layout has one line for every folder of src/
 * and none for a folder that is gone, so a move in the tree cannot leave the docs pointing at nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, docPages } from './markdown.js';

const PAGES = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'examples/README.md', ...docPages()];
/** Generated, so absent from a clean clone until a command makes them. */
const GENERATED = ['docs/scratch/', 'dist/', 'build/', 'bench/images/', 'bench/results/'];

/** Paths into the repository written as inline code, e.g. `src/core/random.ts`, `bench/`. */
function codePaths(markdown: string): string[] {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/`((?:src|test|bench|assembly|demo|examples|docs|\.ci)\/[\w./-]*)`/g)) out.add(m[1]!);
  return [...out];
}

/** The folders CONTRIBUTING.md's layout block names at the start of a line. */
function layoutFolders(): string[] {
  const text = readFileSync(path.join(ROOT, 'CONTRIBUTING.md'), 'utf8');
  const block = /## Layout[\s\S]*?```\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
  return [...block.matchAll(/^(\S+\/)\s/gm)].map((m) => m[1]!);
}

describe('paths named in the documentation', () => {
  it('finds paths to check', () => {
    expect(codePaths(readFileSync(path.join(ROOT, 'CONTRIBUTING.md'), 'utf8')).length).toBeGreaterThanOrEqual(10);
    expect(codePaths('see `src/a.ts` and `test/b/` but not `npm test` or `src`')).toEqual(['src/a.ts', 'test/b/']);
  });

  it.each(PAGES)('%s: every repository path written in code exists', (page) => {
    const missing = codePaths(readFileSync(path.join(ROOT, page), 'utf8'))
      .filter((p) => !GENERATED.some((g) => p.startsWith(g)) && !existsSync(path.join(ROOT, p)));
    expect(missing, `paths ${page} names`).toEqual([]);
  });

  it("CONTRIBUTING.md's layout has a line for every folder of src/, and only for folders that exist", () => {
    const listed = layoutFolders();
    expect(listed).toContain('src/');
    const srcFolders = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `src/${d.name}/`);
    expect(srcFolders.length).toBeGreaterThanOrEqual(5);
    expect(srcFolders.filter((f) => !listed.includes(f)), 'folders of src/ missing from the layout').toEqual([]);
    expect(listed.filter((f) => !existsSync(path.join(ROOT, f))), 'layout lines for folders that do not exist').toEqual([]);
  });
});
