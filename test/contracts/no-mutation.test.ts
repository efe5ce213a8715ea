/**
 * The caller’s buffers, centroids and options are never mutated, and writes leave no lasting process
 * listeners behind.
 */
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/atomic-write.js';
import { decodeImage } from '../../src/io/decode.js';
import { encodeImage } from '../../src/io/encode.js';
import { kmeans } from '../../src/core/kmeans.js';
import { segment } from '../../src/segment.js';
import { tried, folder, caught, noise, noisePng, useScratch } from '../hostile.js';

useScratch('no-mutation.test.ts');

describe('the caller’s buffers are never mutated', () => {
  it('kmeans: data (with transparent pixels), the init centroids and a frozen options object, on every path', async () => {
    const src = noise(31, 9, 12);
    for (let p = 0; p < 31 * 9; p += 7) src.data[p * 4 + 3] = p % 2 ? 0 : 99;
    const copy = src.data.slice();
    const init = [[0, 0, 0], [255, 255, 255], [200, 30, 30]];
    const options = Object.freeze({ init: Object.freeze(init.map((c) => Object.freeze(c))), seed: 2 });
    const runs = [
      { backend: 'js' }, { backend: 'wasm', threads: 1 }, { backend: 'wasm', threads: 2 },
      { backend: 'wasm', histogram: false }, { backend: 'js', histogram: true }, { colorSpace: 'oklab' },
    ] as const;
    tried(runs.length + 1);
    for (const extra of runs) {
      const r = await kmeans({ data: src.data, width: 31, height: 9 }, { ...options, ...extra });
      expect(src.data, JSON.stringify(extra)).toEqual(copy);
      const rgba = r.toRGBA();
      rgba.fill(1); // the caller may write into what toRGBA returns: the next call is fresh
      expect(r.toRGBA()).not.toEqual(rgba);
    }
    await kmeans({ data: src.data, width: 31, height: 9 }, options);
    expect(init).toEqual([[0, 0, 0], [255, 255, 255], [200, 30, 30]]);
    // A Uint8ClampedArray too.
    const clamped = new Uint8ClampedArray(copy);
    await kmeans({ data: clamped, width: 31, height: 9 }, { k: 3 });
    expect(Array.from(clamped)).toEqual(Array.from(copy));
  });

  it('segment and decodeImage: the encoded bytes; encodeImage and save: the pixels', async () => {
    tried(3);
    const png = await noisePng(16, 16, 4);
    const bytes = new Uint8Array(png.length + 5);
    bytes.set(png, 5);
    const view = bytes.subarray(5);
    const before = bytes.slice();
    const result = await segment(view, { k: 4 });
    await decodeImage(view);
    expect(bytes).toEqual(before);
    const dir = await folder();
    const rgba = result.toRGBA();
    const rgbaCopy = rgba.slice();
    await encodeImage(rgba, 16, 16, path.join(dir, 'a.jpg'));
    await encodeImage(rgba, 16, 16, path.join(dir, 'a.webp'));
    expect(rgba).toEqual(rgbaCopy);
    const labels = result.labels.slice();
    await result.save(path.join(dir, 'b.png'));
    expect(result.labels).toEqual(labels);
  });
});


it('writes install no lasting signal or exit listeners (installed only while a temporary file exists)', async () => {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'] as const;
  const count = (): number[] => events.map((e) => process.listenerCount(e));
  const baseline = count();
  const dir = await folder();
  const pending = writeFileAtomic(path.join(dir, 'a.bin'), Uint8Array.from([1]));
  expect(count()).toEqual(baseline.map((n) => n + 1));
  await pending;
  expect(count()).toEqual(baseline);
  await Promise.all([1, 2, 3].map((i) => writeFileAtomic(path.join(dir, `c${i}.bin`), Uint8Array.from([i]))));
  await caught(writeFileAtomic(path.join(dir, 'missing', 'x.bin'), Uint8Array.from([1])));
  await caught(writeFileAtomic(dir, Uint8Array.from([1])));
  expect(count()).toEqual(baseline);
  expect((await readdir(dir)).sort()).toEqual(['a.bin', 'c1.bin', 'c2.bin', 'c3.bin']);
  expect(statSync(path.join(dir, 'a.bin')).size).toBe(1);
});
