/**
 * sample: cluster a seeded sample of the pixels, then assign every pixel. The sample is the seed's
 * alone (the same on every backend and thread count), the result says it was used, and the labels
 * are the nearest-centroid labels of every pixel.
 */
import { describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { qualityOf } from '../../src/core/quality.js';
import { sampleIndices } from '../../src/core/sample.js';
import { distN } from '../../src/kernel/f32.js';
import { expectKMeansError, expectSameResult, noiseImage } from '../helpers.js';

describe('sample', () => {
  it('draws distinct sorted indices, the same for a seed and different for another', () => {
    const a = sampleIndices(1000, 300, 7);
    expect(a.length).toBe(300);
    for (let i = 1; i < a.length; i++) expect(a[i]!).toBeGreaterThan(a[i - 1]!);
    expect(a[a.length - 1]!).toBeLessThan(1000);
    expect(Array.from(sampleIndices(1000, 300, 7))).toEqual(Array.from(a));
    expect(Array.from(sampleIndices(1000, 300, 8))).not.toEqual(Array.from(a));
    expect(Array.from(sampleIndices(10, 10, 1))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('draws each index about equally often (no region of the image favoured)', () => {
    const hits = new Float64Array(100);
    for (let seed = 0; seed < 2000; seed++) for (const i of sampleIndices(100, 10, seed)) hits[i]!++;
    // Expected 200 per index; 5 standard deviations (about 13.4 each) either way.
    for (const h of hits) expect(Math.abs(h - 200)).toBeLessThan(67);
  });

  it('says so in the result and a warning, and assigns every pixel to its nearest final centroid', async () => {
    const img = noiseImage(40, 30, 3, 16);
    const r = await kmeans(img, { k: 5, spatialWeight: 1, sample: 300, seed: 2, backend: 'js' });
    expect(r.sample).toEqual({ size: 300, of: 1200 });
    expect(r.warnings.join('\n')).toContain('sample of 300 of the 1200 visible pixels');
    expect(r.palette.reduce((a, p) => a + p.count, 0)).toBe(1200);
    // Nearest centroid in 5-D for every pixel (ties to the lower index), from the centroids returned.
    const scale = 255 / 40;
    for (let p = 0; p < 1200; p++) {
      const point = [img.data[p * 4]!, img.data[p * 4 + 1]!, img.data[p * 4 + 2]!,
        Math.round((p % 40) * scale * 256) / 256, Math.round(Math.floor(p / 40) * scale * 256) / 256];
      const planes = point.map((v) => Float32Array.of(v));
      let best = 0, bestD = Infinity;
      r.centroids.forEach((c, j) => {
        const d = distN(planes, 0, c, 0);
        if (d < bestD) { bestD = d; best = j; }
      });
      expect(r.labels[p]).toBe(best);
    }
  });

  it('is bit-identical across backends and threads', async () => {
    const img = noiseImage(256, 192, 6, 32);
    const opts = { k: 6, spatialWeight: 0.5, sample: 2000, seed: 5 };
    const wasm = await kmeans(img, { ...opts, backend: 'wasm', threads: 1 });
    expectSameResult(wasm, await kmeans(img, { ...opts, backend: 'js' }), 'js');
    const two = await kmeans(img, { ...opts, backend: 'wasm', threads: 2 });
    expectSameResult(wasm, two, '2 threads');
    expect(two.threads, 'the full pass ran on 2 threads').toBe(2);
    expect(wasm.sample).toEqual({ size: 2000, of: 49152 });
  });

  it('works on the pixel path (histogram: false) and is exact when the sample holds every pixel', async () => {
    const img = noiseImage(30, 30, 1, 8);
    const sampled = await kmeans(img, { k: 4, histogram: false, sample: 100, seed: 1 });
    expect(sampled.sample).toEqual({ size: 100, of: 900 });
    const whole = await kmeans(img, { k: 4, spatialWeight: 1, sample: 900, seed: 1 });
    expect(whole.sample).toBeUndefined();
    expectSameResult(whole, await kmeans(img, { k: 4, spatialWeight: 1, seed: 1 }), 'exact');
  });

  it('is ignored with a warning where the run clusters the histogram; refused with histogram: true and below k', async () => {
    const img = noiseImage(10, 10, 1, 3); // 27 colours at most: the histogram is used
    const r = await kmeans(img, { k: 4, sample: 50, seed: 1 });
    expect(r.sample).toBeUndefined();
    expect(r.warnings.join('\n')).toContain('sample ignored');
    expectSameResult({ ...r, warnings: [] }, await kmeans(img, { k: 4, seed: 1 }), 'exact');
    await expectKMeansError(kmeans(img, { k: 4, sample: 50, histogram: true }), 'ERR_INVALID_OPTION', 'sample', 'histogram');
    await expectKMeansError(kmeans(img, { k: 8, spatialWeight: 1, sample: 5 }), 'ERR_INVALID_OPTION', 'sample', 'at least k');
    await expectKMeansError(kmeans(img, { k: 8, spatialWeight: 1, sample: -1 }), 'ERR_INVALID_OPTION', 'sample');
  });

  it('combines with k: auto, figures over every pixel', async () => {
    const img = noiseImage(40, 30, 4, 6);
    const r = await kmeans(img, { k: 'auto', target: { maxDeltaE: 20 }, maxK: 16, spatialWeight: 1, sample: 400, seed: 3 });
    expect(r.sample).toEqual({ size: 400, of: 1200 });
    const chosen = r.kSearch!.tried.find((t) => t.k === r.k)!;
    expect(r.kSearch!.met && chosen.met).toBe(true);
    expect(chosen.deltaE).toBeCloseTo(qualityOf(img, r).deltaE.mean, 9); // the full assignment's, not the sample's
  });
});
