/**
 * Every relative link and picture in README.md, CONTRIBUTING.md, CHANGELOG.md, examples/README.md and
 * docs/*.md resolves to a file of the repository: it exists, git does not ignore it (docs/.gitignore
 * once hid all of docs/), and an anchor into a Markdown page names one of its headings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, anchors, docPages, isExternal, links, problem } from './markdown.js';

const IN_GIT = existsSync(path.join(ROOT, '.git'));

/** The paths among `rels` that git ignores (none when this is not a git work tree, e.g. an unpacked tarball). */
function gitIgnored(rels: string[]): Set<string> {
  if (!IN_GIT || rels.length === 0) return new Set();
  try {
    const out = execFileSync('git', ['check-ignore', '--no-index', '--stdin'], { cwd: ROOT, input: rels.join('\n'), encoding: 'utf8' });
    return new Set(out.split('\n').filter(Boolean));
  } catch (err) {
    // Exit 1: none of them is ignored. No git program: nothing to ask.
    const { status, code } = err as { status?: number; code?: string };
    if (status === 1 || code === 'ENOENT') return new Set();
    throw err;
  }
}

const PAGES = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'examples/README.md', ...docPages()];

describe('relative links in the documentation', () => {
  it('finds the pages and their links (the check is not vacuous)', () => {
    for (const page of ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'docs/api.md', 'docs/errors-and-limits.md', 'docs/performance.md']) {
      expect(PAGES).toContain(page);
    }
    const readme = links(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).filter((l) => !isExternal(l.target));
    expect(readme.length).toBeGreaterThanOrEqual(15);
    expect(readme.some((l) => l.picture)).toBe(true);
  });

  it('the README links every topic page, including the generated options and CLI pages', () => {
    const targets = links(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).map((l) => l.target.split('#')[0]);
    for (const page of ['cli', 'api', 'options', 'colour-spaces', 'outputs', 'sweep', 'spatial', 'palette', 'batch', 'browser',
      'performance', 'exactness-and-determinism', 'errors-and-limits']) {
      expect(targets, `README links docs/${page}.md`).toContain(`docs/${page}.md`);
    }
    expect(targets).toContain('CONTRIBUTING.md');
  });

  it.each(PAGES)('%s: every relative link resolves to a file of the repository', (page) => {
    const text = readFileSync(path.join(ROOT, page), 'utf8');
    const relative = links(text).map((l) => l.target).filter((t) => !isExternal(t));
    const resolved = relative.map((t) => t.split('#')[0]).filter(Boolean)
      .map((f) => path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURI(f!))));
    const ignored = gitIgnored([...new Set(resolved)].filter((r) => !r.startsWith('../')));
    const problems = relative.map((t) => problem(page, t, (rel) => ignored.has(rel))).filter(Boolean);
    expect(problems, `broken links in ${page}`).toEqual([]);
  });

  it('the checker catches what it must: a missing file, a folder outside, a wrong anchor, an ignored file', () => {
    const none = (): boolean => false;
    expect(problem('README.md', 'docs/no-such-page.md', none)).toMatch(/does not exist/);
    expect(problem('docs/api.md', '../../elsewhere.md', none)).toMatch(/outside/);
    expect(problem('docs/api.md', 'errors-and-limits.md#no-such-heading', none)).toMatch(/no heading/);
    expect(problem('README.md', 'README.md', (rel) => rel === 'README.md')).toMatch(/ignored/);
    expect(problem('docs/api.md', 'errors-and-limits.md#error-codes', none)).toBeUndefined();
    expect(problem('docs/api.md', '#the-result', none)).toBeUndefined();
    // Links inside code are examples, not links; pictures in HTML count.
    expect(links('`[a](nowhere.md)`\n```\n[b](nowhere.md)\n```\n<img src="x.png"> [c](y.md)').map((l) => l.target)).toEqual(['y.md', 'x.png']);
    expect(anchors('# Errors and limits\n## Limits, and how to raise them\n## Limits, and how to raise them'))
      .toEqual(new Set(['errors-and-limits', 'limits-and-how-to-raise-them', 'limits-and-how-to-raise-them-1']));
  });

  it.skipIf(!IN_GIT)('git ignores the docs scratch folder but not the pages or the pictures', () => {
    const ignored = gitIgnored(['docs/api.md', 'docs/pictures/astronaut-sweep.webp', 'docs/make-pictures.mjs', 'docs/scratch/coffee.png']);
    expect([...ignored]).toEqual(['docs/scratch/coffee.png']);
  });
});
