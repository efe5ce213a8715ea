/**
 * The documentation shows only images we may publish: nothing in README.md or under docs/ mentions
 * the frame from a copyrighted film among the test images, `npm run docs` reads coffee.png (CC0) and
 * astronaut.png (public domain) only, and the README credits both.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './markdown.js';

const FORBIDDEN = /ponyo/i;
const ALLOWED_SOURCES = ['astronaut.png', 'coffee.png'];

/** Every file under docs/ (pictures included, scratch left out: it is never committed). */
function docsFiles(): string[] {
  return readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .map((f) => `docs/${f.split(path.sep).join('/')}`)
    .filter((f) => !f.startsWith('docs/scratch') && statSync(path.join(ROOT, f)).isFile());
}

/** The images of ../shared/images a script names. */
function sharedImagesNamed(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/(?:shared\/images\/|IMAGES,\s*['"])([\w.-]+)/g)) names.add(m[1]!);
  return [...names].sort();
}

describe('published pictures and their sources', () => {
  it('README.md and every file under docs/ (names and contents) avoid the forbidden image', () => {
    const files = ['README.md', ...docsFiles()];
    expect(files.length).toBeGreaterThanOrEqual(12);
    const hits = files.filter((f) => FORBIDDEN.test(f) || FORBIDDEN.test(readFileSync(path.join(ROOT, f), 'latin1')));
    expect(hits).toEqual([]);
  });

  it('npm run docs makes the pictures with docs/make-pictures.mjs, from coffee.png and astronaut.png only', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.docs).toMatch(/node docs\/make-pictures\.mjs/);
    expect(pkg.scripts.docs).not.toMatch(FORBIDDEN);
    const script = readFileSync(path.join(ROOT, 'docs/make-pictures.mjs'), 'utf8');
    const named = sharedImagesNamed(`${script}\n${pkg.scripts.docs}`);
    expect(named).toEqual(ALLOWED_SOURCES);
    // The reader of names above finds both spellings a script may use.
    expect(sharedImagesNamed("path.join(IMAGES, 'ponyo.jpeg') '../shared/images/x.png'")).toEqual(['ponyo.jpeg', 'x.png']);
  });

  it('the README credits the two source images', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/coffee\.png[^\n]*\n?[^\n]*CC0/);
    expect(readme).toMatch(/astronaut\.png[^\n]*\n?[^\n]*public domain/);
  });
});
