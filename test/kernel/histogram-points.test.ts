/**
 * The histogram's points from the wasm engine (rgbPlanes, four colours a SIMD step) against the TS
 * loop of core/points.ts: the very same f32 bits in every colour space, on random images of odd
 * sizes (so every tail of the four-colour step), with transparent and translucent pixels, and on a
 * picture of more colours than one chunk of the engine's loop.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildHistogram } from '../../src/core/histogram.js';
import { histogramPoints } from '../../src/core/points.js';
import type { ColorSpace } from '../../src/core/colorspace.js';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import type { RGBAImage } from '../../src/types.js';
import { levelsImage } from '../helpers.js';

vi.setConfig({ testTimeout: 120_000 });
afterAll(async () => { await terminateWorkers(); });

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

async function expectSamePoints(img: RGBAImage, spaces: ColorSpace[]): Promise<void> {
  const { kernel } = await getKernel('wasm', 1);
  const engine = kernel.histogramEngine?.(1) ?? null;
  expect(engine?.rgbPlanes, 'the wasm engine has rgbPlanes').toBeTypeOf('function');
  const pixels = img.width * img.height;
  for (const space of spaces) {
    const ts = buildHistogram(img.data, pixels, null);
    const want = histogramPoints(ts, space);
    ts.release();
    const h = buildHistogram(img.data, pixels, engine);
    try {
      const got = histogramPoints(h, space);
      expect(got.n).toBe(want.n);
      for (const q of ['x', 'y', 'z'] as const) expect(bits(got[q]), `${space} ${q}`).toEqual(bits(want[q]));
      expect(got.w).toEqual(want.w);
    } finally {
      h.release();
    }
  }
}

describe('the histogram points from the wasm engine', () => {
  it('match the TS loop bit for bit: random images, odd sizes, holes, every colour space', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 97 }), fc.integer({ min: 1, max: 61 }), fc.integer({ min: 0, max: 2 ** 31 }),
      fc.constantFrom(1, 3, 64, 256), fc.constantFrom(0, 5, 990),
      async (w, h, seed, levels, holes) => {
        const img = levelsImage(w, h, seed, levels, holes, true);
        if (img.data.every((v, i) => i % 4 !== 3 || v === 0)) return;
        await expectSamePoints(img, ['rgb', 'linear-rgb', 'lab', 'oklab']);
      },
    ), { numRuns: 40, seed: 21 });
  });

  it('match over more colours than one chunk of the engine loop (a 640 x 480 noise image)', async () => {
    await expectSamePoints(levelsImage(640, 480, 77, 256, 3, true), ['rgb']);
  });
});
