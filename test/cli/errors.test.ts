/**
 * The CLI on bad input: one stderr line naming the file and the problem, exit 1 or 2, no stack trace,
 * nothing left behind. Runs the built dist/ (`npm test` builds first).
 */
import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/decode.js';
import { kmeans } from '../../src/core/kmeans.js';
import { segment } from '../../src/segment.js';
import { tried, folder, solid, frames, noisePng, pngBomb, runCli, runMain, expectOneLineError, snapshotFolder, expectFolderUnchanged, scratch, useScratch } from '../hostile.js';

useScratch('errors.test.ts');

describe('CLI: one stderr line naming the file and the problem, exit 1 or 2, nothing left behind', () => {
  let input: string; // a small valid image every case may use
  beforeAll(async () => {
    input = path.join(scratch(), 'cli-in.png');
    await writeFile(input, await noisePng(12, 8, 9));
  });

  interface Case {
    name: string;
    setup: (dir: string) => Promise<string[]>;
    code: 1 | 2;
    mentions: (dir: string) => (string | RegExp)[];
  }
  const flagValues: [string, string[], string][] = [
    ['--seed', ['NaN', 'Infinity', '-1', '1.5', '4294967296'], 'an integer between 0 and 4294967295'],
    ['--max-iter', ['0', 'NaN', '2.5', '-3'], 'an integer between 1 and'],
    ['--attempts', ['0', 'Infinity', '1.5'], 'an integer between 1 and 10000'],
    ['--threads', ['0', '33', '1.5', 'NaN'], 'an integer between 1 and 32'],
    ['--limit-input-pixels', ['-1', '1.5', 'NaN', 'Infinity'], 'an integer between 0 and'],
    ['--tolerance', ['NaN', 'Infinity', '-1', 'abc', '1e999'], 'a number >= 0'],
    ['-k', ['NaN', 'Infinity'], 'an integer between 1 and 65536'],
    ['--backend', ['SIMD', 'WASM', ''], 'auto, wasm or js'],
    ['--init', ['KMEANS++', 'k-means'], 'kmeans++, random or random-colours'],
  ];
  const cases: Case[] = flagValues.flatMap(([flag, values, expected]) => values.map((value): Case => ({
    name: `${flag} ${JSON.stringify(value)}`,
    setup: async (dir) => [input, flag, value, '-o', path.join(dir, 'out.png')],
    code: 2,
    mentions: () => [`Invalid value ${JSON.stringify(value)}`, flag === '-k' ? '-k/--k' : flag, expected],
  })));
  cases.push(
    {
      // parseArgs alone would call it an ambiguous flag; the CLI joins it to -k so the value is named.
      name: '-k "-Infinity"',
      setup: async (dir) => [input, '-k', '-Infinity', '-o', path.join(dir, 'out.png')],
      code: 2,
      mentions: () => ['Invalid value "-Infinity"', '-k/--k', 'an integer between 1 and 65536'],
    },
    ...['--max-iters', '--thread', '--limit-input-pixel', '--colour-space'].map((flag): Case => ({
      name: `an unknown option near a valid one (${flag})`,
      setup: async (dir) => [input, flag, '3', '-o', path.join(dir, 'out.png')],
      code: 2,
      mentions: () => [`Unknown option ${JSON.stringify(flag)}`, 'kmeans-seg --help'],
    })),
    {
      name: 'a decompression bomb (20000 x 20000 PNG)',
      setup: async (dir) => {
        await writeFile(path.join(dir, 'bomb.png'), pngBomb(20000, 20000));
        return [path.join(dir, 'bomb.png'), '-o', path.join(dir, 'out.png')];
      },
      code: 1,
      mentions: (dir) => [JSON.stringify(path.join(dir, 'bomb.png')), '400000000 pixels', '--limit-input-pixels 400000000'],
    },
    {
      name: 'an entirely transparent image',
      setup: async (dir) => {
        await solid(6, 5, { r: 0, g: 0, b: 0, alpha: 0 }, 4).png().toFile(path.join(dir, 'clear.png'));
        return [path.join(dir, 'clear.png'), '-o', path.join(dir, 'out.png')];
      },
      code: 1,
      mentions: () => ['fully transparent', 'visible pixels'],
    },
    {
      name: 'a symbolic link loop as input',
      setup: async (dir) => {
        await symlink(path.join(dir, 'loop.png'), path.join(dir, 'loop.png'));
        return [path.join(dir, 'loop.png'), '-o', path.join(dir, 'out.png')];
      },
      code: 1,
      mentions: (dir) => [JSON.stringify(path.join(dir, 'loop.png')), 'ELOOP'],
    },
    {
      name: 'a PNG with its pixel data cut off (header claims 64 x 64)',
      setup: async (dir) => {
        await writeFile(path.join(dir, 'cut.png'), pngBomb(64, 64, false));
        return [path.join(dir, 'cut.png'), '-o', path.join(dir, 'out.png')];
      },
      code: 1,
      // sharp cannot even read the header of a PNG without IDAT: ERR_DECODE, naming it a PNG and its defect
      // (it used to say "not an image", with libvips' "corrupt header").
      mentions: (dir) => [JSON.stringify(path.join(dir, 'cut.png')), 'is a PNG file that cannot be read', 'no IDAT chunk'],
    },
  );

  for (const c of cases) {
    it(`${c.name}: exit ${c.code}`, async () => {
      tried();
      const dir = await folder();
      const args = await c.setup(dir);
      const before = await snapshotFolder(dir);
      const r = await runMain(args);
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stdout).toBe('');
      expectOneLineError(r.stderr);
      for (const m of c.mentions(dir)) {
        if (typeof m === 'string') expect(r.stderr).toContain(m);
        else expect(r.stderr).toMatch(m);
      }
      await expectFolderUnchanged(dir, before);
    });
  }

  it('an unknown option names the nearest valid flag', async () => {
    for (const [typo, meant] of [['--max-iters', '--max-iter'], ['--thread', '--threads'], ['--limit-input-pixel', '--limit-input-pixels'], ['--sed', '--seed']]) {
      tried();
      const r = await runMain([input, typo!, '3', '-o', path.join(scratch(), 'never.png')]);
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr);
      expect(r.stderr).toContain(`did you mean ${JSON.stringify(meant)}?`);
    }
  });

  it('documented behaviour for unusual files: exit 0, first frame only with a warning line', async () => {
    const dir = await folder();
    const gif = path.join(dir, 'anim.gif');
    await frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).gif({ loop: 0 }).toFile(gif);
    const cmyk = path.join(dir, 'cmyk.jpg');
    await solid(5, 3, '#336699').toColourspace('cmyk').jpeg().toFile(cmyk);
    const strip = path.join(dir, 'strip.png');
    await writeFile(strip, await noisePng(1, 40, 2));
    tried(3);
    const g = await runMain([gif, '-k', '2', '-o', path.join(dir, 'anim.png')]);
    expect(g.code, g.stderr).toBe(0);
    expect(await sharp(path.join(dir, 'anim.png')).metadata()).toMatchObject({ width: 4, height: 4 });
    const c = await runMain([cmyk, '-k', '2', '-o', path.join(dir, 'cmyk.png')]);
    expect(c.code, c.stderr).toBe(0);
    expect(await sharp(path.join(dir, 'cmyk.png')).metadata()).toMatchObject({ width: 5, height: 3, space: 'srgb' });
    const s = await runMain([strip, '-k', '3', '-o', path.join(dir, 'strip-out.png')]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('1x40, 3 colours');
  });

  // The CLI decodes and clusters in two steps (decodeImage, then kmeans) rather than through
  // segment(): it must name the input in the core's image errors (nameInput) and print the decoder's
  // warnings itself.
  it('an entirely transparent file: the error line names the file', async () => {
    tried();
    const dir = await folder();
    const file = path.join(dir, 'clear.png');
    await solid(6, 5, { r: 0, g: 0, b: 0, alpha: 0 }, 4).png().toFile(file);
    const r = await runMain([file, '-o', path.join(dir, 'out.png')]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr);
    expect(r.stderr).toContain(`Input file ${JSON.stringify(file)}: `);
  });

  it('an animated GIF: a warning line says only the first frame was segmented', async () => {
    tried();
    const dir = await folder();
    const gif = path.join(dir, 'anim.gif');
    await frames(4, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]).gif({ loop: 0 }).toFile(gif);
    const r = await runMain([gif, '-k', '2', '-o', path.join(dir, 'anim.png')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^kmeans-seg: warning: only the first of the 3 frames \(or pages\) of the GIF was segmented$/m);
  });

  it('--verbose adds the stack trace to a bad-input error, and only then', async () => {
    tried();
    const dir = await folder();
    await writeFile(path.join(dir, 'bomb.png'), pngBomb(20000, 20000));
    const r = await runCli([path.join(dir, 'bomb.png'), '-o', path.join(dir, 'out.png'), '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kmeans-seg: error: .*400000000 pixels/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
