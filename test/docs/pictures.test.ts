/**
 * The README's pictures show on the package's page: every picture README.md or a docs page links to is
 * in the package (`npm pack --dry-run --json`), lives under docs/pictures/, and is under 150 KB; the
 * docs pages the README links to ship too, and the docs' scratch does not.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, docPages, isExternal, links } from './markdown.js';

const MAX_BYTES = 150 * 1024;

/** path -> size in bytes of every file `npm pack` would ship (no prepare build: --ignore-scripts). */
let packed: Map<string, number>;
beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [pack] = JSON.parse(out) as { files: { path: string; size: number }[] }[];
  packed = new Map(pack!.files.map((f) => [f.path, f.size]));
}, 120_000);

/** The pictures a page links to, as paths relative to the repository's root. */
function pictures(page: string): string[] {
  const text = readFileSync(path.join(ROOT, page), 'utf8');
  return links(text).filter((l) => l.picture && !isExternal(l.target))
    .map((l) => path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURI(l.target.split('#')[0]!))));
}

describe('the pictures of README.md and docs/', () => {
  it('the README shows at least one picture, and the package holds the entry points', () => {
    expect(pictures('README.md').length).toBeGreaterThanOrEqual(1);
    for (const entry of ['package.json', 'README.md', 'bin/kmeans-seg.js', 'dist/index.js', 'build/kmeans.wasm']) expect(packed.has(entry), entry).toBe(true);
  });

  it.each(['README.md', ...docPages()])('%s: each picture is packed, under docs/pictures/ and under 150 KB', (page) => {
    for (const picture of pictures(page)) {
      expect(picture, `${page} shows ${picture}`).toMatch(/^docs\/pictures\/[^/]+$/);
      expect(packed.has(picture), `${picture} is in npm pack --dry-run`).toBe(true);
      expect(packed.get(picture)!, `${picture} in the package`).toBeLessThan(MAX_BYTES);
      expect(statSync(path.join(ROOT, picture)).size, `${picture} on disk`).toBeLessThan(MAX_BYTES);
    }
  });

  it('every file in docs/pictures/ is small, so a picture no page shows yet cannot bloat the package', () => {
    const inPictures = [...packed].filter(([p]) => p.startsWith('docs/pictures/'));
    expect(inPictures.length).toBeGreaterThanOrEqual(1);
    for (const [p, size] of inPictures) expect(size, p).toBeLessThan(MAX_BYTES);
  });

  it('the docs pages the README links to are packed, so its links work in the installed package', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const pages = links(readme).map((l) => l.target.split('#')[0]!).filter((t) => /^docs\/[^/]+\.md$/.test(t));
    expect(pages.length).toBeGreaterThanOrEqual(10);
    for (const page of pages) expect(packed.has(page), `${page} is in npm pack --dry-run`).toBe(true);
  });

  it('the package holds no scratch of npm run docs and not its script', () => {
    const stray = [...packed.keys()].filter((p) => p.startsWith('docs/') && !p.startsWith('docs/pictures/') && !/^docs\/[^/]+\.md$/.test(p));
    expect(stray).toEqual([]);
  });
});
