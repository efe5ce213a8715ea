/**
 * PSNR and ΔE (OKLab x 100) against known answers: identical images, uniform perturbations whose MSE
 * is known in closed form, the nearest-rank 95th percentile, and transparent pixels left out.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { terminateWorkers } from '../../src/kernel/select.js';
import { fromSrgb } from '../../src/core/colorspace.js';
import { kmeans } from '../../src/core/kmeans.js';
import { offerColours, takeColours, wantColours } from '../../src/core/colour-labels.js';
import { compareImages, qualityOf, qualityOfColours } from '../../src/core/quality.js';
import type { RGBAImage } from '../../src/types.js';
import { expectKMeansError, image, noiseImage } from '../helpers.js';

afterAll(async () => { await terminateWorkers(); });

const copy = (img: RGBAImage): RGBAImage => ({ ...img, data: Uint8Array.from(img.data) });

/** A noise image whose channels stay in 0-250, so adding up to 5 never clips. */
function unclipped(width: number, height: number, seed: number): RGBAImage {
  const img = noiseImage(width, height, seed, 51); // levels 0, 5.1, ... rounded: at most 255
  for (let i = 0; i < img.data.length; i++) if (i % 4 !== 3) img.data[i] = Math.min(img.data[i]!, 250);
  return img;
}

describe('PSNR', () => {
  it('is Infinity, with MSE and every ΔE 0, for an identical image', () => {
    const a = noiseImage(17, 9, 1);
    const q = compareImages(a, copy(a));
    expect(q).toEqual({ psnr: Infinity, mse: 0, deltaE: { mean: 0, p95: 0, max: 0 }, pixels: 17 * 9 });
  });

  it('is 10 log10(3 * 255² / d²) when one channel of every pixel is off by d', () => {
    const a = unclipped(20, 10, 2);
    for (const d of [1, 3, 5]) {
      const b = copy(a);
      for (let p = 0; p < 200; p++) b.data[p * 4 + 1] += d;
      const q = compareImages(a, b);
      expect(q.mse).toBe((d * d) / 3);
      expect(q.psnr).toBeCloseTo(10 * Math.log10((3 * 255 * 255) / (d * d)), 12);
    }
  });

  it('is 20 log10(255 / d) when every channel of every pixel is off by ±d', () => {
    const a = unclipped(16, 16, 3);
    for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) a.data[i] = Math.max(4, a.data[i]!);
    const b = copy(a);
    for (let i = 0; i < b.data.length; i++) if (i % 4 !== 3) b.data[i] += (i & 1) ? 4 : -4;
    expect(compareImages(a, b).psnr).toBeCloseTo(20 * Math.log10(255 / 4), 12);
  });

  it('leaves fully transparent pixels of the original out, however different', () => {
    const a = unclipped(10, 10, 4);
    const b = copy(a);
    for (let p = 0; p < 100; p++) b.data[p * 4] += 2;
    const before = compareImages(a, b);
    const aT = copy(a), bT = copy(b);
    for (let p = 0; p < 30; p++) { aT.data[p * 4 + 3] = 0; bT.data[p * 4] = 255 - aT.data[p * 4]!; }
    const after = compareImages(aT, bT);
    expect(after.pixels).toBe(70);
    expect(after.psnr).toBeCloseTo(before.psnr, 12);
  });
});

describe('ΔE in OKLab x 100', () => {
  it('white against black is the lightness range, 100 (standard ΔEOK 1)', () => {
    const q = compareImages(image([[255, 255, 255]]), image([[0, 0, 0]]));
    expect(q.deltaE.mean).toBeCloseTo(100, 5);
  });

  it('is the Euclidean distance of the two colours in fromSrgb("oklab")', () => {
    const [c1, c2] = [[200, 40, 90], [190, 60, 80]] as const;
    const expected = Math.hypot(...fromSrgb('oklab', ...c1).map((v, i) => v - fromSrgb('oklab', ...c2)[i]!));
    const q = compareImages(image([c1, c1]), image([c2, c1]));
    expect(q.deltaE.max).toBeCloseTo(expected, 10);
    expect(q.deltaE.mean).toBeCloseTo(expected / 2, 10);
  });

  it('p95 is the nearest-rank percentile: 5 of 100 pixels off leave it 0, 6 do not', () => {
    const grey = Array.from({ length: 100 }, () => [128, 128, 128] as const);
    const off = (n: number): RGBAImage => image(grey.map((c, i) => (i < n ? [138, 128, 128] as const : c)), 10);
    expect(compareImages(image(grey, 10), off(5)).deltaE.p95).toBe(0);
    const six = compareImages(image(grey, 10), off(6));
    expect(six.deltaE.p95).toBeGreaterThan(0);
    expect(six.deltaE.p95).toBe(six.deltaE.max);
    expect(six.deltaE.mean).toBeCloseTo(six.deltaE.max * 0.06, 12);
  });
});

describe('qualityOf(original, result)', () => {
  it('equals comparing the original with result.toRGBA(), in every colour space', async () => {
    const img = noiseImage(24, 16, 5, 6);
    for (const colorSpace of ['rgb', 'oklab'] as const) {
      const result = await kmeans(img, { k: 5, seed: 1, colorSpace, backend: 'js' });
      const q = qualityOf(img, result);
      const direct = compareImages(img, { data: result.toRGBA(), width: 24, height: 16 });
      // qualityOf sums over distinct colours, compareImages over pixels: only the mean's rounding differs.
      expect({ ...q, deltaE: { ...q.deltaE, mean: 0 } }).toEqual({ ...direct, deltaE: { ...direct.deltaE, mean: 0 } });
      expect(q.deltaE.mean).toBeCloseTo(direct.deltaE.mean, 10);
      expect(q.psnr).toBeGreaterThan(5);
      expect(q.psnr).toBeLessThan(Infinity);
    }
  });

  it('is perfect when K covers every distinct colour', async () => {
    const img = image([[10, 20, 30], [10, 20, 30], [200, 100, 0], [0, 0, 255, 0]], 2);
    const q = qualityOf(img, await kmeans(img, { k: 2, backend: 'js' }));
    expect(q.psnr).toBe(Infinity);
    expect(q.deltaE.max).toBe(0);
    expect(q.pixels).toBe(3);
  });

  it('refuses a result of another size', async () => {
    const img = noiseImage(8, 8, 6);
    const result = await kmeans(noiseImage(8, 4, 6), { k: 2, backend: 'js' });
    await expectKMeansError(Promise.resolve().then(() => qualityOf(img, result)), 'ERR_INVALID_IMAGE', '8 x 4', '8 x 8');
  });
});

describe('figures over the distinct colours', () => {
  /** Noise with some pixels at alpha 0, 1, 128 and 254: only alpha 0 is left out. */
  function translucent(width: number, height: number, seed: number, levels: number): RGBAImage {
    const img = noiseImage(width, height, seed, levels);
    for (let p = 0; p < width * height; p += 5) img.data[p * 4 + 3] = [0, 1, 128, 254][(p / 5) % 4]!;
    return img;
  }

  it('give the per-pixel PSNR, MSE, p95 and maximum exactly, and the mean within 1e-12, on many images', async () => {
    let cases = 0;
    for (let seed = 1; seed <= 12; seed++) {
      for (const [levels, k] of [[256, 7], [12, 3], [5, 16]] as const) {
        const img = seed % 2 ? translucent(37, 23, seed, levels) : noiseImage(37, 23, seed, levels);
        const result = await kmeans(img, { k, seed, backend: 'js', maxIterations: 5 });
        const q = qualityOf(img, result);
        const direct = compareImages(img, { data: result.toRGBA(), width: 37, height: 23 });
        expect({ ...q, deltaE: { ...q.deltaE, mean: 0 } }).toEqual({ ...direct, deltaE: { ...direct.deltaE, mean: 0 } });
        expect(Math.abs(q.deltaE.mean - direct.deltaE.mean)).toBeLessThanOrEqual(1e-12 * direct.deltaE.mean);
        cases++;
      }
    }
    expect(cases).toBe(36);
  });

  it('qualityOfColours takes counts as weights: the nearest rank falls where the weights say', () => {
    const palette = [{ rgb: [128, 128, 128] as [number, number, number], hex: '#808080', count: 100, share: 1 }];
    const colours = (off: number) => ({
      keys: Uint32Array.from([128 | (128 << 8) | (128 << 16), 138 | (128 << 8) | (128 << 16)]),
      counts: Uint32Array.from([100 - off, off]), labels: Uint16Array.from([0, 0]), n: 2,
    });
    expect(qualityOfColours({ palette }, colours(5)).deltaE.p95).toBe(0);
    const six = qualityOfColours({ palette }, colours(6));
    const perPixel = compareImages(image(Array.from({ length: 100 }, () => [128, 128, 128] as const), 10),
      image(Array.from({ length: 100 }, (_, i) => (i < 6 ? [138, 128, 128] as const : [128, 128, 128] as const)), 10));
    expect(six).toEqual(perPixel);
  });

  it('fall back to per-pixel figures when the labels are not a function of the colours (a result of another image)', async () => {
    const a = noiseImage(20, 10, 1, 4), b = noiseImage(20, 10, 2, 4);
    const result = await kmeans(a, { k: 3, backend: 'js' });
    const q = qualityOf(b, result);
    expect(q).toEqual(compareImages(b, { data: result.toRGBA(), width: 20, height: 10 }));
  });

  it('are kept for a run only when wanted, and handed over once', async () => {
    const img = noiseImage(9, 9, 3, 6);
    const result = await kmeans(img, { k: 3, backend: 'js' });
    const colours = { keys: new Uint32Array(1), counts: new Uint32Array(1), labels: new Uint16Array(1), n: 1 };
    offerColours(img, result.labels, colours);
    expect(takeColours(result.labels)).toBeUndefined();
    wantColours(img);
    offerColours(img, result.labels, colours);
    expect(takeColours(result.labels)).toBe(colours);
    expect(takeColours(result.labels)).toBeUndefined();
  });
});
