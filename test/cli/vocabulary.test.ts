/**
 * scikit-learn's vocabulary (k-means++, n_init, tol, max_iter...) answered with ours, in the API and on
 * the command line, and `--init palette.json` (or .gpl): a palette file's colours as the starting centroids.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { folder, noise, noisePng, rejects, runMain, tried, useScratch } from '../hostile.js';

useScratch('cli/vocabulary.test.ts');

const img = noise(24, 16, 5);
let dir: string;
let input: string;
beforeAll(async () => {
  dir = await folder();
  input = path.join(dir, 'in.png');
  await writeFile(input, await noisePng(24, 16, 5));
});

describe("scikit-learn's names", () => {
  it("'k-means++' is 'kmeans++', in the API and for --init", async () => {
    const ours = await kmeans(img, { k: 4, seed: 1 });
    const theirs = await kmeans(img, { k: 4, seed: 1, init: 'k-means++' });
    expect(theirs.labels).toEqual(ours.labels);
    const a = await runMain([input, '-k', '4', '--init', 'k-means++', '-o', path.join(dir, 'a.png'), '--json']);
    expect(a.code, a.stderr).toBe(0);
    const b = await runMain([input, '-k', '4', '-o', path.join(dir, 'b.png'), '--json']);
    expect(JSON.parse(a.stdout).inertia).toBe(JSON.parse(b.stdout).inertia);
  });

  it('n_init, tol, max_iter, n_clusters, random_state name ours; tol says ours is absolute', async () => {
    const rows: [Record<string, unknown>, string][] = [
      [{ n_init: 3 }, "scikit-learn's n_init is attempts here"],
      [{ tol: 1e-4 }, 'is tolerance here, but ours is absolute'],
      [{ max_iter: 10 }, 'is maxIterations here'],
      [{ n_clusters: 4 }, 'is k here'],
      [{ random_state: 0 }, 'is seed here'],
    ];
    tried(rows.length * 2);
    for (const [options, text] of rows) await rejects(kmeans(img, options as never), 'ERR_INVALID_OPTION', text);
    const flags: [string[], string][] = [
      [['--n-init', '3'], 'is --attempts here'], [['--n_init=3'], 'is --attempts here'],
      [['--tol', '0.001'], 'is --tolerance here, but ours is absolute'], [['--max_iter', '3'], 'is --max-iter here'],
    ];
    for (const [args, text] of flags) {
      const r = await runMain([input, ...args, '-o', path.join(dir, 'x.png')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(text);
    }
  });
});

describe('--init palette.json', () => {
  it('starts from the palette file\'s colours (JSON or GIMP), which give K', async () => {
    const palette = path.join(dir, 'p.json');
    const first = await runMain([input, '-k', '5', '--palette', palette, '-o', path.join(dir, 'p.png')]);
    expect(first.code, first.stderr).toBe(0);
    const colours = (JSON.parse(await readFile(palette, 'utf8')) as { palette: { rgb: number[] }[] }).palette.map((p) => p.rgb);
    const expected = await kmeans(img, { init: colours });
    const gpl = path.join(dir, 'p.gpl');
    await writeFile(gpl, `GIMP Palette\n${colours.map((c) => c.join(' ')).join('\n')}\n`);
    for (const file of [palette, gpl]) {
      const r = await runMain([input, '--init', file, '-o', path.join(dir, 'q.png'), '--force', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout) as { k: number; inertia: number; iterations: number };
      expect(summary).toMatchObject({ k: 5, inertia: expected.inertia, iterations: expected.iterations });
    }
  });

  it('a missing file, a bad one, a K that disagrees: named, nothing written', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"palette": 3}');
    const runs: [string[], number, string][] = [
      [['--init', path.join(dir, 'none.json')], 1, 'not found'],
      [['--init', bad], 1, 'Expected an array of colours'],
      [['--init', path.join(dir, 'p.json'), '-k', '3'], 2, 'the number of centroids given in init'],
      [['--init', 'k-means'], 2, 'kmeans++, random or random-colours'],
    ];
    tried(runs.length);
    for (const [args, code, text] of runs) {
      const out = path.join(dir, 'never.png');
      const r = await runMain([input, ...args, '-o', out]);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toContain(text);
      await expect(readFile(out)).rejects.toThrow();
    }
  });
});
