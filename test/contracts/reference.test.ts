/**
 * Quality on real images against figures computed by implementations this project did not write
 * (../shared/reference/sklearn-kmeans.json: scikit-learn 1.2.1, and exact Lloyd loops in numpy).
 *
 * (a) From the reference's own initial centroids, kmeans must follow the reference Lloyd trajectory:
 *     the f64 one within the stated tolerances, and the f32 one (what a 128-bit SIMD kernel computes)
 *     essentially exactly.
 * (b) k-means++ with 10 restarts must end within 2 % above scikit-learn's best of 10 (below is fine).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { terminateWorkers } from '../../src/kernel/select.js';
import { kmeans } from '../../src/core/kmeans.js';
import type { RGBAImage } from '../../src/types.js';
import {
  HAVE_IMAGES, HAVE_REFERENCE, IMAGES_DIR, REFERENCE_PATH, countColours, loadRGBA, loadReference, rgbBytes, type Reference,
} from '../helpers.js';

const absent = [!HAVE_REFERENCE && REFERENCE_PATH, !HAVE_IMAGES && IMAGES_DIR].filter((p): p is string => Boolean(p));
const missing = absent.join(' and ');
if (missing) console.warn(`reference.test.ts: skipping every test: ${missing} ${absent.length > 1 ? 'are' : 'is'} missing (the read-only ../shared folder next to the repository)`);

const reference: Reference | undefined = HAVE_REFERENCE ? loadReference() : undefined;
const names = reference ? Object.keys(reference.images) : [];
const ks = reference ? reference.ks : [];

const images = new Map<string, RGBAImage>();
async function imageOf(name: string): Promise<RGBAImage> {
  let img = images.get(name);
  if (!img) { img = await loadRGBA(name); images.set(name, img); }
  return img;
}

function maxCentroidDifference(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number {
  expect(a).toHaveLength(b.length);
  let max = 0;
  a.forEach((c, j) => c.forEach((v, d) => { max = Math.max(max, Math.abs(v - b[j]![d]!)); }));
  return max;
}

describe.skipIf(Boolean(missing))(`quality against ${REFERENCE_PATH}${missing ? ` (skipped: ${missing} missing)` : ''}`, () => {
  beforeAll(async () => {
    for (const name of names) await imageOf(name);
    return () => terminateWorkers();
  });

  it('the reference covers the three shared images and K = 2 ... 64', () => {
    expect(names.sort()).toEqual(['astronaut.png', 'coffee.png', 'ponyo.jpeg']);
    expect(ks).toEqual([2, 4, 8, 16, 32, 64]);
  });

  describe('the decode is the reference\'s', () => {
    for (const name of names) {
      it(`${name}: size, distinct colours and rgb_sha256 match`, async () => {
        const ref = reference!.images[name]!;
        const img = await imageOf(name);
        expect([img.width, img.height]).toEqual([ref.width, ref.height]);
        expect(countColours(img)).toEqual({ opaque: ref.pixels, distinct: ref.distinct_colours });
        expect(createHash('sha256').update(rgbBytes(img)).digest('hex')).toBe(ref.rgb_sha256);
      });
    }
  });

  describe('(a) from the reference init, the Lloyd trajectory is the reference\'s', () => {
    for (const name of names) {
      for (const K of ks) {
        it(`${name}, K = ${K}`, async () => {
          const ref = reference!.images[name]!;
          const { init, lloyd_f64: f64, lloyd_f32: f32 } = ref.k[K]!;
          const r = await kmeans(await imageOf(name), { init, tolerance: 0, maxIterations: 300, backend: 'wasm' });
          expect(r.k).toBe(K);
          expect(r.converged).toBe(true);

          // The brief's tolerances against the exact f64 loop.
          expect(Math.abs(r.inertia - f64.inertia) / f64.inertia).toBeLessThan(1e-4);
          expect(Math.abs(r.iterations - f64.iterations)).toBeLessThanOrEqual(1);
          // f32 and f64 Lloyd part ways on one case here (coffee, K = 32: a point flips on a
          // near-tie, one pass more, centroids 5e-3 apart): the reference itself shows it. There
          // the centroids are held to the f32 loop, which is the arithmetic kmeans promises.
          const f32VsF64 = maxCentroidDifference(f32.centroids, f64.centroids);
          const target = f32VsF64 > 1e-3 ? f32 : f64;
          expect(maxCentroidDifference(r.centroids, target.centroids)).toBeLessThan(1e-3);

          // Tighter: the f32 loop exactly. Same pass count; centroids equal up to the reference's
          // 6 printed decimals; inertia below the f32 figure by the floor(d * 256) / 256 per pixel,
          // which loses less than 1/256 per pixel (half of it on average).
          expect(r.iterations).toBe(f32.iterations);
          expect(maxCentroidDifference(r.centroids, f32.centroids)).toBeLessThan(2e-6);
          const floorLoss = ref.pixels / 256;
          expect(r.inertia).toBeLessThanOrEqual(f32.inertia * (1 + 1e-7));
          expect(r.inertia).toBeGreaterThan(f32.inertia * (1 - 1e-7) - floorLoss);
        }, 30_000);
      }
    }
  });

  describe('(b) k-means++, attempts: 10, ends within 2 % above scikit-learn\'s best inertia', () => {
    for (const name of names) {
      for (const K of ks) {
        // k-means++ runs in TS over the distinct colours: ~10-15 s for 10 attempts at K = 64.
        it(`${name}, K = ${K}`, async () => {
          const best = reference!.images[name]!.k[K]!.sklearn_best_inertia;
          const r = await kmeans(await imageOf(name), { k: K, attempts: 10, seed: 1, backend: 'wasm' });
          expect(r.k).toBe(K);
          expect(r.attempt).toBeGreaterThanOrEqual(0);
          expect(r.attempt).toBeLessThan(10);
          expect(r.inertia / best, `inertia ${r.inertia} vs scikit-learn's ${best}`).toBeLessThanOrEqual(1.02);
          // A sanity floor: far below the best of 10 restarts of scikit-learn would be a miscount.
          expect(r.inertia / best).toBeGreaterThan(0.9);
        }, 120_000);
      }
    }
  });
});
