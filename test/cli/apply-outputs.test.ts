/**
 * `kmeans-seg apply`'s other outputs, as the main command has them: --labels, --masks, --overlay
 * (--border-color, --overlay-regions), --regions, --region-map; known answers on a tiny image with a
 * two-colour palette, one file per input in folders for several inputs, and all or nothing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGrey16, runCli } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const run = runCli;

// A 5 x 5 image: dark everywhere but two light islands, one of 2 x 2 pixels and one of 1 pixel.
const LIGHT = new Set([6, 7, 11, 12, 18]);
const LABELS = Array.from({ length: 25 }, (_, p) => (LIGHT.has(p) ? 1 : 0));
let tmp: string;

async function writeImage(file: string, light: readonly number[] = [250, 240, 230]): Promise<void> {
  const data = Buffer.alloc(25 * 3);
  for (let p = 0; p < 25; p++) data.set(LIGHT.has(p) ? light : [10, 20, 30], p * 3);
  await sharp(data, { raw: { width: 5, height: 5, channels: 3 } }).png().toFile(file);
}

async function grey(file: string): Promise<number[]> {
  const { data } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return Array.from(data);
}

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'apply-outputs.js'))) throw new Error('dist/cli/apply-outputs.js is missing: run `npm run build` first (`npm test` does)');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-apply-outputs-'));
  await writeImage(path.join(tmp, 'a.png'));
  await writeImage(path.join(tmp, 'b.png'), [240, 250, 250]);
  await writeFile(path.join(tmp, 'palette.gpl'), 'GIMP Palette\nName: two\n#\n 12  22  32\tdark\n245 245 235\tlight\n');
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

describe('kmeans-seg apply: other outputs', () => {
  it('--labels, --masks, --overlay, --regions and --region-map give the known answers for one input', async () => {
    const dir = await mkdtemp(path.join(tmp, 'one-'));
    const r = await run(['apply', '--palette', '../palette.gpl', '../a.png', '-o', 'out.png', '--labels', 'labels.png', '--masks', 'masks',
      '--overlay', 'borders.png', '--border-color', '#ff0000', '--regions', 'regions.json', '--region-map', 'regions.png', '--connectivity', '4'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('labels -> labels.png');
    expect(await grey(path.join(dir, 'labels.png'))).toEqual(LABELS);
    expect((await readdir(path.join(dir, 'masks'))).sort()).toEqual(['mask-00.png', 'mask-01.png']);
    for (const j of [0, 1]) {
      const mask = await grey(path.join(dir, 'masks', `mask-0${j}.png`));
      expect(mask.map((v) => (v > 0 ? 1 : 0)), `mask ${j}`).toEqual(LABELS.map((l) => (l === j ? 1 : 0)));
    }
    const regions = JSON.parse(await readFile(path.join(dir, 'regions.json'), 'utf8')) as { connectivity: number; regions: { cluster: number; area: number }[] };
    expect(regions.connectivity).toBe(4);
    // With 4-connectivity: the dark background, the 2 x 2 island, the lone pixel.
    expect(regions.regions.map((g) => [g.cluster, g.area])).toEqual([[0, 20], [1, 4], [1, 1]]);
    const ids = decodeGrey16(await readFile(path.join(dir, 'regions.png'))).samples;
    expect(ids[18]).toBe(2);
    expect(ids[6]).toBe(1);
    // A border pixel is one whose right or lower neighbour has another label: pixel 5 (left of the island).
    const { data } = await sharp(path.join(dir, 'borders.png')).raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data.subarray(5 * data.length / 25, 5 * data.length / 25 + 3))).toEqual([255, 0, 0]);
    expect(Array.from(data.subarray(0, 3))).toEqual([10, 20, 30]); // the original where no border is
  });

  it('needs no -o when another output is given, and names a file per input in folders for several inputs', async () => {
    const dir = await mkdtemp(path.join(tmp, 'many-'));
    const r = await run(['apply', '--palette', '../palette.gpl', '../a.png', '../b.png', '--labels', 'labels', '--masks', 'masks',
      '--overlay', 'over', '--overlay-regions', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(path.join(dir, 'labels'))).sort()).toEqual(['a.png', 'b.png']);
    expect((await readdir(path.join(dir, 'over'))).sort()).toEqual(['a.png', 'b.png']);
    expect((await readdir(path.join(dir, 'masks'))).sort()).toEqual(['a', 'b']);
    expect((await readdir(path.join(dir, 'masks', 'b'))).sort()).toEqual(['mask-00.png', 'mask-01.png']);
    expect(await grey(path.join(dir, 'labels', 'b.png'))).toEqual(LABELS);
    const summary = JSON.parse(r.stdout) as { output: null; outputs: { labels: string; overlay: string; masks: string[] } }[];
    expect(summary.map((s) => s.output)).toEqual([null, null]);
    expect(summary[1]!.outputs.labels).toBe(path.join('labels', 'b.png'));
    expect(summary[0]!.outputs.masks).toHaveLength(2);
  });

  it('writes nothing when one output cannot be written, and refuses mistakes before any work', async () => {
    const dir = await mkdtemp(path.join(tmp, 'none-'));
    await writeFile(path.join(dir, 'labels.png'), 'old');
    const r = await run(['apply', '--palette', '../palette.gpl', '../a.png', '-o', 'out.png', '--labels', 'labels.png', '--masks', 'masks'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/labels\.png.*already exists/);
    expect((await readdir(dir)).sort()).toEqual(['labels.png']);
    expect(await readFile(path.join(dir, 'labels.png'), 'utf8')).toBe('old');
    const usage = await run(['apply', '--palette', '../palette.gpl', '../a.png', '--labels', 'l.png', '--overlay-regions'], dir);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--overlay-regions');
    const twice = await run(['apply', '--palette', '../palette.gpl', '../a.png', '-o', 'same.png', '--overlay', 'same.png'], dir);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('same file');
    const noOutput = await run(['apply', '--palette', '../palette.gpl', '../a.png'], dir);
    expect(noOutput.code).toBe(2);
    expect(noOutput.stderr).toContain('--labels');
    expect((await readdir(dir)).sort()).toEqual(['labels.png']);
  });
});
