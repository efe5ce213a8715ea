/**
 * A region of interest: known answers on tiny images (a mask that excludes a colour leaves it out
 * of the palette), what the output shows outside ('keep', 'transparent'), the mask forms and the
 * 128 threshold, the quality figures over the inside, the same bits on every backend and thread
 * count, and the errors (size mismatch naming both sizes, an empty inside, a path in the core).
 */
import { describe, expect, it } from 'vitest';
import { kmeans } from '../../src/core/kmeans.js';
import { applyPalette } from '../../src/palette/apply.js';
import { paintOver } from '../../src/core/paint.js';
import { qualityOf } from '../../src/core/quality.js';
import { insideBits, roiQualityImage, roiRun } from '../../src/core/roi.js';
import type { RoiPixels } from '../../src/core/roi-dither-options.js';
import type { RGBAImage } from '../../src/types.js';
import { expectKMeansError, image, noiseImage, type Pixel } from '../helpers.js';

const R: Pixel = [220, 20, 20], G: Pixel = [20, 200, 40], B: Pixel = [20, 30, 230];

/** 12 x 4: columns 0-3 red, 4-7 green, 8-11 blue. */
const STRIPES = image(Array.from({ length: 48 }, (_, p) => [R, G, B][Math.floor((p % 12) / 4)]!), 12);
/** A grey mask of `img`'s size: 255 where `inside(x, y)`, else 0. */
function greyMask(img: RGBAImage, inside: (x: number, y: number) => boolean): RoiPixels {
  const data = new Uint8Array(img.width * img.height);
  for (let p = 0; p < data.length; p++) data[p] = inside(p % img.width, Math.floor(p / img.width)) ? 255 : 0;
  return { data, width: img.width, height: img.height };
}
const NO_BLUE = greyMask(STRIPES, (x) => x < 8);

describe('roi: known answers', () => {
  it('a mask that excludes a colour: that colour is absent from the palette, its pixels get label k', async () => {
    const r = await kmeans(STRIPES, { k: 3, roi: NO_BLUE });
    expect(r.k).toBe(2); // two colours inside: k reduced, with a warning
    expect(r.palette.map((p) => p.rgb).sort()).toEqual([[...G], [...R]].sort());
    expect(r.palette.reduce((s, p) => s + p.count, 0)).toBe(32);
    for (let p = 0; p < 48; p++) expect(r.labels[p]).toBe(p % 12 >= 8 ? r.k : r.palette.findIndex((e) => e.rgb[0] === (p % 12 < 4 ? R : G)[0]));
    // Without the roi, blue is there.
    expect((await kmeans(STRIPES, { k: 3 })).palette.some((p) => p.rgb[2] === B[2])).toBe(true);
  });

  it("'keep' shows the input's pixels outside, opaque when the input is", async () => {
    const r = await kmeans(STRIPES, { k: 2, roi: NO_BLUE });
    expect(r.hasAlpha).toBe(false);
    const rgba = r.toRGBA(), rgb = r.toRGB();
    for (let p = 0; p < 48; p++) {
      if (p % 12 < 8) continue;
      expect(Array.from(rgba.subarray(p * 4, p * 4 + 4))).toEqual([...B, 255]);
      expect(Array.from(rgb.subarray(p * 3, p * 3 + 3))).toEqual([...B]);
    }
    // paintOver (what the file writers use) paints them back too, over the decoded pixels.
    const painted = paintOver(r, new Uint8Array(STRIPES.data));
    expect(Array.from(painted.subarray(0, 48 * 3))).toEqual(Array.from(rgb));
  });

  it("'transparent' leaves alpha 0 outside", async () => {
    const r = await kmeans(STRIPES, { k: 2, roi: NO_BLUE, roiOutside: 'transparent' });
    expect(r.hasAlpha).toBe(true);
    const rgba = r.toRGBA();
    for (let p = 0; p < 48; p++) expect(rgba[p * 4 + 3]).toBe(p % 12 >= 8 ? 0 : 255);
    const painted = paintOver(r, new Uint8Array(STRIPES.data));
    expect(Array.from(painted)).toEqual(Array.from(rgba));
  });

  it('a transparent input pixel outside stays transparent with keep', async () => {
    const img = image([R, G, [1, 2, 3, 0], [9, 9, 9, 100]], 4);
    const r = await kmeans(img, { k: 2, roi: greyMask(img, (x) => x < 2) });
    expect(r.hasAlpha).toBe(true);
    expect(Array.from(r.toRGBA().subarray(8))).toEqual([1, 2, 3, 0, 9, 9, 9, 100]);
  });

  it('quality figures over the inside pixels only', async () => {
    const r = await kmeans(STRIPES, { k: 2, roi: NO_BLUE });
    const q = qualityOf(roiQualityImage(STRIPES, NO_BLUE), r);
    expect(q.pixels).toBe(32);
    expect(q.psnr).toBe(Infinity);
  });
});

describe('roi in applyPalette', () => {
  it('assigns only the inside, label k outside, painted as the run paints it, on this thread and on the job worker', async () => {
    const palette = [{ rgb: [220, 20, 20] }, { rgb: [20, 200, 40] }, { rgb: [20, 30, 230] }] as const;
    for (const roiOutside of ['keep', 'transparent'] as const) {
      for (const worker of [false, true]) {
        const r = await applyPalette(STRIPES, { palette: palette.map((p) => ({ rgb: [...p.rgb] as [number, number, number] })) }, { roi: NO_BLUE, roiOutside, worker });
        expect(r.palette.map((p) => p.count), `${roiOutside} ${worker}`).toEqual([16, 16, 0]);
        const rgba = r.toRGBA();
        for (let p = 0; p < 48; p++) {
          if (p % 12 < 8) continue;
          expect(r.labels[p]).toBe(3);
          expect(Array.from(rgba.subarray(p * 4, p * 4 + 4))).toEqual(roiOutside === 'keep' ? [...B, 255] : [0, 0, 0, 0]);
        }
      }
    }
  });
});

describe('roi: mask forms', () => {
  const px = (bytes: number[], per: number): RoiPixels => ({ data: Uint8Array.from(bytes), width: bytes.length / per, height: 1 });
  const inside = (m: RoiPixels) => { const { bits } = insideBits(m); return Array.from({ length: m.width }, (_, p) => (bits[p >> 3]! >> (p & 7)) & 1); };

  it('grey: >= 128 is inside', () => {
    expect(inside(px([0, 127, 128, 255], 1))).toEqual([0, 0, 1, 1]);
  });
  it('alpha, when some alpha is below 255: >= 128 is inside, whatever the grey', () => {
    expect(inside(px([255, 0, 0, 127, 0, 128, 255, 255], 2))).toEqual([0, 0, 1, 1]);
    expect(inside(px([0, 0, 0, 255, 255, 255, 255, 127], 4))).toEqual([1, 0]);
  });
  it('an opaque RGBA mask: the grey (mean of r, g, b) decides', () => {
    expect(inside(px([0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255, 127, 127, 127, 255], 4))).toEqual([0, 1, 1, 0]);
  });
});

describe('roi: determinism and errors', () => {
  it('gives the same bits on js and wasm, on 1 and 2 threads (histogram and pixel paths)', async () => {
    const img = noiseImage(256, 256, 8);
    const roi = greyMask(img, (x, y) => (x - 128) ** 2 + (y - 128) ** 2 < 100 ** 2);
    for (const extra of [{}, { histogram: false as const }]) {
      const opts = { k: 8, seed: 2, maxIterations: 4, roi, ...extra };
      const js = await kmeans(img, { ...opts, backend: 'js' });
      for (const threads of [1, 2]) {
        const wasm = await kmeans(img, { ...opts, backend: 'wasm', threads });
        expect(Buffer.from(wasm.labels.buffer).equals(Buffer.from(js.labels.buffer))).toBe(true);
        expect(wasm.centroids).toEqual(js.centroids);
        expect(Buffer.from(wasm.toRGBA()).equals(Buffer.from(js.toRGBA()))).toBe(true);
      }
    }
  }, 60_000);

  it('with dithering, outside pixels keep label k', async () => {
    const r = await kmeans(STRIPES, { k: 2, roi: NO_BLUE, dither: 'floyd-steinberg' });
    for (let p = 0; p < 48; p++) if (p % 12 >= 8) expect(r.labels[p]).toBe(r.k);
  });

  it('an aborted signal stops it with ERR_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectKMeansError(Promise.resolve().then(() => roiRun(STRIPES, NO_BLUE, 'keep', controller.signal)), 'ERR_ABORTED', 'roi');
  });

  it('a mask of another size: an error naming both sizes', async () => {
    await expectKMeansError(kmeans(STRIPES, { roi: { data: new Uint8Array(6), width: 3, height: 2 } }), 'ERR_INVALID_OPTION', '3 x 2', '12 x 4');
  });
  it('a mask with nothing inside', async () => {
    await expectKMeansError(kmeans(STRIPES, { roi: greyMask(STRIPES, () => false) }), 'ERR_INVALID_OPTION', 'no pixel inside');
  });
  it('a path or bytes in the core: an error pointing at segment()', async () => {
    await expectKMeansError(kmeans(STRIPES, { roi: 'mask.png' }), 'ERR_INVALID_OPTION', 'roi', 'segment()');
  });
  it('bad shapes, named', async () => {
    await expectKMeansError(kmeans(STRIPES, { roi: { data: new Uint8Array(5), width: 12, height: 4 } }), 'ERR_INVALID_OPTION', 'roi.data', '48');
    await expectKMeansError(kmeans(STRIPES, { roi: { data: [1, 2] as never, width: 2, height: 1 } }), 'ERR_INVALID_OPTION', 'roi.data');
    await expectKMeansError(kmeans(STRIPES, { roi: 42 as never }), 'ERR_INVALID_OPTION', 'roi');
    await expectKMeansError(kmeans(STRIPES, { roiOutside: 'hide' as never }), 'ERR_INVALID_OPTION', 'roiOutside', "'keep'");
  });
});
