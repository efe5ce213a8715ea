/**
 * The region outputs from the command line, as docs/regions.md runs them: --connectivity, --min-region,
 * --regions, --region-map (.png and .u32) and --overlay-regions, against the built dist/, on the sample
 * photo that ships in examples/; and the mistakes a user can make with them.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/node/platform.js';
import { kmeans } from '../../src/core/kmeans.js';
import { qualityOf } from '../../src/core/quality.js';
import { decodeGrey16, runCli } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PHOTO = path.join(ROOT, 'examples', 'coffee.jpg');

const run = runCli;

let tmp: string;
beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm test` does)');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-regions-'));
});
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

/** The samples of the 16-bit grayscale PNG `file`, which must be 16-bit grey and not interlaced. */
async function png16(file: string): Promise<Uint16Array> {
  const { depth, colourType, interlace, samples } = decodeGrey16(await readFile(file));
  expect([depth, colourType, interlace], 'depth 16, grey, not interlaced').toEqual([16, 0, 0]);
  return samples;
}

interface RegionsFile {
  width: number; height: number; connectivity: number; minRegion: number; merged: number; count: number;
  regions: { id: number; cluster: number; area: number; bbox: number[]; centroid: number[]; color: number[] }[];
  clusters: { cluster: number; area: number; regions: number; bbox: number[] | null }[];
}

describe('kmeans-seg regions, as docs/regions.md runs them', () => {
  it('--min-region merges, and --regions, --region-map and --overlay-regions agree with each other and with the API', async () => {
    const args = [PHOTO, '-k', '6', '--seed', '1', '--spatial-weight', '1.5', '--min-region', '20', '-o', 'out.png',
      '--regions', 'regions.json', '--region-map', 'regions.png', '--overlay', 'outlined.png', '--overlay-regions', '--json'];
    const r = await run(args, tmp);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { regions: { count: number; merged: number; minRegion: number; connectivity: number }; palette: { count: number }[]; quality: { psnr: number } };
    const file = JSON.parse(await readFile(path.join(tmp, 'regions.json'), 'utf8')) as RegionsFile;
    expect(summary.regions).toEqual({ count: file.count, merged: file.merged, minRegion: 20, connectivity: 8 });
    expect(file.regions).toHaveLength(file.count);
    expect(file.merged).toBeGreaterThan(0);
    expect(file.regions.every((g) => g.area >= 20)).toBe(true);
    expect(file.regions.reduce((t, g) => t + g.area, 0)).toBe(600 * 400);
    expect(file.clusters.map((c) => c.area)).toEqual(summary.palette.map((p) => p.count));
    const map = await png16(path.join(tmp, 'regions.png'));
    expect(map.length).toBe(600 * 400);
    // The map's ids are the file's regions: each id's pixel count is its area, each first pixel in raster order.
    const areas = new Array(file.count).fill(0);
    for (const id of map) areas[id]++;
    expect(areas).toEqual(file.regions.map((g) => g.area));
    // The API on the same pixels gives the same regions, labels and quality figures (after the merge).
    const { data, info } = await sharp(PHOTO).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
    const api = await kmeans(image, { k: 6, seed: 1, spatialWeight: 1.5, minRegion: 20 });
    expect(Array.from(api.regions().map)).toEqual(Array.from(map));
    expect(summary.quality.psnr).toBe(qualityOf(image, api).psnr);
    const outlined = await sharp(path.join(tmp, 'outlined.png')).raw().toBuffer();
    let yellow = 0;
    for (let p = 0; p < outlined.length; p += 3) if (outlined[p] === 255 && outlined[p + 1] === 255 && outlined[p + 2] === 0) yellow++;
    expect(yellow).toBeGreaterThan(file.count); // every region outlined
  });

  it('a .u32 region map holds the same ids as the PNG, little-endian, one per pixel, no header', async () => {
    const common = [PHOTO, '-k', '4', '--seed', '2', '--connectivity', '4', '--force'];
    expect((await run([...common, '--region-map', 'm.png'], tmp)).code).toBe(0);
    const r = await run([...common, '--region-map', 'm.u32'], tmp);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/region map -> m\.u32/);
    const raw = await readFile(path.join(tmp, 'm.u32'));
    expect(raw.length).toBe(600 * 400 * 4);
    const ids = Array.from({ length: 600 * 400 }, (_, p) => raw.readUInt32LE(p * 4));
    expect(ids).toEqual(Array.from(await png16(path.join(tmp, 'm.png'))));
  });

  it('more than 65535 regions in a PNG is ERR_OUTPUT_FORMAT suggesting .u32, and nothing is written', async () => {
    const dir = await mkdtemp(path.join(tmp, 'many-'));
    // A 400 x 400 checkerboard: with 4-connectivity every pixel is a region of its own.
    const px = Buffer.alloc(400 * 400 * 3);
    for (let p = 0; p < 400 * 400; p++) if (((p % 400) + Math.floor(p / 400)) % 2 === 0) px.fill(255, p * 3, p * 3 + 3);
    await sharp(px, { raw: { width: 400, height: 400, channels: 3 } }).png().toFile(path.join(dir, 'board.png'));
    const r = await run(['board.png', '-k', '2', '--connectivity', '4', '-o', 'out.png', '--region-map', 'ids.png', '--regions', 'r.json'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('160000 region ids');
    expect(r.stderr).toContain('"ids.u32"');
    expect((await readdir(dir)).sort()).toEqual(['board.png']);
    const ok = await run(['board.png', '-k', '2', '--connectivity', '4', '--region-map', 'ids.u32'], dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await readFile(path.join(dir, 'ids.u32'))).readUInt32LE(399 * 4)).toBe(399);
  });
});

describe('kmeans-seg regions: mistakes', () => {
  const cases: [string, string[], number, RegExp[]][] = [
    ['--connectivity 6', ['--connectivity', '6', '--regions', 'r.json'], 2, [/"6" for --connectivity/, /4 or 8/]],
    ['--min-region -1', ['--min-region', '-1', '-o', 'o.png'], 2, [/"-1" for --min-region/, /e\.g\. --min-region 20/]],
    ['--min-region 1.5', ['--min-region', '1.5', '-o', 'o.png'], 2, [/"1\.5" for --min-region/, /an integer/]],
    ['a region map to .jpg', ['--region-map', 'ids.jpg'], 2, [/region map/, /\.png or \.u32/]],
    ['regions to .txt', ['--regions', 'r.txt'], 2, [/regions file/, /\.json/]],
    ['--overlay-regions without --overlay', ['--overlay-regions', '-o', 'o.png'], 2, [/add --overlay <file>/]],
  ];
  for (const [name, args, code, mentions] of cases) {
    it(`${name}: exit ${code}, one line naming the value and the fix, nothing written`, async () => {
      const dir = await mkdtemp(path.join(tmp, 'bad-'));
      const r = await run([PHOTO, '-k', '3', ...args], dir);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(/^kmeans-seg: error: .+\n$/);
      for (const m of mentions) expect(r.stderr).toMatch(m);
      expect(await readdir(dir)).toEqual([]);
    });
  }

  it('--help lists the region flags', async () => {
    const r = await run(['--help'], tmp);
    for (const flag of ['--connectivity <n>', '--min-region <px>', '--regions <file.json>', '--region-map <file>', '--overlay-regions']) expect(r.stdout).toContain(flag);
  });
});
