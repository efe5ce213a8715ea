/**
 * Hardening II (issue 11), the API side of validation: spatialWeight's float32 limit, a real
 * AbortSignal, options inherited through the prototype, -0, the bad element of an init centroid,
 * and the one escaping function every message quotes with. Each fails on main at 54ce481.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromSrgb, toSrgb } from '../../src/core/convert.js';
import { kmeans } from '../../src/core/kmeans.js';
import { resolveOptions } from '../../src/core/options.js';
import { parsePalette } from '../../src/palette/parse.js';
import { paletteJSON } from '../../src/palette/write.js';
import { segment } from '../../src/segment.js';
import { describe as describeValue, printable, quote } from '../../src/validate.js';
import { noise, rejects, scratch, tried, useScratch } from '../hostile.js';

useScratch('core/hardening.test.ts');

const img = noise(40, 30, 11);
/** Control, invisible and line-breaking characters no message may carry raw. */
const UNPRINTABLE = /[\0-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

describe('spatialWeight: at most 257, where positions stop being exact in float32', () => {
  it('257 runs; 257.5, 258, 5e16 and 1e20 are refused naming 257 and the reason', async () => {
    const r = await kmeans(img, { k: 4, spatialWeight: 257, backend: 'js' });
    expect(Number.isFinite(r.inertia)).toBe(true);
    expect(new Set(r.palette.map((p) => p.hex)).size).toBe(r.k);
    const bad = [257.5, 258, 5e16, 1e20];
    tried(bad.length);
    // On 54ce481, 1e20 on a 200 x 150 image gave inertia Infinity, seven one-pixel clusters, converged: true.
    for (const w of bad) await rejects(kmeans(img, { k: 4, spatialWeight: w }), 'ERR_INVALID_OPTION', 'for spatialWeight', '<= 257', 'float32');
  });
});

describe('signal: a real AbortSignal', () => {
  it('a duck-typed { aborted } is refused, aborted or not; a real one still works', async () => {
    const fakes = [{ aborted: true }, { aborted: false }, { aborted: false, addEventListener() {} }];
    tried(fakes.length);
    // On 54ce481, { aborted: true } gave ERR_ABORTED and { aborted: false } ran to the end.
    for (const signal of fakes) {
      await rejects(kmeans(img, { k: 2, signal: signal as never }), 'ERR_INVALID_OPTION', 'an AbortSignal for signal', "AbortController's signal");
    }
    const controller = new AbortController();
    await expect(kmeans(img, { k: 2, signal: controller.signal })).resolves.toMatchObject({ k: 2 });
    controller.abort();
    await rejects(kmeans(img, { k: 2, signal: controller.signal }), 'ERR_ABORTED');
  });
});

describe('options inherited through the prototype are refused', () => {
  it('Object.create({ k: 3 }), inherited limitInputPixels, a polluted Object.prototype; null-prototype objects are fine', async () => {
    tried(4);
    // On 54ce481 the first ran with k = 8 and the second applied the inherited limit of 1 pixel.
    await rejects(kmeans(img, Object.create({ k: 3 })), 'ERR_INVALID_OPTION', 'Option "k"', 'inherited');
    await rejects(segment(path.join(scratch(), 'never-read.png'), Object.create({ limitInputPixels: false })), 'ERR_INVALID_OPTION', 'Option "limitInputPixels"', 'inherited');
    const polluted = Object.prototype as Record<string, unknown>;
    polluted.seed = 5;
    try {
      await rejects(kmeans(img, { k: 2 }), 'ERR_INVALID_OPTION', 'Option "seed"', 'inherited');
    } finally {
      delete polluted.seed;
    }
    const bare = Object.assign(Object.create(null) as object, { k: 2, seed: 1 });
    await expect(kmeans(img, bare)).resolves.toMatchObject({ k: 2 });
    // A class instance's own fields count as they always did.
    class Settings { k = 3; }
    await expect(kmeans(img, new Settings())).resolves.toMatchObject({ k: 3 });
  });
});

describe('-0 is stored as 0', () => {
  it('resolveOptions turns -0 into 0 for every option that takes it', () => {
    tried(3);
    const r = resolveOptions({ tolerance: -0, seed: -0, spatialWeight: -0 });
    // On 54ce481, Object.is(resolveOptions({ tolerance: -0 }).tolerance, -0) was true.
    for (const name of ['tolerance', 'seed', 'spatialWeight'] as const) expect(Object.is(r[name], 0), name).toBe(true);
  });
});

describe('a bad value inside an init centroid is named', () => {
  it('NaN, a string, Infinity: the message shows the centroid, so the element', async () => {
    const cases: [unknown[], string][] = [[[0, 0, NaN], '[0, 0, NaN]'], [[0, '0', 0], '[0, "0", 0]'], [[Infinity, 1, 2], '[Infinity, 1, 2]']];
    tried(cases.length);
    // On 54ce481 each said "but received an array of length 3".
    for (const [centroid, shown] of cases) {
      await rejects(kmeans(img, { init: [[1, 2, 3], centroid as number[]] }), 'ERR_INVALID_OPTION', 'for init[1]', `received ${shown}`);
    }
  });
});

describe('one escaping function for paths, names and snippets', () => {
  const hostile = 'a\x1b[2Jb\x07c\x9b31m\u202etxt.png\u2028\ud800\u{e0041}';

  it('quote() is JSON-style with every control, invisible and line-breaking character escaped', () => {
    const q = quote(hostile);
    expect(q).not.toMatch(UNPRINTABLE);
    expect(q).toBe('"a\\u001b[2Jb\\u0007c\\u009b31m\\u202etxt.png\\u2028\\ud800\\udb40\\udc41"');
    expect(JSON.parse(q)).toBe(hostile); // still JSON: the exact name can be recovered
    expect(quote('plain/path ünïcode.png')).toBe('"plain/path ünïcode.png"');
    expect(printable('already \x1b in a message')).toBe('already \\u001b in a message');
  });

  it('describe() of a string and of an unknown option name use it', async () => {
    tried(2);
    expect(describeValue(hostile)).not.toMatch(UNPRINTABLE);
    const e = await rejects(kmeans(img, { [hostile]: 1 } as never), 'ERR_INVALID_OPTION', 'Unknown option');
    expect(e.message).not.toMatch(UNPRINTABLE);
    const b = await rejects(kmeans(img, { backend: '\x9b2J' as never }), 'ERR_INVALID_OPTION', 'for backend');
    expect(b.message).toContain('"\\u009b2J"');
  });
});

describe('fromSrgb and toSrgb check the space and the numbers', () => {
  it("'hsv', a string channel, NaN: ERR_INVALID_OPTION; the four spaces convert as before", () => {
    tried(5);
    // On 54ce481, fromSrgb('hsv', 10, 20, 30) returned OKLab numbers.
    expect(() => fromSrgb('hsv' as never, 10, 20, 30)).toThrow(/Expected 'rgb', 'linear-rgb', 'lab' or 'oklab' for colorSpace but received "hsv"/);
    expect(() => toSrgb('HSV' as never, 10, 20, 30)).toThrow(/for colorSpace but received "HSV"/);
    expect(() => fromSrgb('rgb', '10' as never, 20, 30)).toThrow(/for r but received "10"/);
    expect(() => fromSrgb('lab', 10, 256, 30)).toThrow(/a number from 0 to 255 for g but received 256/);
    expect(() => toSrgb('lab', 50, NaN, 0)).toThrow(/a finite number for y but received NaN/);
    expect(fromSrgb('rgb', 1, 2, 3)).toEqual([1, 2, 3]);
    expect(toSrgb('oklab', ...fromSrgb('oklab', 10, 20, 30)).map(Math.round)).toEqual([10, 20, 30]);
  });
});

describe('what the palette writer writes, the reader reads', () => {
  it('a spatialWeight result: its centroids are written as [x, y, z], which apply reads back', async () => {
    tried();
    const r = await kmeans(img, { k: 3, spatialWeight: 1, backend: 'js' });
    expect(r.centroids[0]).toHaveLength(5);
    // On 54ce481 the file held [x, y, z, u, v] and the reader refused it: "received an array of length 5".
    const back = parsePalette(paletteJSON(r, { colorSpace: 'rgb' }));
    expect(back.centroids).toEqual(r.centroids.map((c) => c.slice(0, 3)));
    expect(back.palette.map((p) => p.hex)).toEqual(r.palette.map((p) => p.hex));
  });
});
