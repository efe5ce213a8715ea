/**
 * Spatial segmentation (spatialWeight > 0): five-dimensional points (colour plus scaled position)
 * through their own SIMD loop and TS twin. The same promises as colour-only clustering: bit-identical
 * across backends and threads, labels the nearest centroid of the centroids returned, centroids the
 * means of their pixels when a pass changed nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { expectKMeansError, expectSameResult, imageArb, image, noiseImage } from '../helpers.js';

const f = Math.fround;

/** Positions as the core defines them: pixel column/row x weight x 255 / longer side, on the 1/256 grid. */
function positions(width: number, height: number, weight: number): { u: number[]; v: number[] } {
  const scale = (weight * 255) / Math.max(width, height);
  const u: number[] = [], v: number[] = [];
  for (let p = 0; p < width * height; p++) {
    u.push(Math.round((p % width) * scale * 256) / 256);
    v.push(Math.round(Math.floor(p / width) * scale * 256) / 256);
  }
  return { u, v };
}

describe('spatial segmentation', () => {
  it('wasm, js and 2 threads give bit-identical results on random images (150 cases)', async () => {
    await fc.assert(fc.asyncProperty(
      imageArb({ maxWidth: 23, maxHeight: 9 }),
      fc.integer({ min: 1, max: 12 }), fc.constantFrom(0.25, 1, 3), fc.constantFrom('kmeans++' as const, 'random' as const), fc.nat(1000),
      async (img, k, spatialWeight, init, seed) => {
        const opts = { k, spatialWeight, init, seed, maxIterations: 50 };
        let wasm;
        try {
          wasm = await kmeans(img, { ...opts, backend: 'wasm' });
        } catch (e) {
          // An image with no visible pixel is refused by every backend alike.
          await expect(kmeans(img, { ...opts, backend: 'js' })).rejects.toThrow((e as Error).message);
          return;
        }
        expectSameResult(wasm, await kmeans(img, { ...opts, backend: 'js' }), 'js');
        expectSameResult(wasm, await kmeans(img, { ...opts, backend: 'wasm', threads: 2 }), 'threads');
      }), { seed: 2024, numRuns: 150 });
  });

  it('is the same split across threads on an image large enough to use them', async () => {
    const img = noiseImage(300, 200, 9, 16);
    const one = await kmeans(img, { k: 12, spatialWeight: 1, threads: 1, maxIterations: 15 });
    const two = await kmeans(img, { k: 12, spatialWeight: 1, threads: 2, maxIterations: 15 });
    expect(two.threads).toBe(2);
    expectSameResult(one, two);
  });

  it('labels are the nearest of the returned 5-d centroids, and converged centroids are means', async () => {
    const img = noiseImage(40, 30, 3, 6);
    const w = 1.5;
    const r = await kmeans(img, { k: 7, spatialWeight: w, seed: 4, tolerance: 0, backend: 'js' });
    expect(r.converged).toBe(true);
    expect(r.centroids.every((c) => c.length === 5)).toBe(true);
    const { u, v } = positions(img.width, img.height, w);
    const sums = r.centroids.map(() => [0, 0, 0, 0, 0, 0]);
    let inertia = 0;
    for (let p = 0; p < img.width * img.height; p++) {
      const point = [img.data[p * 4]!, img.data[p * 4 + 1]!, img.data[p * 4 + 2]!, u[p]!, v[p]!];
      let best = Infinity, bi = -1;
      r.centroids.forEach((c, j) => {
        let d = 0;
        for (let q = 0; q < 5; q++) { const delta = f(point[q]! - c[q]!); d = q === 0 ? f(delta * delta) : f(d + f(delta * delta)); }
        if (d < best) { best = d; bi = j; }
      });
      expect(r.labels[p]).toBe(bi);
      inertia += Math.floor(best * 256) / 256;
      point.forEach((x, q) => { sums[bi]![q] += x; });
      sums[bi]![5] += 1;
    }
    expect(r.inertia).toBe(inertia);
    r.centroids.forEach((c, j) => c.forEach((x, q) => expect(x).toBe(f(sums[j]![q]! / sums[j]![5]!))));
  });

  it('keeps two far-apart patches of one colour apart, which colour alone cannot', async () => {
    // Red left, blue middle, red right: colour-only K=3 has only 2 colours; with positions the two
    // red patches become separate segments.
    const px: [number, number, number][] = [];
    for (let x = 0; x < 30; x++) px.push(x < 10 || x >= 20 ? [200, 0, 0] : [0, 0, 200]);
    const img = image(px);
    const plain = await kmeans(img, { k: 3 });
    expect(plain.k).toBe(2); // reduced: two distinct colours
    const spatial = await kmeans(img, { k: 3, spatialWeight: 2, seed: 1 });
    expect(spatial.k).toBe(3);
    expect(spatial.labels[0]).not.toBe(spatial.labels[29]);
    expect(new Set(spatial.labels.slice(0, 10)).size).toBe(1);
  });

  it('refuses options that cannot combine with positions', async () => {
    const img = noiseImage(8, 8, 1);
    await expectKMeansError(kmeans(img, { spatialWeight: 1, histogram: true }), 'ERR_INVALID_OPTION', 'histogram');
    await expectKMeansError(kmeans(img, { spatialWeight: 1, init: [[0, 0, 0]] }), 'ERR_INVALID_OPTION', 'init');
    await expectKMeansError(kmeans(img, { spatialWeight: -1 }), 'ERR_INVALID_OPTION', 'spatialWeight');
    await expectKMeansError(kmeans(img, { spatialWeight: Number.NaN }), 'ERR_INVALID_OPTION', 'spatialWeight');
  });
});
