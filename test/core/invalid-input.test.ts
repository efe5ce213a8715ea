/**
 * Bad pixels in memory and bad options: a KMeansSegError with a stable code whose message names the
 * value and the fix, before any work or allocation.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KMeansSegError } from '../../src/errors.js';
import { decodeImage } from '../../src/io/decode.js';
import { kmeans } from '../../src/core/kmeans.js';
import { segment } from '../../src/segment.js';
import type { KMeansResult, RGBAImage } from '../../src/types.js';
import { tried, folder, caught, rejects, solid, noise, scratch, useScratch } from '../hostile.js';

useScratch('invalid-input.test.ts');

describe('pixels in memory (kmeans): typed errors', () => {
  const good = (): RGBAImage => ({ data: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255, 9, 9, 9, 255]), width: 2, height: 2 });

  it('RGBA data whose length does not match width x height x 4: ERR_INVALID_IMAGE with both numbers', async () => {
    const cases: [string, number, number, number][] = [
      // [what, data length, width, height]
      ['one byte short', 15, 2, 2], ['one byte long', 17, 2, 2], ['RGB (3 bytes per pixel)', 12, 2, 2],
      ['greyscale (1 byte per pixel)', 4, 2, 2], ['empty', 0, 2, 2], ['width and height swapped on a non-square', 24, 2, 2],
      ['a huge width', 16, 2 ** 31, 2 ** 31],
    ];
    tried(cases.length);
    for (const [what, length, width, height] of cases) {
      const e = await rejects(kmeans({ data: new Uint8Array(length), width, height }), 'ERR_INVALID_IMAGE', `has ${length} bytes`, '4 bytes (r, g, b, a) per pixel');
      expect(e.message, what).toContain(String(width * height * 4));
    }
  });

  it('data of the wrong type: ERR_INVALID_IMAGE naming what was received', async () => {
    const cases: [unknown, string][] = [
      [[255, 0, 0, 255], '[255, 0, 0, 255]'], [new Int8Array(16), 'Int8Array'], [new Uint16Array(16), 'Uint16Array'],
      [new Float32Array(16), 'Float32Array'], [new DataView(new ArrayBuffer(16)), 'DataView'], [new ArrayBuffer(16), 'a value of type object'],
      ['RGBA', '"RGBA"'], [null, 'null'], [undefined, 'undefined'], [16, '16'],
    ];
    tried(cases.length);
    for (const [data, named] of cases) {
      await rejects(kmeans({ data, width: 2, height: 2 } as never), 'ERR_INVALID_IMAGE', 'Uint8Array or Uint8ClampedArray', named);
    }
  });

  it('width and height that are not positive integers: ERR_INVALID_IMAGE naming image.width / image.height', async () => {
    const bad = [0, -1, 1.5, NaN, Infinity, -Infinity, '2', null, undefined, 2n, true];
    tried(bad.length * 2);
    for (const v of bad) {
      await rejects(kmeans({ ...good(), width: v } as never), 'ERR_INVALID_IMAGE', 'image.width', 'a positive integer');
      await rejects(kmeans({ ...good(), height: v } as never), 'ERR_INVALID_IMAGE', 'image.height');
    }
  });

  it('no image at all: ERR_INVALID_IMAGE', async () => {
    const bad = [null, undefined, 42, 'photo.png', true];
    tried(bad.length);
    for (const v of bad) await rejects(kmeans(v as never), 'ERR_INVALID_IMAGE', 'Expected an image { data, width, height }');
  });

  it('an entirely transparent image (alpha 0 everywhere, colours or not): ERR_INVALID_IMAGE', async () => {
    tried(2);
    await rejects(kmeans({ data: new Uint8Array(3 * 3 * 4), width: 3, height: 3 }), 'ERR_INVALID_IMAGE', '9 pixels', 'fully transparent');
    const coloured = new Uint8Array(3 * 4).fill(200).map((v, i) => (i % 4 === 3 ? 0 : v));
    await rejects(kmeans({ data: coloured, width: 3, height: 1 }, { backend: 'js' }), 'ERR_INVALID_IMAGE', 'fully transparent');
  });

  it('typed arrays with a non-zero byteOffset (odd, unaligned; a Buffer from the pool; clamped; shared) give the result of a copy', async () => {
    const src = noise(13, 7, 5);
    src.data[3] = 0; src.data[7] = 100; // one transparent pixel, one partly transparent
    const reference = await kmeans({ ...src, data: src.data.slice() }, { k: 5, seed: 3 });
    const view = <T extends Uint8Array | Uint8ClampedArray>(make: (b: ArrayBufferLike, o: number, n: number) => T, buffer: ArrayBufferLike, offset: number): T => {
      const v = make(buffer, offset, src.data.length);
      new Uint8Array(buffer).fill(77); // garbage around the view that must be ignored
      v.set(src.data);
      return v;
    };
    const views: [string, Uint8Array | Uint8ClampedArray][] = [
      ['Uint8Array at offset 3', view((b, o, n) => new Uint8Array(b, o, n), new ArrayBuffer(src.data.length + 10), 3)],
      ['Uint8ClampedArray at offset 5', view((b, o, n) => new Uint8ClampedArray(b, o, n), new ArrayBuffer(src.data.length + 9), 5)],
      ['SharedArrayBuffer view at offset 7', view((b, o, n) => new Uint8Array(b, o, n), new SharedArrayBuffer(src.data.length + 8), 7)],
      ['Buffer.from (pool slice)', Buffer.from(src.data)],
      ['subarray of a larger image', (() => { const big = new Uint8Array(src.data.length * 2).fill(9); big.set(src.data, 40); return big.subarray(40, 40 + src.data.length); })()],
    ];
    tried(views.length);
    for (const [what, data] of views) {
      if (what.startsWith('Buffer')) expect(data.byteOffset, 'a small Buffer.from is a slice of the shared pool').toBeGreaterThanOrEqual(0);
      for (const backend of ['js', 'wasm'] as const) {
        const r = await kmeans({ data, width: src.width, height: src.height }, { k: 5, seed: 3, backend });
        expect(summary(r), `${what}, ${backend}`).toEqual(summary(reference));
      }
    }
  });

  function summary(r: KMeansResult): unknown {
    return { palette: r.palette, labels: Array.from(r.labels), inertia: r.inertia, iterations: r.iterations, rgba: Array.from(r.toRGBA()) };
  }
});


describe('options: typed errors naming the option (ERR_INVALID_OPTION)', () => {
  const img: RGBAImage = { data: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255, 9, 9, 9, 255]), width: 2, height: 2 };
  const everywhere = [NaN, Infinity, -Infinity, -1, '8', true, null, {}, [8], 8n, Symbol('x'), () => 8, new Number(8)];
  const fractional = [0.5, 2.5, 1 + Number.EPSILON];
  const numeric: Record<string, { bad: unknown[]; expected: string | RegExp }> = {
    k: { bad: [...everywhere, ...fractional, 0, 65537], expected: 'an integer between 1 and 65536' },
    seed: { bad: [...everywhere, ...fractional, 2 ** 32], expected: 'an integer between 0 and 4294967295' },
    maxIterations: { bad: [...everywhere, ...fractional, 0, 1e9 + 1], expected: 'an integer between 1 and' },
    attempts: { bad: [...everywhere, ...fractional, 0, 10001], expected: 'an integer between 1 and 10000' },
    threads: { bad: [...everywhere, ...fractional, 0, 33], expected: 'an integer between 1 and 32' },
    tolerance: { bad: [...everywhere, -0.001], expected: 'a finite number >= 0' },
  };

  for (const [name, { bad, expected }] of Object.entries(numeric)) {
    it(`${name}: NaN, Infinity, negative, fractional, out of range and wrong types`, async () => {
      tried(bad.length);
      for (const v of bad) {
        const e = await rejects(kmeans(img, { [name]: v }), 'ERR_INVALID_OPTION', `for ${name} but received`);
        if (typeof expected === 'string') expect(e.message).toContain(expected);
      }
    });
  }

  it('limitInputPixels (segment only): NaN, Infinity, negative, fractional and wrong types, checked before the file is read', async () => {
    const bad = [...everywhere, ...fractional, 0];
    tried(bad.length);
    for (const v of bad) {
      await rejects(segment(path.join(scratch(), 'never-read.png'), { limitInputPixels: v as never }), 'ERR_INVALID_OPTION', 'limitInputPixels', 'a positive integer or false');
    }
  });

  it('enumerations and objects of the wrong kind', async () => {
    const cases: [string, unknown][] = [
      ['backend', 'WASM'], ['backend', 'simd'], ['backend', ''], ['backend', 1], ['backend', null],
      ['histogram', 'yes'], ['histogram', 1], ['histogram', 0], ['histogram', null],
      ['colorSpace', 'RGB'], ['colorSpace', 'hsv'], ['colorSpace', 3],
      ['init', 'kmeans'], ['init', 'K-MEANS++'], ['init', 3], ['init', {}], ['init', null],
      ['init', []], ['init', [[0, 0]]], ['init', [[0, 0, NaN]]], ['init', [[0, 0, Infinity]]], ['init', [[0, 0, 0, 0]]],
      ['init', ['abc']], ['init', [[0, 0, '0']]], ['init', [new Float32Array(3)]],
      ['onProgress', 'log'], ['onProgress', 1], ['onProgress', {}],
      ['signal', {}], ['signal', 'abort'], ['signal', null], ['signal', new AbortController()],
    ];
    tried(cases.length);
    for (const [name, v] of cases) {
      const e = await rejects(kmeans(img, { [name]: v }), 'ERR_INVALID_OPTION');
      expect(e.message, `${name}: ${String(v)}`).toMatch(new RegExp(`for ${name}(\\[\\d+\\])? but received`));
    }
  });

  it('k that contradicts the centroids given in init', async () => {
    tried();
    await rejects(kmeans(img, { k: 3, init: [[0, 0, 0], [255, 255, 255]] }), 'ERR_INVALID_OPTION', 'for k', 'leave k out');
  });

  it('options that are not an object', async () => {
    const bad = [null, 42, 'k=8', [], [8], true, () => ({ k: 8 })];
    tried(bad.length);
    for (const v of bad) await rejects(kmeans(img, v as never), 'ERR_INVALID_OPTION', 'for options');
  });

  it('unknown option names: an error suggesting the nearest valid name, or listing them all when none is near', async () => {
    const near: [string, string][] = [
      ['iterations', 'maxIterations'], ['max_iterations', 'maxIterations'], ['K', 'k'], ['seeds', 'seed'], ['thread', 'threads'],
      ['colourSpace', 'colorSpace'], ['colour_space', 'colorSpace'], ['tolerence', 'tolerance'], ['backEnd', 'backend'],
      ['onprogress', 'onProgress'], ['attempt', 'attempts'], ['histogramm', 'histogram'], ['n_init', 'attempts'],
    ];
    tried(near.length + 4);
    for (const [typo, meant] of near) {
      await rejects(kmeans(img, { [typo]: 1 } as never), 'ERR_INVALID_OPTION', `Unknown option ${JSON.stringify(typo)}`, `did you mean ${JSON.stringify(meant)}?`);
    }
    const far = await rejects(kmeans(img, { frobnicate: 1 } as never), 'ERR_INVALID_OPTION', 'Unknown option "frobnicate"', 'Valid options: k, target, maxK, seed');
    expect(far.message).not.toContain('did you mean');
    // segment's own option, misspelt; and given to kmeans, which does not take it.
    await rejects(segment(path.join(scratch(), 'never-read.png'), { limitInputPixel: 5 } as never), 'ERR_INVALID_OPTION', 'did you mean "limitInputPixels"?');
    await rejects(kmeans(img, { limitInputPixels: 5 } as never), 'ERR_INVALID_OPTION', 'Unknown option "limitInputPixels"');
    // A name that is only a property of Object.prototype is no option either.
    await rejects(kmeans(img, JSON.parse('{"__proto__": {"k": 2}}')), 'ERR_INVALID_OPTION', 'Unknown option "__proto__"');
  });

  it('unknown option names: short forms of a long name suggest it too', async () => {
    tried(4);
    for (const [typo, meant] of [['maxIter', 'maxIterations'], ['maxIters', 'maxIterations'], ['iter', 'maxIterations'], ['tol', 'tolerance']]) {
      await rejects(kmeans(img, { [typo!]: 1 } as never), 'ERR_INVALID_OPTION', `did you mean ${JSON.stringify(meant)}?`);
    }
  });

  it("save()'s options: wrong types and unknown names", async () => {
    const result = await segment(await solid(3, 2, '#123456').png().toBuffer(), { k: 1 });
    const out = path.join(await folder(), 'out.png');
    const cases: [unknown, string][] = [
      [null, 'for save options'], ['force', 'for save options'], [true, 'for save options'],
      [{ force: 'yes' }, 'for force'], [{ force: 1 }, 'for force'], [{ forse: true }, 'did you mean "force"?'],
    ];
    tried(cases.length + 3);
    for (const [options, mention] of cases) await rejects(result.save(out, options as never), 'ERR_INVALID_OPTION', mention);
    for (const bad of [42, '', 'a\0b.png']) await rejects(result.save(bad as never), 'ERR_INVALID_OPTION', 'outPath');
    expect(existsSync(out)).toBe(false);
  });

  it('paths with a NUL character, as input', async () => {
    tried();
    await rejects(decodeImage('photo\0.png'), 'ERR_INVALID_OPTION', 'without NUL');
  });
});


// With histogram: false (or spatialWeight > 0) every opaque pixel is a point: about 22 bytes of wasm
// memory each, so above ~195 M pixels the kernel cannot hold them. kmeans() refuses it from width x
// height, before any scan or allocation. The pixels are a Proxy over 16 bytes that claims the length
// of 310 M pixels and records every other property read: a scan, a view of its buffer or a copy
// would show there, so the test needs no clock (and no 1.2 GB buffer).
it('kmeans refuses an image above what wasm32 memory can hold before reading a pixel', async () => {
  tried();
  const width = 20000, height = 15500; // 310 M pixels
  const read: PropertyKey[] = [];
  const data = new Proxy(new Uint8Array(16), {
    get(target, key) {
      if (key === 'length') return width * height * 4;
      read.push(key);
      return Reflect.get(target, key) as unknown;
    },
  });
  const e = await caught(kmeans({ data, width, height }, { histogram: false, backend: 'wasm' }));
  expect(e).toBeInstanceOf(KMeansSegError);
  expect((e as KMeansSegError).code, (e as Error).message).toBe('ERR_TOO_LARGE');
  expect((e as Error).message).toMatch(/4 GiB/);
  expect((e as Error).message).toMatch(/histogram/);
  expect(read, 'refused from width and height alone: no pixel, buffer or view of the data was read').toEqual([]);
});
