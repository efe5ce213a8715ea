/**
 * The region outputs from the API: the region map as a 16-bit PNG and as raw u32 (the same ids back,
 * exactly), the regions JSON (what result.regions() says), the region outline overlay, segment() on a
 * file, and the typed errors for a result without regions, a PNG that cannot hold the ids, a bad path.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { regionMapPNG, regionMapU32, saveRegionMap } from '../../src/outputs/region-map.js';
import { overlayRegions, regionsJSON, saveRegions } from '../../src/outputs/regions-json.js';
import { segment } from '../../src/segment.js';
import { decodeGrey16, expectKMeansError, image, noiseImage, ROOT, type Pixel } from '../helpers.js';

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-region-outputs-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });


describe('region outputs', () => {
  const img = noiseImage(50, 30, 4, 4, 0.1); // transparent pixels too: they get the region count
  const options = { k: 4, seed: 1, connectivity: 4 as const, regions: true };

  it('the PNG region map is 16-bit grey and holds the ids exactly; the .u32 one too, little-endian', async () => {
    const r = await kmeans(img, options);
    const g = r.regions();
    expect(Array.from(g.map)).toContain(g.regions.length); // transparent pixels
    const png = decodeGrey16(await regionMapPNG(r));
    expect([png.depth, png.colourType]).toEqual([16, 0]);
    expect(Array.from(png.samples)).toEqual(Array.from(g.map));
    const raw = regionMapU32(r);
    expect(raw.length).toBe(50 * 30 * 4);
    expect(Array.from({ length: 50 * 30 }, (_, p) => raw.readUInt32LE(p * 4))).toEqual(Array.from(g.map));
    await saveRegionMap(r, path.join(tmp, 'm.png'));
    await saveRegionMap(r, path.join(tmp, 'm.u32'));
    expect(decodeGrey16(await readFile(path.join(tmp, 'm.png'))).samples).toEqual(png.samples);
    expect(await readFile(path.join(tmp, 'm.u32'))).toEqual(raw);
  });

  it('the JSON lists result.regions() as they are, centroids to 3 decimals, and each cluster', async () => {
    const r = await kmeans(img, { ...options, minRegion: 3 });
    const doc = JSON.parse(regionsJSON(r)) as Record<string, unknown> & { regions: { centroid: number[] }[] };
    const g = r.regions();
    expect(doc).toMatchObject({ width: 50, height: 30, connectivity: 4, minRegion: 3, merged: r.mergedRegions, count: g.regions.length, clusters: g.clusters });
    expect(doc.regions).toEqual(g.regions.map((x) => ({ ...x, centroid: x.centroid.map((v) => Math.round(v * 1000) / 1000) })));
    await saveRegions(r, path.join(tmp, 'r.json'));
    expect(await readFile(path.join(tmp, 'r.json'), 'utf8')).toBe(regionsJSON(r));
    await expectKMeansError(saveRegions(r, path.join(tmp, 'r.json')), 'ERR_OUTPUT_EXISTS', 'force');
  });

  it('overlayRegions outlines each region on its inside edge, in the connectivity used', async () => {
    const W: Pixel = [255, 255, 255], B: Pixel = [0, 0, 0];
    const rows = ['.....', '.###.', '.###.', '.###.', '.....'];
    const pic = image(rows.join('').split('').map((c) => (c === '#' ? B : W)), 5);
    const r = await kmeans(pic, { init: [[255, 255, 255], [0, 0, 0]], regions: true, connectivity: 4 });
    const out = overlayRegions(pic, r, { color: [255, 0, 0] });
    const red = (p: number, o = out): string => (o[p * 4] === 255 && o[p * 4 + 1] === 0 ? 'x' : '-');
    // The black square's ring is drawn, its centre is not; the white ring's inner edge is drawn, its outer not.
    expect(Array.from({ length: 25 }, (_, p) => red(p)).join('')).toBe('-xxx-' + 'xxxxx' + 'xx-xx' + 'xxxxx' + '-xxx-');
    const r8 = await kmeans(pic, { init: [[255, 255, 255], [0, 0, 0]], regions: true, connectivity: 8 });
    const out8 = overlayRegions(pic, r8, { color: [255, 0, 0] });
    expect([red(0), red(0, out8)], '8-connectivity: a corner neighbour counts').toEqual(['-', 'x']);
    expect(Array.from(overlayRegions(pic, r8).subarray(0, 4))).toEqual([255, 255, 0, 255]); // default yellow
  });

  it('segment() on a file computes the regions when asked, and they reach its result', async () => {
    const r = await segment(path.join(ROOT, 'examples', 'coffee.jpg'), { k: 4, seed: 1, minRegion: 50 });
    expect(r.minRegion).toBe(50);
    expect(r.regions().regions.every((g) => g.area >= 50)).toBe(true);
    expect(r.regions().regions.reduce((t, g) => t + g.area, 0)).toBe(r.width * r.height);
    await r.save(path.join(tmp, 'seg.png'));
    const { data } = await sharp(path.join(tmp, 'seg.png')).raw().toBuffer({ resolveWithObject: true });
    // The saved image is painted from the merged labels.
    const first = r.regions().regions[0]!;
    const p = r.regions().map.indexOf(0); // region 0's first pixel
    expect(Array.from(data.subarray(p * 3, p * 3 + 3))).toEqual(r.palette[first.cluster]!.rgb);
  });

  it('typed errors: no regions, a PNG that cannot hold the ids, a bad extension, not a result', async () => {
    const plain = await kmeans(img, { k: 3 });
    await expectKMeansError(regionMapPNG(plain), 'ERR_INVALID_OPTION', 'regions: true');
    expect(() => regionsJSON(plain)).toThrow(/regions: true/);
    const board = new Uint8Array(300 * 300 * 4);
    for (let p = 0; p < 300 * 300; p++) board.set(((p % 300) + Math.floor(p / 300)) % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255], p * 4);
    const many = await kmeans({ data: board, width: 300, height: 300 }, { k: 2, regions: true, connectivity: 4 });
    expect(many.regions().regions.length).toBe(90000);
    await expectKMeansError(regionMapPNG(many), 'ERR_OUTPUT_FORMAT', '90000 region ids', 'a .u32 file');
    await expectKMeansError(saveRegionMap(many, path.join(tmp, 'many.png')), 'ERR_OUTPUT_FORMAT', '"' + path.join(tmp, 'many.u32') + '"');
    expect(regionMapU32(many).readUInt32LE(4 * 299)).toBe(299);
    await expectKMeansError(saveRegionMap(plain, path.join(tmp, 'x.jpg')), 'ERR_INVALID_OPTION', 'regions: true');
    const r = await kmeans(img, options);
    await expectKMeansError(saveRegionMap(r, path.join(tmp, 'x.jpg')), 'ERR_OUTPUT_FORMAT', '.png or .u32');
    await expectKMeansError(regionMapPNG({ width: 2 } as never), 'ERR_INVALID_OPTION', 'regions()');
  });
});
