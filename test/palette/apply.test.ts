/**
 * applyPalette and `kmeans-seg apply`: known answers on tiny images, the labels of the K-means run
 * that made a palette given back (exactly, through the palette JSON's centroids; and as the first
 * pass of kmeans with the rounded colours as init), wasm/TS and thread parity, every palette source,
 * the invalid-palette table, and the command run through its main().
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { applyPalette } from '../../src/palette/apply.js';
import { checkPalette, parsePalette, readPalette, type PaletteSource } from '../../src/palette/parse.js';
import { main } from '../../src/cli/apply.js';
import { COLOR_SPACES } from '../../src/core/colorspace.js';
import { KMeansSegError, type ErrorCode } from '../../src/errors.js';
import { kmeans } from '../../src/core/kmeans.js';
import { paletteGPL, paletteJSON } from '../../src/palette/write.js';
import type { RGBAImage } from '../../src/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PONYO = path.resolve(ROOT, '../shared/images/ponyo.jpeg');
const HAVE_PONYO = existsSync(PONYO);
if (!HAVE_PONYO) console.warn(`apply.test.ts: using a generated image instead of ${PONYO}, which is missing`);

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-apply-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

type Px = [number, number, number] | [number, number, number, number];
function image(pixels: Px[], width = pixels.length): RGBAImage {
  const data = new Uint8Array(pixels.length * 4);
  pixels.forEach((p, i) => data.set([p[0], p[1], p[2], p[3] ?? 255], i * 4));
  return { data, width, height: pixels.length / width };
}

/** A seeded noisy image: smooth gradients plus noise, some fully transparent pixels when `alpha`. */
function noisy(width: number, height: number, seed: number, alpha = false): RGBAImage {
  let s = seed >>> 0;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 24; };
  const data = new Uint8Array(width * height * 4);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      data[p * 4] = Math.min(255, (x * 255) / width + (rnd() >> 3));
      data[p * 4 + 1] = Math.min(255, (y * 255) / height + (rnd() >> 3));
      data[p * 4 + 2] = rnd();
      data[p * 4 + 3] = alpha && rnd() < 16 ? 0 : 255;
    }
  }
  return { data, width, height };
}

async function realImage(): Promise<RGBAImage> {
  if (!HAVE_PONYO) return noisy(120, 90, 7);
  const { data, info } = await sharp(PONYO).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Independent nearest colour in RGB: f32 distance in the kernel's order, strict < (ties keep the lower index). */
function nearestRGB(img: RGBAImage, colours: number[][]): number[] {
  const f = Math.fround;
  const out: number[] = [];
  for (let p = 0; p < img.width * img.height; p++) {
    if (img.data[p * 4 + 3] === 0) { out.push(colours.length); continue; }
    let best = Infinity, bi = 0;
    colours.forEach((c, j) => {
      const dx = f(img.data[p * 4]! - c[0]!), dy = f(img.data[p * 4 + 1]! - c[1]!), dz = f(img.data[p * 4 + 2]! - c[2]!);
      const d = f(f(f(dx * dx) + f(dy * dy)) + f(dz * dz));
      if (d < best) { best = d; bi = j; }
    });
    out.push(bi);
  }
  return out;
}

async function expectError(promise: Promise<unknown> | (() => unknown), code: ErrorCode, ...mentions: (string | RegExp)[]): Promise<void> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(error, 'expected a KMeansSegError').toBeInstanceOf(KMeansSegError);
  expect((error as KMeansSegError).code).toBe(code);
  for (const m of mentions) expect((error as Error).message).toMatch(typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
}

describe('applyPalette: known answers', () => {
  it('assigns each pixel to its nearest colour, keeps transparent pixels out, counts and paints', async () => {
    const img = image([[10, 10, 10], [250, 240, 230], [0, 0, 0, 0], [100, 100, 100], [200, 0, 0, 128], [130, 130, 130]], 3);
    const r = await applyPalette(img, ['#000000', '#ffffff']);
    expect(Array.from(r.labels)).toEqual([0, 1, 2, 0, 0, 1]);
    expect(r.k).toBe(2);
    expect(r.palette.map((p) => [p.hex, p.count])).toEqual([['#000000', 3], ['#ffffff', 2]]);
    expect(r.palette[0]!.share).toBeCloseTo(3 / 5, 12);
    // Each pixel's squared distance, floored to 1/256: all integers here.
    expect(r.inertia).toBe(300 + (25 + 225 + 625) + 30000 + (200 * 200) + 3 * 125 * 125);
    expect(Array.from(r.toRGBA())).toEqual([
      0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0,
      0, 0, 0, 255, 0, 0, 0, 128, 255, 255, 255, 255,
    ]);
    expect(r).toMatchObject({ width: 3, height: 2, colorSpace: 'rgb', exactCentroids: false, warnings: [], input: '<pixels>' });
  });

  it('gives a tie to the lower index, and warns about duplicate colours', async () => {
    const img = image([[10, 0, 0]]);
    expect(Array.from((await applyPalette(img, [[0, 0, 0], [20, 0, 0]])).labels)).toEqual([0]);
    expect(Array.from((await applyPalette(img, [[20, 0, 0], [0, 0, 0]])).labels)).toEqual([0]);
    const dup = await applyPalette(img, ['#0a0000', '#0A0000']);
    expect(Array.from(dup.labels)).toEqual([0]);
    expect(dup.warnings).toEqual([expect.stringMatching(/palette colours 0 and 1 are both #0a0000: colour 1 gets no pixels/)]);
  });

  it('labels an image with no visible pixel k everywhere', async () => {
    const r = await applyPalette(image([[1, 2, 3, 0], [4, 5, 6, 0]]), ['#112233']);
    expect(Array.from(r.labels)).toEqual([1, 1]);
    expect(r.palette[0]).toMatchObject({ count: 0, share: 0 });
    expect(Array.from(r.toRGBA())).toEqual(new Array(8).fill(0));
  });

  it('takes the caller\'s pixels as they are: a subarray view with an offset, never mutated', async () => {
    const backing = new Uint8Array(4 + 8);
    backing.set([9, 9, 9, 9, 0, 0, 0, 255, 255, 255, 255, 255]);
    const view = backing.subarray(4);
    const r = await applyPalette({ data: view, width: 2, height: 1 }, ['#ffffff', '#000000']);
    expect(Array.from(r.labels)).toEqual([1, 0]);
    expect(Array.from(backing.subarray(0, 4))).toEqual([9, 9, 9, 9]);
  });
});

describe('applyPalette reproduces K-means', () => {
  it('exactly on an image whose centroids are its colours, in every colour space', async () => {
    const colours: [number, number, number][] = [[200, 30, 40], [20, 160, 60], [30, 40, 220], [240, 240, 230]];
    const img = image(Array.from({ length: 48 }, (_, i) => colours[(i * 7 + (i >> 3)) % 4]!), 8);
    for (const colorSpace of COLOR_SPACES) {
      const fit = await kmeans(img, { k: 4, colorSpace });
      // Rounded sRGB is exact here: each centroid is one colour.
      const r = await applyPalette(img, fit.palette.map((p) => p.hex), { colorSpace });
      expect(Array.from(r.labels), colorSpace).toEqual(Array.from(fit.labels));
      expect(r.palette.map((p) => p.count), colorSpace).toEqual(fit.palette.map((p) => p.count));
    }
  });

  it('exactly, through the palette JSON\'s centroids, on a real image in every colour space', async () => {
    const img = await realImage();
    for (const colorSpace of COLOR_SPACES) {
      const fit = await kmeans(img, { k: 6, seed: 3, colorSpace });
      const palette = parsePalette(paletteJSON(fit, { colorSpace }), { name: 'test JSON' });
      expect(palette.colorSpace).toBe(colorSpace);
      const r = await applyPalette(img, palette); // the palette's space is the default
      expect(r.colorSpace).toBe(colorSpace);
      expect(r.exactCentroids).toBe(true);
      expect(r.labels).toEqual(fit.labels);
      expect(r.inertia).toBe(fit.inertia);
      expect(r.palette.map((p) => p.count)).toEqual(fit.palette.map((p) => p.count));
      expect(Array.from(r.toRGBA())).toEqual(Array.from(fit.toRGBA()));
    }
  });

  it('exactly, from the result itself (it carries its colour space), on a real image in every colour space', async () => {
    const img = await realImage();
    for (const colorSpace of COLOR_SPACES) {
      const fit = await kmeans(img, { k: 6, seed: 3, colorSpace });
      expect(fit.colorSpace).toBe(colorSpace);
      const r = await applyPalette(img, fit); // no colorSpace option: the result's own
      expect(r.colorSpace, colorSpace).toBe(colorSpace);
      expect(r.exactCentroids, colorSpace).toBe(true);
      expect(r.labels, colorSpace).toEqual(fit.labels);
      expect(r.inertia, colorSpace).toBe(fit.inertia);
    }
    // The default space is named too, and a spatialWeight result applies its colour part.
    expect((await kmeans(img, { k: 3 })).colorSpace).toBe('rgb');
    const spatial = await kmeans(noisy(20, 10, 4), { k: 3, spatialWeight: 1, colorSpace: 'lab' });
    expect(spatial.centroids[0]).toHaveLength(5);
    const r = await applyPalette(noisy(20, 10, 4), spatial);
    expect(r).toMatchObject({ colorSpace: 'lab', exactCentroids: true });
  });

  it('with rounded colours (a .gpl): the first pass of kmeans with those colours as init, in every colour space', async () => {
    const img = await realImage();
    for (const colorSpace of COLOR_SPACES) {
      const fit = await kmeans(img, { k: 6, seed: 3, colorSpace });
      const palette = parsePalette(paletteGPL(fit), { name: 'test GPL', gpl: true });
      const rgb = palette.palette.map((p) => p.rgb);
      expect(rgb).toEqual(fit.palette.map((p) => p.rgb));
      const r = await applyPalette(img, palette, { colorSpace });
      expect(r.exactCentroids).toBe(false);
      const onePass = await kmeans(img, { init: rgb, maxIterations: 1, colorSpace });
      expect(r.labels, colorSpace).toEqual(onePass.labels);
      if (colorSpace === 'rgb') expect(Array.from(r.labels)).toEqual(nearestRGB(img, rgb));
      // Rounding moves few pixels across a border.
      const same = r.labels.filter((l, i) => l === fit.labels[i]).length;
      expect(same / r.labels.length, colorSpace).toBeGreaterThan(0.97);
    }
  });

  it('uses the JSON\'s centroids only in their own space', async () => {
    const img = noisy(40, 30, 5);
    const fit = await kmeans(img, { k: 5, colorSpace: 'oklab' });
    const palette = parsePalette(paletteJSON(fit, { colorSpace: 'oklab' }));
    const r = await applyPalette(img, palette, { colorSpace: 'lab' });
    expect(r).toMatchObject({ colorSpace: 'lab', exactCentroids: false });
    expect(r.labels).toEqual((await kmeans(img, { init: palette.palette.map((p) => p.rgb), maxIterations: 1, colorSpace: 'lab' })).labels);
  });
});

describe('applyPalette: backends and threads', () => {
  it('gives the same labels, counts and inertia with wasm and js, in every colour space', async () => {
    const img = noisy(64, 48, 11, true);
    const palette = Array.from({ length: 12 }, (_, j) => [(j * 83) % 256, (j * 149) % 256, (j * 37 + 60) % 256]);
    for (const colorSpace of COLOR_SPACES) {
      const w = await applyPalette(img, palette, { backend: 'wasm', colorSpace });
      const j = await applyPalette(img, palette, { backend: 'js', colorSpace });
      expect(w.backend).toBe('wasm');
      expect(j.backend).toBe('js');
      expect(w.labels, colorSpace).toEqual(j.labels);
      expect(w.inertia).toBe(j.inertia);
      expect(w.palette).toEqual(j.palette);
    }
  });

  it('gives the same labels on 1 and 4 threads, over enough colours to split the work', async () => {
    const img = noisy(256, 256, 3);
    const palette = Array.from({ length: 16 }, (_, j) => [(j * 97) % 256, (j * 57) % 256, (j * 211) % 256]);
    const one = await applyPalette(img, palette, { backend: 'wasm', threads: 1 });
    const four = await applyPalette(img, palette, { backend: 'wasm', threads: 4 });
    expect(four.labels).toEqual(one.labels);
    expect(four.inertia).toBe(one.inertia);
    expect(one.labels).toEqual((await applyPalette(img, palette, { backend: 'js' })).labels);
  });
});

describe('applyPalette: inputs, outputs and palette sources', () => {
  let png: string;
  let expected: number[];
  const colours = [[255, 0, 0], [0, 0, 255], [250, 250, 250]];
  beforeAll(async () => {
    png = path.join(tmp, 'in.png');
    const img = noisy(24, 16, 2);
    await sharp(Buffer.from(img.data), { raw: { width: 24, height: 16, channels: 4 } }).png().toFile(png);
    expected = nearestRGB(img, colours);
  });

  it('reads a path, bytes and pixels alike, and saves atomically without overwriting', async () => {
    const fromPath = await applyPalette(png, colours);
    expect(fromPath.input).toBe(png);
    expect(Array.from(fromPath.labels)).toEqual(expected);
    const fromBytes = await applyPalette(await readFile(png), colours);
    expect(fromBytes.input).toBe('<buffer>');
    expect(Array.from(fromBytes.labels)).toEqual(expected);
    const out = path.join(tmp, 'painted.png');
    await fromPath.save(out);
    const { data } = await sharp(out).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data)).toEqual(Array.from(fromPath.toRGBA()));
    await expectError(fromPath.save(out), 'ERR_OUTPUT_EXISTS', 'already exists');
    await fromPath.save(out, { force: true });
    await expectError(fromPath.save(png), 'ERR_OUTPUT_EXISTS', 'is the input file');
  });

  it('accepts every palette form: hex, [r, g, b], { hex, rgb }, { palette }, a result, JSON files, GIMP files', async () => {
    const hex = ['#ff0000', '#0000ff', '#fafafa'];
    const json = path.join(tmp, 'p.json'), jsonArray = path.join(tmp, 'p-array.json');
    const gpl = path.join(tmp, 'p.gpl'), gplNamedTxt = path.join(tmp, 'p-gimp.txt');
    await writeFile(json, JSON.stringify({ k: 3, palette: colours.map((rgb, i) => ({ hex: hex[i], rgb, count: 1, share: 1 / 3 })) }));
    await writeFile(jsonArray, JSON.stringify(hex.map((h) => ({ hex: h }))));
    const gimp = 'GIMP Palette\nName: test\nColumns: 3\n#\n255   0   0\tred\n  0   0 255 blue\n250 250 250\n';
    await writeFile(gpl, gimp);
    await writeFile(gplNamedTxt, gimp.replace(/\n/g, '\r\n'));
    const fit = await kmeans(image(colours.map((c) => c as Px)), { k: 3 });
    const sources: PaletteSource[] = [
      hex, colours, colours.map((rgb) => ({ rgb })), { palette: hex }, json, jsonArray, gpl, gplNamedTxt,
    ];
    for (const source of sources) {
      const r = await applyPalette(png, source);
      expect(Array.from(r.labels), JSON.stringify(source)).toEqual(expected);
      expect(r.palette.map((p) => p.hex)).toEqual(hex);
    }
    // A kmeans result is a palette too (its colours in its own order).
    const r = await applyPalette(png, fit);
    expect(r.palette.map((p) => p.hex)).toEqual(fit.palette.map((p) => p.hex));
  });
});

describe('invalid palettes and options', () => {
  const file = async (name: string, text: string): Promise<string> => {
    const f = path.join(tmp, name);
    await writeFile(f, text);
    return f;
  };

  it('names the file and the fix for files that are missing or not palettes', async () => {
    const cases: [string, string | null, ErrorCode, ...(string | RegExp)[]][] = [
      ['missing.json', null, 'ERR_INPUT_NOT_FOUND', 'Palette file', 'missing.json', 'not found', '--palette FILE writes one'],
      ['not-json.json', '{"palette": [', 'ERR_PALETTE', 'not-json.json', 'is not valid JSON', 'GIMP palette (.gpl)'],
      ['empty.json', '', 'ERR_PALETTE', 'empty.json', 'is empty'],
      ['blank.json', ' \n\t\n', 'ERR_PALETTE', 'is empty'],
      ['no-colours.json', '[]', 'ERR_PALETTE', 'no-colours.json', 'is empty: a palette needs at least one colour'],
      ['no-colours-obj.json', '{"palette": []}', 'ERR_PALETTE', 'entry palette is empty'],
      ['bad-hex.json', '[{"hex": "#12345"}]', 'ERR_PALETTE', 'bad-hex.json', 'entry [0].hex', '"#12345"', '#rrggbb'],
      ['bad-hex2.json', '{"palette": ["#ffffff", "red"]}', 'ERR_PALETTE', 'entry palette[1]', '"red"'],
      ['hex-number.json', '[{"hex": 255}]', 'ERR_PALETTE', 'entry [0].hex', 'received 255'],
      ['bad-rgb.json', '[{"rgb": [256, 0, 0]}]', 'ERR_PALETTE', 'entry [0].rgb', 'three integers 0-255', '[256, 0, 0]'],
      ['short-rgb.json', '[[1, 2]]', 'ERR_PALETTE', 'entry [0]', '[1, 2]'],
      ['disagree.json', '[{"hex": "#ff0000", "rgb": [0, 255, 0]}]', 'ERR_PALETTE', 'entry [0]', 'must name the same colour'],
      ['neither.json', '[{"count": 3}]', 'ERR_PALETTE', 'neither "hex" nor "rgb"'],
      ['null-entry.json', '["#000000", null]', 'ERR_PALETTE', 'entry [1]', 'received null'],
      ['object.json', '{"colours": []}', 'ERR_PALETTE', 'without a "palette" array'],
      ['number.json', '42', 'ERR_PALETTE', 'Expected an array of colours', 'received 42'],
      ['space.json', '{"palette": ["#000000"], "colorSpace": "hsv"}', 'ERR_PALETTE', 'entry colorSpace', '"oklab"', '"hsv"'],
      ['centroids.json', '{"palette": ["#000000", "#ffffff"], "colorSpace": "rgb", "centroids": [[0, 0, 0]]}', 'ERR_PALETTE', 'Expected 2 centroids'],
      ['centroid.json', '{"palette": ["#000000"], "colorSpace": "rgb", "centroids": [[0, 0, "x"]]}', 'ERR_PALETTE', 'entry centroids[0]'],
      ['bad-line.gpl', 'GIMP Palette\nName: x\n#\n0 0 0 black\n12 300 4 oops\n', 'ERR_PALETTE', 'bad-line.gpl', 'line 5', '"12 300 4 oops"'],
      ['words.gpl', 'GIMP Palette\nred green blue\n', 'ERR_PALETTE', 'line 2'],
      ['header.gpl', '0 0 0 black\n', 'ERR_PALETTE', 'not a GIMP palette', '"GIMP Palette"'],
      ['nothing.gpl', 'GIMP Palette\nName: empty\n#\n', 'ERR_PALETTE', 'has no colours'],
    ];
    for (const [name, text, code, ...mentions] of cases) {
      const f = text === null ? path.join(tmp, name) : await file(name, text);
      await expectError(readPalette(f), code, ...mentions);
      // applyPalette checks the palette before it reads the image (which does not exist here).
      await expectError(applyPalette(path.join(tmp, 'no-such-image.png'), f), code, ...mentions);
    }
    await mkdir(path.join(tmp, 'a-folder.json'), { recursive: true });
    await expectError(readPalette(path.join(tmp, 'a-folder.json')), 'ERR_INPUT_NOT_FILE', 'is a directory');
  });

  it('refuses a FIFO as palette without waiting for a writer, in the API and in kmeans-seg apply', async () => {
    // On f440c4f readPalette used fs.readFile: the open of a FIFO with no writer blocked forever.
    const fifo = path.join(tmp, 'palette.fifo');
    execFileSync('mkfifo', [fifo]);
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error('readPalette(FIFO) hung')), 5000); });
    try {
      await expectError(Promise.race([readPalette(fifo), hung]), 'ERR_INPUT_NOT_FILE', 'Palette file', 'palette.fifo', 'not a regular file');
    } finally {
      clearTimeout(timer);
    }
    // The binary in a child process, killed if it hangs: a refusal on stderr, not a timeout.
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'kmeans-seg.js'), 'apply', path.join(tmp, 'no-such-image.png'), '--palette', fifo, '-o', path.join(tmp, 'fifo-out.png')],
      { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(run.signal, 'kmeans-seg apply --palette FIFO was killed: it hung').toBeNull();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('not a regular file');
    expect(run.stderr).toContain('palette.fifo');
  });

  it('rejects bad palettes and options in memory with ERR_INVALID_OPTION', async () => {
    const img = image([[0, 0, 0]]);
    await expectError(applyPalette(img, []), 'ERR_INVALID_OPTION', 'palette is empty');
    await expectError(applyPalette(img, ['#00000g']), 'ERR_INVALID_OPTION', 'palette[0]', '"#00000g"');
    await expectError(applyPalette(img, [[0, 0, 0.5]]), 'ERR_INVALID_OPTION', 'palette[0]', 'three integers 0-255');
    await expectError(applyPalette(img, { palette: 'red' } as never), 'ERR_INVALID_OPTION', 'palette.palette', '"red"');
    await expectError(applyPalette(img, 5 as never), 'ERR_INVALID_OPTION', 'received 5');
    await expectError(applyPalette(img, ['#000000'], { colourSpace: 'lab' } as never), 'ERR_INVALID_OPTION', 'Unknown option "colourSpace"', 'did you mean "colorSpace"');
    await expectError(applyPalette(img, ['#000000'], { colorSpace: 'hsv' as never }), 'ERR_INVALID_OPTION', 'colorSpace', '"hsv"');
    await expectError(applyPalette(img, ['#000000'], { threads: 0 }), 'ERR_INVALID_OPTION', 'threads');
    await expectError(applyPalette({ data: new Uint8Array(3), width: 1, height: 1 }, ['#000000']), 'ERR_INVALID_IMAGE', 'needs 4');
    await expectError(() => checkPalette(new Array(65537).fill('#000000')), 'ERR_INVALID_OPTION', 'more than 65536');
  });
});

describe('kmeans-seg apply (main)', () => {
  let out = '', err = '';
  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  });
  afterAll(() => { vi.restoreAllMocks(); });
  afterEach(() => { out = ''; err = ''; });

  let dir: string, palette: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmp, 'cli-'));
    await mkdir(path.join(dir, 'frames'));
    for (let i = 0; i < 3; i++) {
      const img = noisy(20, 12, 100 + i);
      await sharp(Buffer.from(img.data), { raw: { width: 20, height: 12, channels: 4 } }).png().toFile(path.join(dir, 'frames', `f${i}.png`));
    }
    palette = path.join(dir, 'palette.json');
    const fit = await kmeans(noisy(20, 12, 100), { k: 4, colorSpace: 'oklab' });
    await writeFile(palette, paletteJSON(fit, { colorSpace: 'oklab' }));
  });

  it('paints one image into a file and prints its palette', async () => {
    const target = path.join(dir, 'one.png');
    expect(await main(['--palette', palette, path.join(dir, 'frames', 'f0.png'), '-o', target])).toBe(0);
    expect(out).toMatch(/f0\.png -> .*one\.png: 20x12, 4 colours, (wasm|js), \d+ ms\n(  #[0-9a-f]{6} +[\d.]+%  \d+ px\n){4}$/);
    expect(err).toBe('');
    expect(existsSync(target)).toBe(true);
  });

  it('paints several images (a pattern it expands) into a folder it creates, as --json', async () => {
    const folder = path.join(dir, 'out', 'deep');
    expect(await main(['--palette', palette, path.join(dir, 'frames', 'f*.png'), '-o', folder, '--json'])).toBe(0);
    expect((await readdir(folder)).sort()).toEqual(['f0.png', 'f1.png', 'f2.png']);
    const summary = JSON.parse(out) as { input: string; colorSpace: string; k: number; palette: unknown[] }[];
    expect(summary.map((s) => path.basename(s.input))).toEqual(['f0.png', 'f1.png', 'f2.png']);
    expect(summary[0]).toMatchObject({ colorSpace: 'oklab', k: 4, exactCentroids: true });
  });

  it('checks every output before any work: an existing one stops it, --force goes on', async () => {
    const folder = path.join(dir, 'again');
    await mkdir(folder);
    await writeFile(path.join(folder, 'f1.webp'), 'old');
    expect(await main(['--palette', palette, path.join(dir, 'frames', 'f0.png'), path.join(dir, 'frames', 'f1.png'), '-o', folder, '--format', 'webp'])).toBe(1);
    expect(err).toMatch(/^kmeans-seg: error: The output file ".*f1\.webp" already exists: pass --force.*\n$/);
    expect(await readdir(folder)).toEqual(['f1.webp']);
    expect(await main(['--palette', palette, path.join(dir, 'frames', 'f0.png'), path.join(dir, 'frames', 'f1.png'), '-o', folder, '--format', 'webp', '--force'])).toBe(0);
    expect((await readdir(folder)).sort()).toEqual(['f0.webp', 'f1.webp']);
    expect((await stat(path.join(folder, 'f1.webp'))).size).toBeGreaterThan(3);
  });

  it('goes on past an image that fails to report every failure, then writes nothing and exits 1', async () => {
    const bad = path.join(dir, 'bad', 'zz.png');
    await mkdir(path.dirname(bad));
    await writeFile(bad, 'not an image');
    const folder = path.join(dir, 'partial');
    expect(await main(['--palette', palette, bad, path.join(dir, 'frames', 'f2.png'), '-o', folder])).toBe(1);
    // All or nothing: f2.png was made but not renamed into place, and the folder made for the run is gone,
    // so the rerun without the bad image needs no --force.
    expect(existsSync(folder)).toBe(false);
    expect(err).toMatch(/kmeans-seg: error: Input file ".*zz\.png" is not an image.*\nkmeans-seg: error: 1 of 2 images failed \(see above\); nothing was written/);
    expect(await main(['--palette', palette, path.join(dir, 'frames', 'f2.png'), path.join(dir, 'frames', 'f1.png'), '-o', folder])).toBe(0);
    expect((await readdir(folder)).sort()).toEqual(['f1.png', 'f2.png']);
  });

  it('reports a bad palette in one line with exit 1, and usage mistakes with exit 2', async () => {
    const f0 = path.join(dir, 'frames', 'f0.png');
    const bad = path.join(dir, 'bad-palette.json');
    await writeFile(bad, '[{"hex": "#12345"}]');
    expect(await main(['--palette', bad, f0, '-o', path.join(dir, 'x.png')])).toBe(1);
    expect(err).toMatch(/^kmeans-seg: error: Expected "#rrggbb" .* for Palette file ".*bad-palette\.json", entry \[0\]\.hex but received "#12345"\n$/);
    const usage: [string[], RegExp][] = [
      [[f0, '-o', path.join(dir, 'x.png')], /Missing --palette/],
      [['--palette', palette, '-o', path.join(dir, 'x.png')], /Missing the input images/],
      [['--palette', palette, f0], /Missing -o\/--output/],
      [['--palette', palette, f0, f0.replace('f0', 'f1'), '-o', path.join(dir, 'x.png')], /names an image, but 2 inputs need a folder/],
      [['--palette', palette, f0, '-o', path.join(dir, 'x.png'), '--color-space', 'hsv'], /Invalid value "hsv" for --color-space/],
      [['--palette', palette, f0, '-o', path.join(dir, 'x.png'), '-k', '3'], /Unknown option "-k"/],
      [['--palette', palette, f0, '-o', path.join(dir, 'x.png'), '--format', 'webp'], /--format applies when -o is a folder/],
    ];
    for (const [argv, message] of usage) {
      err = '';
      expect(await main(argv), argv.join(' ')).toBe(2);
      expect(err).toMatch(message);
      expect(err.split('\n').length).toBe(2);
    }
    expect(existsSync(path.join(dir, 'x.png'))).toBe(false);
  });

  it('prints its help', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(out).toContain('Usage: kmeans-seg apply --palette <file> <input>... -o <output>');
  });
});
