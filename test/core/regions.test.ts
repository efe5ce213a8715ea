/**
 * Connected regions and minRegion: known answers on tiny images, a naive re-implementation of the
 * specification (flood fill, then one merge at a time, everything recomputed from the pixels) that the
 * fast run-based code must match bit for bit on random images, the invariants, determinism across
 * backends and threads, applyPalette giving the labels from before the merge, and bad input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { fromSrgb, type ColorSpace } from '../../src/core/colorspace.js';
import { findRegions } from '../../src/core/regions.js';
import { regionMap } from '../../src/core/region-list.js';
import { applyPalette } from '../../src/palette/apply.js';
import type { KMeansResult, RGBAImage } from '../../src/types.js';
import { expectKMeansError, image, noiseImage, type Pixel } from '../helpers.js';

const W: Pixel = [255, 255, 255], B: Pixel = [0, 0, 0], T: Pixel = [0, 0, 0, 0];

/** A picture from rows of characters: '#' black, '.' white, ' ' transparent. */
function picture(rows: string[]): RGBAImage {
  return image(rows.join('').split('').map((c) => (c === '#' ? B : c === '.' ? W : T)), rows[0]!.length);
}

// Two black islands on white: a 2 x 2 square and, touching it only at a corner, one pixel.
const ISLANDS = picture([
  '.....',
  '.##..',
  '.##..',
  '...#.',
  '.....',
]);
const BW = [[255, 255, 255], [0, 0, 0]]; // white is cluster 0, black cluster 1

describe('connected regions: known answers', () => {
  it('a 5 x 5 with two islands: 8-connectivity joins the diagonal, 4 does not', async () => {
    const r8 = (await kmeans(ISLANDS, { init: BW, regions: true })).regions();
    expect(r8.connectivity).toBe(8);
    expect(r8.regions).toEqual([
      { id: 0, cluster: 0, area: 20, bbox: [0, 0, 5, 5], centroid: [41 / 20, 41 / 20], color: [255, 255, 255] },
      { id: 1, cluster: 1, area: 5, bbox: [1, 1, 3, 3], centroid: [9 / 5, 9 / 5], color: [0, 0, 0] },
    ]);
    expect(Array.from(r8.map).join('')).toBe('00000' + '01100' + '01100' + '00010' + '00000');
    expect(r8.clusters).toEqual([
      { cluster: 0, area: 20, regions: 1, bbox: [0, 0, 5, 5] },
      { cluster: 1, area: 5, regions: 1, bbox: [1, 1, 3, 3] },
    ]);
    const r4 = (await kmeans(ISLANDS, { init: BW, regions: true, connectivity: 4 })).regions();
    expect(r4.regions.map((g) => [g.id, g.cluster, g.area, g.bbox])).toEqual([[0, 0, 20, [0, 0, 5, 5]], [1, 1, 4, [1, 1, 2, 2]], [2, 1, 1, [3, 3, 1, 1]]]);
    expect(Array.from(r4.map).join('')).toBe('00000' + '01100' + '01100' + '00020' + '00000');
    expect(r4.clusters[1]).toEqual({ cluster: 1, area: 5, regions: 2, bbox: [1, 1, 3, 3] });
  });

  it('ids follow the raster order of first pixels; transparent pixels are in no region', async () => {
    const img = picture([
      '#. .#',
      '#. ..',
      '  ## ',
    ]);
    const r = (await kmeans(img, { init: BW, regions: true, connectivity: 4 })).regions();
    // Regions by first pixel: (0,0) black, (1,0) white, (3,0) white, (4,0) black, (2,2) black.
    expect(r.regions.map((g) => [g.cluster, g.area, g.bbox])).toEqual([
      [1, 2, [0, 0, 1, 2]], [0, 2, [1, 0, 1, 2]], [0, 3, [3, 0, 2, 2]], [1, 1, [4, 0, 1, 1]], [1, 2, [2, 2, 2, 1]],
    ]);
    // The white pixel (4, 1) joins (3, 0)'s region through (3, 1); transparent pixels get 5.
    expect(Array.from(r.map).join('')).toBe('01523' + '01522' + '55445');
  });

  it('minRegion merges the one-pixel island into the white around it, and every output follows', async () => {
    const before = await kmeans(ISLANDS, { init: BW, connectivity: 4 });
    const r = await kmeans(ISLANDS, { init: BW, connectivity: 4, minRegion: 2 });
    expect([r.minRegion, r.mergedRegions]).toEqual([2, 1]);
    expect(Array.from(r.labels).join('')).toBe('00000' + '01100' + '01100' + '00000' + '00000');
    expect(r.palette.map((p) => [p.count, p.share])).toEqual([[21, 21 / 25], [4, 4 / 25]]);
    expect(Array.from(r.toRGB().slice(18 * 3, 18 * 3 + 3))).toEqual([255, 255, 255]);
    const g = r.regions();
    expect([g.minRegion, g.merged, g.regions.length]).toEqual([2, 1, 2]);
    // The merged region's mean colour is that of its pixels in the input, the black one included.
    expect(g.regions[0]).toEqual({ id: 0, cluster: 0, area: 21, bbox: [0, 0, 5, 5], centroid: [44 / 21, 44 / 21], color: [243, 243, 243] });
    // The clustering itself is untouched: centroids, inertia, history.
    expect([r.centroids, r.inertia, r.history]).toEqual([before.centroids, before.inertia, before.history]);
    expect([before.minRegion, before.mergedRegions]).toEqual([0, 0]);
  });

  it('the smallest region first, ties to the lower id; the nearest mean colour, ties to the lower cluster', async () => {
    // Grey levels in a row: A A A x y B B B, x and y one pixel each, each its own cluster.
    const row = (x: number, y: number): RGBAImage => image([0, 0, 0, x, y, 255, 255, 255].map((v): Pixel => [v, v, v]));
    const init = (x: number, y: number) => [[0, 0, 0], [x, x, x], [y, y, y], [255, 255, 255]];
    // x (the lower id) goes first and joins y, its nearest; then {x, y} has 2 pixels: done.
    let r = await kmeans(row(120, 130), { init: init(120, 130), minRegion: 2 });
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 2, 2, 3, 3, 3]);
    // Had y gone first, it would have joined x: x first is what makes the difference.
    r = await kmeans(row(125, 135), { init: init(125, 135), minRegion: 2 });
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 2, 2, 3, 3, 3]);
    // A pixel halfway between two neighbours joins the lower cluster index, whichever side it is on.
    const halfway = image([[10, 10, 10], [10, 10, 10], [60, 60, 60], [110, 110, 110], [110, 110, 110]]);
    for (const [order, expected] of [[[[10, 10, 10], [110, 110, 110], [60, 60, 60]], 0], [[[110, 110, 110], [10, 10, 10], [60, 60, 60]], 0]] as const) {
      const h = await kmeans(halfway, { init: order.map((c) => [...c]), minRegion: 2, maxIterations: 1 });
      expect(h.labels[2], JSON.stringify(order)).toBe(expected);
    }
  });

  it('a small region with no neighbour (alone, or ringed by transparent pixels) stays', async () => {
    const img = picture([
      '     ',
      ' #   ',
      '   ..',
      '   ..',
    ]);
    const r = await kmeans(img, { init: BW, minRegion: 10 });
    expect([r.mergedRegions, r.regions().regions.map((g) => g.area)]).toEqual([0, [1, 4]]);
    const one = await kmeans(image([[9, 9, 9]]), { k: 1, minRegion: 5 });
    expect(one.regions().regions).toEqual([{ id: 0, cluster: 0, area: 1, bbox: [0, 0, 1, 1], centroid: [0, 0], color: [9, 9, 9] }]);
  });
});

/** The specification, naively: flood-fill regions, then merge one region at a time, all recomputed from the pixels. */
function naiveRegions(img: RGBAImage, labels: ArrayLike<number>, none: number, eight: boolean, minRegion: number, space: ColorSpace) {
  const { width, height, data } = img;
  const n = width * height;
  const region = new Int32Array(n).fill(-1);
  const near = (p: number): number[] => {
    const x = p % width, y = (p - x) / width, out: number[] = [];
    for (const [dx, dy] of eight ? [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]] : [[0, -1], [-1, 0], [1, 0], [0, 1]]) {
      const xx = x + dx!, yy = y + dy!;
      if (xx >= 0 && yy >= 0 && xx < width && yy < height) out.push(yy * width + xx);
    }
    return out;
  };
  let count = 0;
  for (let p = 0; p < n; p++) {
    if (labels[p] === none || region[p] !== -1) continue;
    const stack = [p];
    region[p] = count;
    while (stack.length) for (const q of near(stack.pop()!)) if (region[q] === -1 && labels[q] === labels[p]) { region[q] = count; stack.push(q); }
    count++;
  }
  const lab = Array.from(labels);
  const alone = new Set<number>();
  for (;;) {
    const area = new Map<number, number>();
    for (let p = 0; p < n; p++) if (region[p]! >= 0) area.set(region[p]!, (area.get(region[p]!) ?? 0) + 1);
    const small = [...area].filter(([id, a]) => a < minRegion && !alone.has(id)).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    if (small.length === 0) break;
    const s = small[0]![0];
    const mean = (id: number): number[] => {
      const sum = [0, 0, 0];
      for (let p = 0; p < n; p++) if (region[p] === id) for (let c = 0; c < 3; c++) sum[c]! += data[p * 4 + c]!;
      return fromSrgb(space, sum[0]! / area.get(id)!, sum[1]! / area.get(id)!, sum[2]! / area.get(id)!);
    };
    const neighbours = new Set<number>();
    for (let p = 0; p < n; p++) if (region[p] === s) for (const q of near(p)) if (region[q]! >= 0 && region[q] !== s) neighbours.add(region[q]!);
    if (neighbours.size === 0) { alone.add(s); continue; }
    const ms = mean(s);
    const clusterOf = (id: number): number => lab[region.indexOf(id)]!;
    const ranked = [...neighbours].map((id) => ({ id, d: mean(id).reduce((t, v, c) => t + (v - ms[c]!) ** 2, 0), c: clusterOf(id) }))
      .sort((a, b) => a.d - b.d || a.c - b.c || a.id - b.id);
    const into = ranked[0]!;
    for (let p = 0; p < n; p++) if (region[p] === s) { region[p] = into.id; lab[p] = into.c; }
  }
  // Renumber by first pixel.
  const ids = new Map<number, number>();
  const map = Array.from(region, (r) => (r < 0 ? -1 : ids.get(r) ?? (ids.set(r, ids.size), ids.size - 1)));
  return { labels: lab, map: map.map((m) => (m < 0 ? ids.size : m)), count: ids.size };
}

/** What every region set must satisfy, checked from the map and the labels. */
function checkInvariants(img: RGBAImage, r: KMeansResult, eight: boolean): void {
  const g = r.regions();
  const { width, height } = img;
  const map = g.map, n = g.regions.length;
  const opaque = Array.from({ length: width * height }, (_, p) => img.data[p * 4 + 3] !== 0).filter(Boolean).length;
  expect(g.regions.reduce((t, x) => t + x.area, 0), 'areas add up to the visible pixels').toBe(opaque);
  expect(g.clusters.map((c) => c.area), 'cluster areas are the palette counts').toEqual(r.palette.map((p) => p.count));
  const first = new Array(n).fill(-1), seen = new Array(n).fill(0);
  for (let p = 0; p < map.length; p++) {
    const id = map[p]!;
    if (img.data[p * 4 + 3] === 0) { expect(id).toBe(n); continue; }
    if (first[id] === -1) first[id] = p;
    expect(r.labels[p], 'one cluster per region').toBe(g.regions[id]!.cluster);
    const [bx, by, bw, bh] = g.regions[id]!.bbox, x = p % width, y = (p - x) / width;
    expect(x >= bx && x < bx + bw && y >= by && y < by + bh, 'inside its bbox').toBe(true);
    seen[id]++;
  }
  expect(first.every((f, i) => i === 0 || f > first[i - 1]), 'ids in raster order').toBe(true);
  expect(seen).toEqual(g.regions.map((x) => x.area));
  // Connected: a flood fill from each region's first pixel reaches all of it.
  const steps = eight ? [[-1, -1], [0, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [0, 1], [1, 1]] : [[0, -1], [-1, 0], [1, 0], [0, 1]];
  for (let id = 0; id < n; id++) {
    const stack = [first[id]], reached = new Set(stack);
    const touches = new Set<number>();
    while (stack.length) {
      const p = stack.pop()!, x = p % width, y = (p - x) / width;
      for (const [dx, dy] of steps) {
        const xx = x + dx!, yy = y + dy!;
        if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
        const q = yy * width + xx;
        if (map[q] === id && !reached.has(q)) { reached.add(q); stack.push(q); } else if (map[q] !== id && map[q] !== n) touches.add(map[q]!);
      }
    }
    expect(reached.size, `region ${id} is connected`).toBe(g.regions[id]!.area);
    if (r.minRegion > 1 && g.regions[id]!.area < r.minRegion) expect(touches.size, `region ${id} is under the minimum only when alone`).toBe(0);
  }
}

describe('connected regions: the specification and the invariants on random images', () => {
  const arb = fc.record({
    width: fc.integer({ min: 1, max: 14 }), height: fc.integer({ min: 1, max: 12 }), seed: fc.nat(1000),
    levels: fc.constantFrom(2, 3, 6), k: fc.integer({ min: 1, max: 5 }), eight: fc.boolean(),
    minRegion: fc.constantFrom(0, 2, 3, 5, 12), space: fc.constantFrom<ColorSpace>('rgb', 'oklab'), holes: fc.constantFrom(0, 0.15),
  });
  it('match the naive re-implementation bit for bit, and hold every invariant', async () => {
    await fc.assert(fc.asyncProperty(arb, async (c) => {
      const img = noiseImage(c.width, c.height, c.seed, c.levels, c.holes);
      const base = { k: c.k, seed: c.seed, colorSpace: c.space, connectivity: c.eight ? 8 as const : 4 as const };
      const plain = await kmeans(img, base);
      const r = await kmeans(img, { ...base, minRegion: c.minRegion, regions: true });
      const ref = naiveRegions(img, plain.labels, plain.k, c.eight, c.minRegion, c.space);
      expect(Array.from(r.labels)).toEqual(ref.labels);
      expect(Array.from(r.regions().map)).toEqual(ref.map);
      expect(r.regions().regions.length + r.mergedRegions).toBe(findRegions(img, plain.labels, plain.k, base.connectivity).count);
      checkInvariants(img, r, c.eight);
    }), { seed: 15, numRuns: 150 });
  });

  it('hold on a photo-like image at K = 6 with positions, and merging leaves far fewer regions', async () => {
    const img = noiseImage(120, 80, 3, 256);
    const raw = await kmeans(img, { k: 6, seed: 1, spatialWeight: 1.5, regions: true, maxIterations: 20 });
    const merged = await kmeans(img, { k: 6, seed: 1, spatialWeight: 1.5, minRegion: 20, maxIterations: 20 });
    checkInvariants(img, raw, true);
    checkInvariants(img, merged, true);
    expect(merged.regions().regions.length).toBeLessThan(raw.regions().regions.length / 4);
    expect(merged.regions().regions.every((g) => g.area >= 20)).toBe(true);
  });
});

describe('connected regions: determinism and what they leave alone', () => {
  it('the same regions and merged labels on the wasm and the TS kernel, on 1 or 2 threads, over pixels or the histogram', async () => {
    const img = noiseImage(300, 200, 11, 24, 0.02);
    const options = { k: 7, seed: 3, minRegion: 15, connectivity: 4 as const, colorSpace: 'lab' as const };
    const ref = await kmeans(img, { ...options, backend: 'js' });
    for (const o of [{ backend: 'wasm', threads: 1 }, { backend: 'wasm', threads: 2 }, { backend: 'wasm', histogram: false }] as const) {
      const r = await kmeans(img, { ...options, ...o });
      expect(r.threads <= (o.threads ?? 2)).toBe(true);
      expect(Array.from(r.labels)).toEqual(Array.from(ref.labels));
      expect(r.regions().regions).toEqual(ref.regions().regions);
      expect(Array.from(r.regions().map)).toEqual(Array.from(ref.regions().map));
      expect(r.palette).toEqual(ref.palette);
    }
  });

  it('applyPalette with the result\'s palette and centroids gives the labels from before the merge', async () => {
    const img = noiseImage(60, 40, 5, 16);
    const options = { k: 5, seed: 2, colorSpace: 'oklab' as const };
    const plain = await kmeans(img, options);
    const merged = await kmeans(img, { ...options, minRegion: 8 });
    expect(merged.mergedRegions).toBeGreaterThan(0);
    expect(Array.from(merged.labels)).not.toEqual(Array.from(plain.labels));
    const applied = await applyPalette(img, { palette: merged.palette, colorSpace: 'oklab', centroids: merged.centroids });
    expect(Array.from(applied.labels)).toEqual(Array.from(plain.labels));
  });

  it('regionMap of the runs equals the map, in 16 bits while the ids fit', async () => {
    const img = noiseImage(40, 30, 9, 3);
    const r = await kmeans(img, { k: 3, regions: true, connectivity: 4 });
    const found = findRegions(img, r.labels, r.k, 4);
    expect(r.regions().map).toBeInstanceOf(Uint16Array);
    expect(Array.from(regionMap(found))).toEqual(Array.from(r.regions().map));
    expect(r.regions()).toBe(r.regions()); // made once
  });
});

describe('connected regions: bad input', () => {
  const img = noiseImage(6, 5, 1);
  it('names the value and the fix', async () => {
    await expectKMeansError(kmeans(img, { connectivity: 6 as 4 }), 'ERR_INVALID_OPTION', 'connectivity', 'received 6', '4 or 8');
    await expectKMeansError(kmeans(img, { minRegion: -1 }), 'ERR_INVALID_OPTION', 'minRegion', 'received -1', 'e.g. minRegion: 20');
    await expectKMeansError(kmeans(img, { minRegion: 1.5 }), 'ERR_INVALID_OPTION', 'minRegion', 'received 1.5', 'an integer');
    await expectKMeansError(kmeans(img, { regions: 'yes' as unknown as boolean }), 'ERR_INVALID_OPTION', 'regions', '"yes"');
    await expectKMeansError(kmeans(img, { connectivity: '8' as unknown as 8 }), 'ERR_INVALID_OPTION', 'connectivity', '"8"');
  });

  it('result.regions() without them says which option computes them', async () => {
    const r = await kmeans(img, { k: 2 });
    expect(() => r.regions()).toThrow(/regions: true \(or minRegion\)/);
    try { r.regions(); } catch (e) { expect((e as { code: string }).code).toBe('ERR_INVALID_OPTION'); }
  });
});
