/**
 * Dithering: known answers on tiny images (a flat grey between two palette colours becomes an even
 * mix; the ordered pattern is the Bayer matrix's threshold), the palette left alone, transparent
 * pixels left out, the same bits on every backend and thread count, abort, and bad values.
 */
import { describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { applyPalette } from '../../src/palette/apply.js';
import { BAYER_8, ditherLabels, nearestIn, type DitherSettings } from '../../src/core/dither.js';
import { Random } from '../../src/core/random.js';
import type { RGBAImage } from '../../src/types.js';
import { expectKMeansError, image, noiseImage, type Pixel } from '../helpers.js';

const flat = (v: number, w: number, h: number): RGBAImage => image(Array.from({ length: w * h }, (): Pixel => [v, v, v]), w);
const FS: DitherSettings = { dither: 'floyd-steinberg', serpentine: true, ditherStrength: 1 };
const ORDERED: DitherSettings = { dither: 'ordered', serpentine: true, ditherStrength: 1 };

function dithered(img: RGBAImage, palette: number[][], settings: DitherSettings, space: 'rgb' | 'oklab' = 'rgb') {
  const labels = new Uint8Array(img.width * img.height);
  const counts = ditherLabels(img, labels, palette, space, settings)!;
  return { labels, counts };
}

describe('dithering: known answers', () => {
  it('Floyd-Steinberg turns a flat grey midway between two palette colours into a 50/50 mix', () => {
    const { counts, labels } = dithered(flat(128, 32, 32), [[100, 100, 100], [156, 156, 156]], FS);
    expect(counts[0]! + counts[1]!).toBe(1024);
    expect(Math.abs(counts[0]! - 512)).toBeLessThanOrEqual(8);
    // The mean of the output is the grey: error diffusion keeps the local average.
    const mean = Array.from(labels).reduce((s, l) => s + (l === 0 ? 100 : 156), 0) / 1024;
    expect(Math.abs(mean - 128)).toBeLessThan(0.5);
    // Not a trivial split into two halves: both colours in every row.
    for (let y = 0; y < 32; y++) expect(new Set(labels.subarray(y * 32, y * 32 + 32)).size).toBe(2);
  });

  it('Floyd-Steinberg matches a grey a quarter of the way from black to white with a quarter of white', () => {
    const { counts } = dithered(flat(64, 64, 64), [[0, 0, 0], [255, 255, 255]], FS);
    expect(Math.abs(counts[1]! / 4096 - 64 / 255)).toBeLessThan(0.01);
  });

  it('ditherStrength 0 maps each pixel to its nearest colour, ties to the lower index', () => {
    for (const settings of [{ ...FS, ditherStrength: 0 }, { ...ORDERED, ditherStrength: 0 }]) {
      const { counts } = dithered(flat(128, 8, 8), [[100, 100, 100], [156, 156, 156]], settings);
      expect(Array.from(counts)).toEqual([64, 0]);
    }
  });

  it("ordered dithering's pattern is the Bayer matrix: a quarter grey lights the cells 48-63, a half grey 32-63", () => {
    expect([...BAYER_8.slice(0, 8)]).toEqual([0, 32, 8, 40, 2, 34, 10, 42]);
    expect([...BAYER_8.slice(8, 16)]).toEqual([48, 16, 56, 24, 50, 18, 58, 26]);
    expect(new Set(BAYER_8).size).toBe(64);
    const bw = [[0, 0, 0], [255, 255, 255]];
    const quarter = dithered(flat(64, 16, 16), bw, ORDERED).labels;
    const half = dithered(flat(128, 16, 16), bw, ORDERED).labels;
    for (let p = 0; p < 256; p++) {
      const m = BAYER_8[((p >> 4) & 7) * 8 + (p & 7)]!;
      expect(quarter[p], `pixel ${p}`).toBe(m >= 48 ? 1 : 0);
      expect(half[p], `pixel ${p}`).toBe(m >= 32 ? 1 : 0);
    }
  });

  it('serpentine changes the order, not the balance', () => {
    const img = flat(90, 24, 24), palette = [[0, 0, 0], [255, 255, 255]];
    const a = dithered(img, palette, FS), b = dithered(img, palette, { ...FS, serpentine: false });
    expect(Array.from(a.labels)).not.toEqual(Array.from(b.labels));
    expect(Math.abs(a.counts[1]! - b.counts[1]!)).toBeLessThanOrEqual(6);
  });

  it('pixels that take no part (label k) keep label k and pass no error on', () => {
    const px: Pixel[] = Array.from({ length: 16 }, (_, i): Pixel => (i % 4 === 1 ? [0, 0, 0, 0] : [128, 128, 128]));
    const img = image(px, 4);
    const labels = new Uint8Array(16);
    px.forEach((p, i) => { if (p[3] === 0) labels[i] = 2; });
    const counts = ditherLabels(img, labels, [[100, 100, 100], [156, 156, 156]], 'rgb', FS)!;
    for (let i = 0; i < 16; i++) if (i % 4 === 1) expect(labels[i]).toBe(2);
    expect(counts[0]! + counts[1]!).toBe(12);
  });

  it('an aborted signal stops it with ERR_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expectKMeansError(Promise.resolve().then(() => dithered(flat(1, 4, 4), [[0, 0, 0], [9, 9, 9]], { ...FS, signal: controller.signal })), 'ERR_ABORTED', 'dithering');
  });
});

describe('the nearest palette colour', () => {
  /** The specification: a full scan, float64 squared distances, ties to the lower index. */
  function fullScan(t: Float32Array, x: number, y: number, z: number): number {
    let best = 0, bestD = Infinity;
    for (let j = 0; j < t.length / 3; j++) {
      const d = (x - t[j * 3]!) ** 2 + (y - t[j * 3 + 1]!) ** 2 + (z - t[j * 3 + 2]!) ** 2;
      if (d < bestD) { bestD = d; best = j; }
    }
    return best;
  }

  it('the pruned search gives the full scan\'s answer whatever the anchor, duplicates and ties included', () => {
    const rng = new Random(7);
    for (let round = 0; round < 40; round++) {
      const k = round === 0 ? 600 : 1 + Math.floor(rng.nextFloat() * 40); // 600: above the pruned search's table
      // Coarse values make duplicate colours and exact ties common.
      const t = Float32Array.from({ length: k * 3 }, () => Math.floor(rng.nextFloat() * 6) * 51);
      const nearest = nearestIn(t);
      for (let i = 0; i < 400; i++) {
        const x = Math.floor(rng.nextFloat() * 12) * 25.5 - 20, y = Math.floor(rng.nextFloat() * 12) * 25.5 - 20, z = rng.nextFloat() * 300 - 20;
        const anchor = Math.floor(rng.nextFloat() * (k + 1)); // k: no anchor
        expect(nearest(x, y, z, anchor), `k ${k}, (${x}, ${y}, ${z}), anchor ${anchor}`).toBe(fullScan(t, x, y, z));
      }
    }
  });
});

describe('dithering in kmeans', () => {
  const photo = noiseImage(96, 64, 3, 6);

  it('keeps the palette and changes only the mapping; the counts are those of the dithered labels', async () => {
    const plain = await kmeans(photo, { k: 6, seed: 1 });
    for (const dither of ['floyd-steinberg', 'ordered'] as const) {
      const d = await kmeans(photo, { k: 6, seed: 1, dither });
      expect(d.centroids).toEqual(plain.centroids);
      expect(d.palette.map((p) => p.hex)).toEqual(plain.palette.map((p) => p.hex));
      expect(Array.from(d.labels)).not.toEqual(Array.from(plain.labels));
      const counts = new Array(6).fill(0);
      for (const l of d.labels) counts[l]++;
      expect(d.palette.map((p) => p.count)).toEqual(counts);
    }
  });

  it('gives the same bits on js and wasm, on 1 and 2 threads, in every colour space', async () => {
    const big = noiseImage(256, 256, 11); // n x k >= 2^18: two threads really split the passes
    for (const colorSpace of ['rgb', 'oklab'] as const) {
      for (const dither of ['floyd-steinberg', 'ordered'] as const) {
        const opts = { k: 8, seed: 4, maxIterations: 3, colorSpace, dither, ditherStrength: 0.75 };
        const js = await kmeans(big, { ...opts, backend: 'js' });
        for (const threads of [1, 2]) {
          const wasm = await kmeans(big, { ...opts, backend: 'wasm', threads });
          expect(Buffer.from(wasm.labels.buffer).equals(Buffer.from(js.labels.buffer)), `${colorSpace} ${dither} ${threads}`).toBe(true);
          expect(wasm.palette).toEqual(js.palette);
        }
      }
    }
  }, 60_000);

  it('applyPalette with the run\'s palette and the same dithering gives the run\'s labels', async () => {
    for (const colorSpace of ['rgb', 'lab'] as const) {
      const opts = { dither: 'floyd-steinberg', serpentine: false, ditherStrength: 0.9 } as const;
      const run = await kmeans(photo, { k: 5, seed: 3, colorSpace, ...opts });
      const applied = await applyPalette(photo, run, { ...opts, worker: false });
      expect(Array.from(applied.labels)).toEqual(Array.from(run.labels));
      expect(applied.palette.map((p) => p.count)).toEqual(run.palette.map((p) => p.count));
      const flat = await applyPalette(photo, run, { worker: false });
      expect(Array.from(flat.labels)).not.toEqual(Array.from(run.labels));
    }
  });

  it('with positions (spatialWeight), maps by the colour part of the centroids', async () => {
    const opts = { k: 4, seed: 2, spatialWeight: 1, dither: 'ordered', maxIterations: 5 } as const;
    const [js, wasm] = await Promise.all([kmeans(photo, { ...opts, backend: 'js' }), kmeans(photo, { ...opts, backend: 'wasm' })]);
    expect(Array.from(wasm.labels)).toEqual(Array.from(js.labels));
    const palette = js.palette.map((p) => p.rgb);
    const labels = new Uint8Array(photo.width * photo.height);
    ditherLabels(photo, labels, palette, 'rgb', { dither: 'ordered', serpentine: true, ditherStrength: 1 });
    expect(Array.from(js.labels)).toEqual(Array.from(labels));
  });

  it('leaves transparent pixels with label k', async () => {
    const img = noiseImage(32, 32, 5, 4, 3);
    const d = await kmeans(img, { k: 4, dither: 'floyd-steinberg' });
    for (let p = 0; p < 1024; p++) if (img.data[p * 4 + 3] === 0) expect(d.labels[p]).toBe(d.k);
  });

  it('refuses bad values, naming them', async () => {
    const img = flat(9, 4, 4);
    await expectKMeansError(kmeans(img, { dither: 'fs' as never }), 'ERR_INVALID_OPTION', 'dither', "'floyd-steinberg'");
    await expectKMeansError(kmeans(img, { ditherStrength: 1.5 }), 'ERR_INVALID_OPTION', 'ditherStrength', '1.5');
    await expectKMeansError(kmeans(img, { ditherStrength: -0.1 }), 'ERR_INVALID_OPTION', 'ditherStrength');
    await expectKMeansError(kmeans(img, { serpentine: 'yes' as never }), 'ERR_INVALID_OPTION', 'serpentine');
    await expectKMeansError(kmeans(img, { dither: 'ordered', minRegion: 20 }), 'ERR_INVALID_OPTION', 'dither', 'minRegion');
  });
});
