/**
 * K sweeps: the knee (Kneedle) on curves whose corner is known, the K-list parser, sweep() results
 * against kmeans() run alone, the contact sheet's geometry and content, the charts, and
 * `kmeans-seg sweep` run as a user runs it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminateWorkers } from '../../src/kernel/select.js';
import { niceTicks, svgToPNG } from '../../src/sweep/charts.js';
import { sheetGeometry } from '../../src/sweep/contact-sheet.js';
import { findKnee } from '../../src/sweep/knee.js';
import { parseKList } from '../../src/cli/sweep.js';
import { kmeans } from '../../src/core/kmeans.js';
import { checkKs, sweep, sweepFiles, type SweepResult } from '../../src/sweep/sweep.js';
import type { RGBAImage } from '../../src/types.js';
import { ROOT, expectKMeansError, expectSameResult } from '../helpers.js';

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-sweep-')); });
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  await terminateWorkers();
});

/** Four well-separated colour blobs (quadrants) with a little deterministic noise: K = 4 is the answer. */
function quadrants(width: number, height: number): RGBAImage {
  const centres = [[220, 40, 40], [40, 200, 60], [40, 60, 220], [230, 220, 200]];
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const c = centres[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)]!;
      for (let d = 0; d < 3; d++) data[p * 4 + d] = c[d]! + ((p * 7 + d * 13) % 9) - 4;
      data[p * 4 + 3] = 255;
    }
  }
  return { data, width, height };
}

describe('findKnee (Kneedle: farthest below the chord)', () => {
  it('finds the corner of an L-shaped curve', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(findKnee(xs, [100, 12, 10, 9, 8, 7, 6, 5, 4, 3])?.k).toBe(2);
    expect(findKnee(xs, [100, 90, 80, 70, 9, 8, 7, 6, 5, 4])?.k).toBe(5);
    // Uneven spacing: the x axis is normalised by value, not by index.
    expect(findKnee([1, 2, 3, 4, 10, 32, 64], [1000, 500, 300, 200, 20, 10, 5])?.k).toBe(10);
  });

  it('reports the index and the normalised distance', () => {
    // Normalised: (0, 1), (0.5, 0), (1, 0): the chord is at 0.5 in the middle, the point at 0.
    expect(findKnee([0, 1, 2], [10, 0, 0])).toEqual({ k: 1, index: 1, distance: 0.5 });
  });

  it('finds none on a straight line, a concave curve, a flat one, or fewer than 3 points', () => {
    expect(findKnee([1, 2, 3, 4], [40, 30, 20, 10])).toBeNull();
    expect(findKnee([1, 2, 3, 4], [40, 39, 35, 10])).toBeNull();
    expect(findKnee([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(findKnee([1, 2], [10, 1])).toBeNull();
  });

  it('gives ties to the lower K, and refuses unsorted xs', () => {
    expect(findKnee([0, 1, 2, 3], [3, 0, 0, 0])?.k).toBe(1);
    expect(() => findKnee([1, 3, 2], [3, 2, 1])).toThrow(/strictly increasing/);
  });
});

describe('the K list', () => {
  it('parses comma-separated integers', () => {
    expect(parseKList('1,2,3,4,10,32,64')).toEqual([1, 2, 3, 4, 10, 32, 64]);
    expect(parseKList(' 8, 2 ')).toEqual([8, 2]);
  });

  it.each([
    ['1,,3', 'item 2 is empty'],
    ['0', 'item 1 ("0") is not an integer between 1 and 65536'],
    ['a', 'item 1 ("a") is not an integer'],
    ['2,2.5', 'item 2 ("2.5")'],
    ['4,2,4', '4 is listed twice'],
    ['', 'the list is empty'],
    ['65537', 'item 1 ("65537")'],
  ])('refuses %j: %s', (text, why) => {
    expect(() => parseKList(text)).toThrow(why);
    expect(() => parseKList(text)).toThrow('e.g. -k 2,4,8,16');
  });

  it('checkKs (the API) sorts, and names the bad entry', async () => {
    expect(checkKs([8, 2, 4])).toEqual([2, 4, 8]);
    const fail = (ks: unknown) => Promise.resolve().then(() => checkKs(ks));
    await expectKMeansError(fail([]), 'ERR_INVALID_OPTION', 'ks');
    await expectKMeansError(fail([2, 0]), 'ERR_INVALID_OPTION', 'ks[1]', 'received 0');
    await expectKMeansError(fail([3, 3]), 'ERR_INVALID_OPTION', '3 is listed twice');
  });
});

describe('sweep()', () => {
  const img = quadrants(40, 30);
  const ks = [6, 1, 2, 3, 4, 5];
  let s: SweepResult;
  beforeAll(async () => { s = await sweep(img, { ks, seed: 3, backend: 'js' }); });

  it('gives, for each K ascending, exactly what kmeans gives alone', async () => {
    expect(s.entries.map((e) => e.k)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const e of s.entries) expectSameResult(e.result, await kmeans(img, { k: e.k, seed: 3, backend: 'wasm' }), `K = ${e.k}`);
  });

  it('puts the knee at 4 on four colour blobs, and measures every result', () => {
    expect(s.knee?.k).toBe(4);
    const psnr = s.entries.map((e) => e.quality.psnr);
    for (let i = 1; i < psnr.length; i++) expect(psnr[i]).toBeGreaterThanOrEqual(psnr[i - 1]! - 0.5);
    expect(psnr[3]).toBeGreaterThan(psnr[2]! + 10); // K = 4 separates the blobs: a big jump
    const json = s.toJSON();
    expect(json).toMatchObject({ input: '<pixels>', width: 40, height: 30, ks: [1, 2, 3, 4, 5, 6], knee: 4 });
    expect(json.results.map((r) => r.inertia)).toEqual(s.entries.map((e) => e.result.inertia));
  });

  it('lays out the contact sheet as a grid: the original, then each K, each captioned', async () => {
    const sheet = await s.contactSheet();
    const g = sheetGeometry(7, 40, 30);
    expect(g).toMatchObject({ columns: 4, rows: 2, tileWidth: 40, tileHeight: 30, padding: 12, labelHeight: 28 });
    expect([sheet.width, sheet.height]).toEqual([4 * 40 + 5 * 12, 2 * (30 + 28) + 3 * 12]);
    const tile = (i: number): number[] => {
      const { left, top } = g.cells[i]!;
      const out: number[] = [];
      for (let y = 0; y < 30; y++) out.push(...sheet.data.subarray(((top + y) * sheet.width + left) * 4, ((top + y) * sheet.width + left + 40) * 4));
      return out;
    };
    expect(tile(0)).toEqual(Array.from(img.data));
    s.entries.forEach((e, i) => expect(tile(i + 1), `tile of K = ${e.k}`).toEqual(Array.from(e.result.toRGBA())));
    // Captions: some dark text pixels under every tile, none in the padding above the grid.
    for (const { left, top } of g.cells.slice(0, 7)) {
      let dark = 0;
      for (let y = top + 30; y < top + 58; y++) for (let x = left; x < left + 40; x++) if (sheet.data[(y * sheet.width + x) * 4]! < 128) dark++;
      expect(dark).toBeGreaterThan(10);
    }
    expect(sheet.data.subarray(0, sheet.width * 4 * 12).every((v) => v === 255)).toBe(true);
  });

  it('scales large images down to the tile width, and follows columns', async () => {
    const g = sheetGeometry(5, 1000, 500, { columns: 2, tileWidth: 100, padding: 4, labelHeight: 20 });
    expect(g).toMatchObject({ width: 2 * 100 + 3 * 4, height: 3 * (50 + 20) + 4 * 4, rows: 3 });
    const sheet = await s.contactSheet({ columns: 3, tileWidth: 20 });
    expect([sheet.width, sheet.height]).toEqual([3 * 20 + 4 * 12, 3 * (15 + 28) + 4 * 12]);
  });

  it('draws the charts as SVG that sharp renders', async () => {
    const d = s.distortionChart();
    expect(d).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="640" height="400"/);
    expect(d).toContain('knee: K = 4');
    expect((d.match(/<circle [^>]*r="3.5"/g) ?? []).length).toBe(6);
    const c = s.costChart();
    expect((c.match(/<polyline fill="none" stroke="#/g) ?? []).length + (c.match(/<circle /g) ?? []).length).toBeGreaterThanOrEqual(6);
    for (const e of s.entries) expect(c).toContain(`K = ${e.k} (${e.result.iterations} it.)`);
    for (const svg of [d, c]) {
      const meta = await sharp(await svgToPNG(svg)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 640, 400]);
    }
  });

  it('refuses k, explicit centroids and bad options before any work', async () => {
    await expectKMeansError(sweep(img, { ks: [2], k: 3 } as never), 'ERR_INVALID_OPTION', 'ks: [2, 4, 8]');
    await expectKMeansError(sweep(img, { ks: [2], init: [[0, 0, 0]] } as never), 'ERR_INVALID_OPTION', 'explicit centroids');
    await expectKMeansError(sweep(img, { ks: [2], colorSpace: 'hsv' } as never), 'ERR_INVALID_OPTION', 'colorSpace');
    await expectKMeansError(sweep(path.join(tmp, 'none.png'), { ks: [1, 0] }), 'ERR_INVALID_OPTION', 'ks[1]');
  });

  it('save() writes the sheet and both charts, named from the sheet or as given', async () => {
    expect(sweepFiles(path.join('out', 'sheet.png'))).toEqual({
      sheet: path.join('out', 'sheet.png'),
      distortionSvg: path.join('out', 'sheet-distortion.svg'), distortionPng: path.join('out', 'sheet-distortion.png'),
      costSvg: path.join('out', 'sheet-cost.svg'), costPng: path.join('out', 'sheet-cost.png'),
    });
    expect(sweepFiles('s.webp', { distortion: 'd.png', cost: 'c.svg' })).toMatchObject({ distortionSvg: 'd.svg', costPng: 'c.png' });
    expect(() => sweepFiles('s.png', { distortion: 'x', cost: 'x.svg' })).toThrow('different names');
    const dir = await mkdtemp(path.join(tmp, 'api-'));
    const files = await s.save(path.join(dir, 'sheet.png'));
    expect((await readdir(dir)).sort()).toEqual(['sheet-cost.png', 'sheet-cost.svg', 'sheet-distortion.png', 'sheet-distortion.svg', 'sheet.png']);
    expect(await readFile(files.costSvg, 'utf8')).toBe(s.costChart());
    await expectKMeansError(s.save(path.join(dir, 'sheet.png')), 'ERR_OUTPUT_EXISTS', 'sheet.png');
  });

  it('nice ticks cover the range with 1-2-5 steps', () => {
    expect(niceTicks(0, 64, 8)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    expect(niceTicks(0, 8.6e8, 6)).toEqual([0, 2e8, 4e8, 6e8, 8e8, 1e9]);
  });
});

describe('kmeans-seg sweep', () => {
  const BIN = path.join(ROOT, 'bin', 'kmeans-seg.js');
  const run = (args: string[], cwd = tmp): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'sweep', ...args], { cwd, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
  let input: string;
  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist', 'cli', 'sweep.js'))) throw new Error('dist/cli/sweep.js is missing: run `npm run build` first (`npm test` does)');
    input = path.join(tmp, 'quad.png');
    const q = quadrants(40, 30);
    await sharp(q.data, { raw: { width: 40, height: 30, channels: 4 } }).png().toFile(input);
  });

  it('writes the sheet and both charts as SVG and PNG, and prints the numbers with --json', async () => {
    const dir = await mkdtemp(path.join(tmp, 'ok-'));
    const r = await run([input, '-k', '1,2,3,4,6', '-o', 'sheet.png', '--json', '--seed', '3'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['sheet-cost.png', 'sheet-cost.svg', 'sheet-distortion.png', 'sheet-distortion.svg', 'sheet.png']);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ ks: [1, 2, 3, 4, 6], knee: 4, width: 40, height: 30 });
    expect(s.results.map((x: { k: number }) => x.k)).toEqual([1, 2, 3, 4, 6]);
    for (const x of s.results) {
      expect(x.history.at(-1)).toBe(x.inertia);
      expect(typeof x.quality.deltaE.mean).toBe('number');
    }
    const meta = await sharp(path.join(dir, 'sheet.png')).metadata();
    expect([meta.width, meta.height]).toEqual([4 * 40 + 5 * 12, 2 * (30 + 28) + 3 * 12]);
    expect(await readFile(path.join(dir, 'sheet-distortion.svg'), 'utf8')).toContain('knee: K = 4');
    expect((await sharp(path.join(dir, 'sheet-cost.png')).metadata()).width).toBe(640);
  });

  it('takes chart names from --distortion and --cost', async () => {
    const dir = await mkdtemp(path.join(tmp, 'names-'));
    const r = await run([input, '-k', '2,3', '-o', 'a.webp', '--distortion', 'd.svg', '--cost', 'c', '--columns', '3'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('knee at none');
    expect((await readdir(dir)).sort()).toEqual(['a.webp', 'c.png', 'c.svg', 'd.png', 'd.svg']);
  });

  it('refuses bad -k lists, bad values and unwritable outputs: exit 2 or 1, nothing written', async () => {
    const dir = await mkdtemp(path.join(tmp, 'bad-'));
    await writeFile(path.join(dir, 'sheet-cost.png'), 'keep me');
    const cases: [string[], number, string][] = [
      [['-k', '1,,3', '-o', 'x.png'], 2, '"1,,3" for -k/--k: item 2 is empty'],
      [['-k', '0', '-o', 'x.png'], 2, 'item 1 ("0") is not an integer'],
      [['-k', 'a', '-o', 'x.png'], 2, 'item 1 ("a")'],
      [['-k', '-1', '-o', 'x.png'], 2, '"-1" for -k/--k'],
      [['-k', '2', '-o', 'x.png', '--color-space', 'xyz'], 2, 'expected rgb, linear-rgb, lab or oklab'],
      [['-k', '2'], 2, 'Missing -o/--output'],
      [['-k', '2', '-o', 'x.bmp'], 2, '".bmp"'],
      [['-k', '2', '-o', 'x.png', '--cost', 'x-distortion'], 2, 'different names'],
      [['-k', '2', '-o', 'sheet.png'], 1, 'sheet-cost.png" already exists'],
      [['-k', '2', '-o', path.join('missing', 'x.png')], 1, 'does not exist'],
    ];
    for (const [args, code, mention] of cases) {
      const r = await run([input, ...args], dir);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(/^kmeans-seg: error: .+\n$/);
      expect(r.stderr).toContain(mention);
      expect(r.stdout).toBe('');
      expect(await readdir(dir)).toEqual(['sheet-cost.png']);
    }
    expect(await readFile(path.join(dir, 'sheet-cost.png'), 'utf8')).toBe('keep me');
  });

  it('--help describes the subcommand', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: kmeans-seg sweep <input> -o <sheet>');
    expect(r.stdout).toContain('Kneedle');
  });
});
