/**
 * Invalid input tables: every bad option or image is a KMeansSegError with a stable code, whose
 * message names the option and shows the value received (sharp's "Expected X for NAME but received
 * Y" idea). The value must be rendered unambiguously: "abc" quoted, NaN and Infinity spelled out.
 */
import { describe, expect, it } from 'vitest';
import { KMeansSegError } from '../../src/errors.js';
import { kmeans } from '../../src/core/kmeans.js';
import { defaultOptions, resolveOptions, type KMeansOptions } from '../../src/core/options.js';
import type { RGBAImage } from '../../src/types.js';
import { expectKMeansError, image } from '../helpers.js';
import { MAX_K } from '../../src/limits.js';

const img = image([[1, 2, 3], [200, 100, 50], [9, 9, 9], [0, 0, 0]], 2);

/** [option object, the option's name as the message must give it, the value as the message must show it] */
const badOptions: [Record<string, unknown>, string, string][] = [
  [{ k: 0 }, 'k', '0'],
  [{ k: -1 }, 'k', '-1'],
  [{ k: 2.5 }, 'k', '2.5'],
  [{ k: NaN }, 'k', 'NaN'],
  [{ k: Infinity }, 'k', 'Infinity'],
  [{ k: 'abc' }, 'k', '"abc"'],
  [{ k: '8' }, 'k', '"8"'],
  [{ k: 70000 }, 'k', '70000'],
  [{ k: MAX_K + 1 }, 'k', String(MAX_K + 1)],
  [{ k: null }, 'k', 'null'],
  [{ seed: -1 }, 'seed', '-1'],
  [{ seed: 2 ** 32 }, 'seed', String(2 ** 32)],
  [{ seed: 0.5 }, 'seed', '0.5'],
  [{ tolerance: -1 }, 'tolerance', '-1'],
  [{ tolerance: NaN }, 'tolerance', 'NaN'],
  [{ tolerance: Infinity }, 'tolerance', 'Infinity'],
  [{ tolerance: '0.1' }, 'tolerance', '"0.1"'],
  [{ maxIterations: 0 }, 'maxIterations', '0'],
  [{ maxIterations: 1.5 }, 'maxIterations', '1.5'],
  [{ maxIterations: -3 }, 'maxIterations', '-3'],
  [{ attempts: 0 }, 'attempts', '0'],
  [{ attempts: 2.5 }, 'attempts', '2.5'],
  [{ backend: 'gpu' }, 'backend', '"gpu"'],
  [{ backend: 'WASM' }, 'backend', '"WASM"'],
  [{ histogram: 'yes' }, 'histogram', '"yes"'],
  [{ histogram: 1 }, 'histogram', '1'],
  [{ init: 'foo' }, 'init', '"foo"'],
  [{ init: 'kmeans' }, 'init', '"kmeans"'],
  [{ init: 3 }, 'init', '3'],
  // A short array is shown, so the bad element is named (it used to say "an array of length 3").
  [{ init: [] }, 'init', '[]'],
  [{ init: [[1, 2]] }, 'init[0]', '[1, 2]'],
  [{ init: [[1, 2, 3], [4, 5, 6, 7]] }, 'init[1]', '[4, 5, 6, 7]'],
  [{ init: [[1, 2, 3], 'red'] }, 'init[1]', '"red"'],
  [{ init: [[1, 2, NaN]] }, 'init[0]', '[1, 2, NaN]'],
  [{ init: [[1, 2, Infinity]] }, 'init[0]', '[1, 2, Infinity]'],
  [{ init: [[1, '2', 3]] }, 'init[0]', '[1, "2", 3]'],
  // k given alongside init centroids must agree with their number.
  [{ k: 3, init: [[0, 0, 0], [9, 9, 9]] }, 'k', '3'],
  [{ threads: 0 }, 'threads', '0'],
  [{ threads: 33 }, 'threads', '33'],
  [{ colorSpace: 'hsv' }, 'colorSpace', '"hsv"'],
  [{ onProgress: 'log' }, 'onProgress', '"log"'],
  [{ signal: {} }, 'signal', 'a value of type object'],
  [{ spatialWeight: -1 }, 'spatialWeight', '-1'],
  [{ spatialWeight: NaN }, 'spatialWeight', 'NaN'],
  [{ spatialWeight: '1' }, 'spatialWeight', '"1"'],
  // Positions make every pixel distinct: no histogram, and no given centroids (they have no position).
  [{ spatialWeight: 1, histogram: true }, 'histogram', 'true'],
  [{ spatialWeight: 1, init: [[0, 0, 0]] }, 'init', '"1 centroids"'],
];

describe('bad options: ERR_INVALID_OPTION naming the option and the value', () => {
  for (const [options, name, shown] of badOptions) {
    const label = JSON.stringify(options, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
    it(`${label} -> names ${name} and ${shown}`, async () => {
      const e = await expectKMeansError(kmeans(img, options as KMeansOptions), 'ERR_INVALID_OPTION');
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe('KMeansSegError');
      // The name as a whole word (k must not be matched inside "kmeans"), then the value.
      const escaped = name.replace(/[[\]]/g, '\\$&');
      expect(e.message).toMatch(new RegExp(`(^|[^\\w.])${escaped}([^\\w[]|$)`));
      expect(e.message).toContain(`received ${shown}`);
    });
  }

  it('the same table fails in resolveOptions itself, before any image or kernel is touched', () => {
    for (const [options] of badOptions) {
      expect(() => resolveOptions(options as KMeansOptions), JSON.stringify(options)).toThrow(KMeansSegError);
    }
  });

  it('an invalid option is reported even when the image is invalid too (options are checked first)', async () => {
    const bad = { data: new Uint8Array(3), width: 1, height: 1 };
    await expectKMeansError(kmeans(bad, { k: 0 }), 'ERR_INVALID_OPTION', 'k');
  });

  it('options that are not an object', async () => {
    for (const options of [5, 'k=8', [8], null, true]) {
      await expectKMeansError(kmeans(img, options as unknown as KMeansOptions), 'ERR_INVALID_OPTION', 'options');
    }
  });

  it('unknown option maxIter suggests maxIterations (abbreviations too: histo -> histogram)', async () => {
    for (const [short, full] of [['maxIter', 'maxIterations'], ['histo', 'histogram'], ['maxIterations2', 'maxIterations']]) {
      const e = await expectKMeansError(kmeans(img, { [short!]: 10 } as KMeansOptions), 'ERR_INVALID_OPTION', JSON.stringify(short));
      expect(e.message, short).toContain(`did you mean ${JSON.stringify(full)}?`);
    }
  });

  it('other typos get the nearest name; a name like nothing known gets the list of valid ones', async () => {
    for (const [typo, near] of [['K', 'k'], ['seeds', 'seed'], ['tolerence', 'tolerance'], ['atempts', 'attempts'], ['colourSpace', 'colorSpace'], ['maxiterations', 'maxIterations']]) {
      const e = await expectKMeansError(kmeans(img, { [typo!]: 1 } as KMeansOptions), 'ERR_INVALID_OPTION', JSON.stringify(typo));
      expect(e.message, typo).toContain(`did you mean ${JSON.stringify(near)}?`);
    }
    const e = await expectKMeansError(kmeans(img, { quantumFluxCapacitor: 1 } as KMeansOptions), 'ERR_INVALID_OPTION', '"quantumFluxCapacitor"');
    expect(e.message).not.toContain('did you mean');
    for (const known of Object.keys(defaultOptions)) expect(e.message).toContain(known);
  });

  it('without a suggestion, the unknown-option message still reads as two sentences', async () => {
    const e = await expectKMeansError(kmeans(img, { quantumFluxCapacitor: 1 } as KMeansOptions), 'ERR_INVALID_OPTION');
    // Not "Unknown option "x" for kmeans-seg Valid options: ..." (the suggestion carries the only stop).
    expect(e.message).toMatch(/kmeans-seg[.:;] Valid options: /);
  });

  it('undefined values count as absent (defaults apply)', async () => {
    const r = await kmeans(img, { k: undefined, seed: undefined, tolerance: undefined, init: undefined });
    expect(r.k).toBe(4); // default k = 8, cut to the 4 distinct colours
  });

  it('edge values that are valid', async () => {
    await expect(kmeans(img, { k: 1, seed: 0, tolerance: 0, maxIterations: 1, attempts: 1 })).resolves.toMatchObject({ k: 1, iterations: 1 });
    await expect(kmeans(img, { k: MAX_K, seed: 2 ** 32 - 1 })).resolves.toMatchObject({ k: 4 });
    // Centroids may lie outside 0-255 and need not be integers.
    await expect(kmeans(img, { init: [[-5.5, 300, 0.25]], maxIterations: 1 })).resolves.toMatchObject({ centroids: [[-5.5, 300, 0.25]] });
  });
});

describe('bad images: ERR_INVALID_IMAGE', () => {
  it('data length that does not match width x height x 4 names both sizes', async () => {
    const data = new Uint8Array(4 * 4 * 4 - 1);
    await expectKMeansError(kmeans({ data, width: 4, height: 4 }), 'ERR_INVALID_IMAGE', '63', '64');
    // RGB data (3 bytes per pixel) passed as RGBA, a likely mistake.
    await expectKMeansError(kmeans({ data: new Uint8Array(4 * 4 * 3), width: 4, height: 4 }), 'ERR_INVALID_IMAGE', '48', '64');
    await expectKMeansError(kmeans({ data: new Uint8Array(4 * 4 * 4 + 4), width: 4, height: 4 }), 'ERR_INVALID_IMAGE', '68', '64');
  });

  it('an all-transparent image', async () => {
    const data = new Uint8Array(5 * 3 * 4);
    for (let i = 0; i < data.length; i += 4) data.set([255, 128, 7, 0], i);
    const e = await expectKMeansError(kmeans({ data, width: 5, height: 3 }), 'ERR_INVALID_IMAGE', '15');
    expect(e.message).toMatch(/transparent/);
  });

  it('data that is not 8-bit pixels, or no image at all', async () => {
    const cases: unknown[] = [
      { data: Array.from({ length: 16 }, () => 0), width: 2, height: 2 },
      { data: new Float32Array(16), width: 2, height: 2 },
      { data: new Uint16Array(16), width: 2, height: 2 },
      { data: new Uint8Array(16).buffer, width: 2, height: 2 },
      { width: 2, height: 2 },
      null,
      'image.png',
    ];
    for (const c of cases) await expectKMeansError(kmeans(c as RGBAImage), 'ERR_INVALID_IMAGE');
  });

  it('width and height must be positive integers (named in the message)', async () => {
    for (const [width, height, name] of [[0, 4, 'image.width'], [2.5, 4, 'image.width'], [4, -1, 'image.height'], [4, NaN, 'image.height'], ['4', 4, 'image.width']] as const) {
      const error = await kmeans({ data: new Uint8Array(64), width, height } as unknown as RGBAImage).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(KMeansSegError);
      expect((error as KMeansSegError).message).toContain(name);
    }
  });

  it('an already-aborted signal rejects with ERR_ABORTED before any work', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectKMeansError(kmeans(img, { signal: controller.signal }), 'ERR_ABORTED');
  });
});
