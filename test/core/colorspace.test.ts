/**
 * Colour spaces: conversions against published reference values, round trips over the whole 8-bit
 * cube (sampled), and clustering results bit-identical across backends, threads and the histogram
 * switch in every space.
 *
 * References:
 * - CIE L*a*b* (D65) of the sRGB primaries and white, as Bruce Lindbloom's calculator and
 *   colormine.org give them (same sRGB matrix and D65 white as src/colorspace.ts).
 * - OKLab: Björn Ottosson, "A perceptual color space for image processing" (2020),
 *   https://bottosson.github.io/posts/oklab/ — the table of XYZ (D65) and OKLab values; the sRGB
 *   primaries as CSS Color 4 and Ottosson's reference code give them (7 decimals).
 * The core's OKLab is scaled by 100 (L in 0-100): the tables are compared after dividing by 100.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminateWorkers } from '../../src/kernel/select.js';
import { COLOR_SPACES, fromSrgb, linearToOklab, pointOf, toSrgb } from '../../src/core/colorspace.js';
import { kmeans } from '../../src/core/kmeans.js';
import type { RGBAImage } from '../../src/types.js';
import { HAVE_IMAGES, IMAGES_DIR, ROOT, expectSameResult, image, loadRGBA } from '../helpers.js';

afterAll(async () => { await terminateWorkers(); });

const PONYO = path.join(IMAGES_DIR, 'ponyo.jpeg');
const HAVE_PONYO = HAVE_IMAGES && existsSync(PONYO);
if (!HAVE_PONYO) console.warn(`colorspace.test.ts: skipping the ponyo parity tests: ${PONYO} is missing`);

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number, what: string): void {
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!), `${what}[${i}]: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance));
}

describe('CIE Lab (D65) against published values', () => {
  const table: [string, [number, number, number], [number, number, number]][] = [
    ['white', [255, 255, 255], [100, 0, 0]],
    ['black', [0, 0, 0], [0, 0, 0]],
    ['red', [255, 0, 0], [53.2408, 80.0925, 67.2032]],
    ['green', [0, 255, 0], [87.7347, -86.1827, 83.1793]],
    ['blue', [0, 0, 255], [32.297, 79.1875, -107.8602]],
    ['grey #808080', [128, 128, 128], [53.5850, 0, 0]],
  ];
  for (const [name, rgb, lab] of table) {
    it(`${name} ${JSON.stringify(rgb)} -> Lab ${JSON.stringify(lab)}`, () => {
      expectClose(fromSrgb('lab', ...rgb), lab, 0.001, name);
    });
  }
});

describe('OKLab against Ottosson\'s reference values', () => {
  it('sRGB white, red, green and blue (x 100 in the core)', () => {
    const table: [[number, number, number], [number, number, number]][] = [
      [[255, 255, 255], [1, 0, 0]],
      [[255, 0, 0], [0.6279554, 0.2248631, 0.1258463]],
      [[0, 255, 0], [0.8664396, -0.2338876, 0.1794985]],
      [[0, 0, 255], [0.4520137, -0.0324570, -0.3115281]],
    ];
    for (const [rgb, lab] of table) expectClose(fromSrgb('oklab', ...rgb).map((v) => v / 100), lab, 5e-7, JSON.stringify(rgb));
  });

  it('the XYZ (D65) table of the post, through the XYZ -> linear sRGB matrix', () => {
    const xyzToLinear = [[3.2404542, -1.5371385, -0.4985314], [-0.969266, 1.8760108, 0.041556], [0.0556434, -0.2040259, 1.0572252]];
    const table: [number[], number[]][] = [
      [[0.95, 1, 1.089], [1, 0, 0]],
      [[1, 0, 0], [0.45, 1.236, -0.019]],
      [[0, 1, 0], [0.922, -0.671, 0.263]],
      [[0, 0, 1], [0.153, -1.415, -0.449]],
    ];
    for (const [xyz, lab] of table) {
      const [r, g, b] = xyzToLinear.map((row) => row[0]! * xyz[0]! + row[1]! * xyz[1]! + row[2]! * xyz[2]!);
      // The table is printed to 3 decimals: half a unit in the last place, plus the matrices' own rounding.
      expectClose(linearToOklab(r!, g!, b!), lab, 0.001, JSON.stringify(xyz));
    }
  });
});

describe('round trips sRGB -> space -> sRGB over every 7th colour of the 8-bit cube', () => {
  // Unsnapped, the conversions are inverses to float64 rounding (far inside 0.5). Snapped to the
  // kernel's 1/256 grid (pointOf), they stay within 0.5, so rounding gives the colour back: a
  // cluster of one colour has that colour in the palette, in every space.
  for (const space of COLOR_SPACES) {
    it(space, () => {
      let worst = 0, worstSnapped = 0;
      let at: number[] = [];
      let pointOfDiffers: number[] | undefined;
      const snap = (v: number): number => Math.round(v * 256) / 256;
      for (let c = 0, i = 0; c < 1 << 24; c += 7, i++) {
        const r = c >>> 16, g = (c >>> 8) & 255, b = c & 255;
        const x = fromSrgb(space, r, g, b);
        const s = [snap(x[0]), snap(x[1]), snap(x[2])] as const;
        const backS = toSrgb(space, s[0], s[1], s[2]);
        const es = Math.max(Math.abs(backS[0] - r), Math.abs(backS[1] - g), Math.abs(backS[2] - b));
        if (es > worstSnapped) { worstSnapped = es; at = [r, g, b]; }
        // Every 7th of those (every 49th colour): the unsnapped inverse, and pointOf is this snap.
        if (i % 7 === 0) {
          const back = toSrgb(space, x[0], x[1], x[2]);
          const e = Math.max(Math.abs(back[0] - r), Math.abs(back[1] - g), Math.abs(back[2] - b));
          if (e > worst) worst = e;
          const p = pointOf(space, r, g, b);
          if (p[0] !== s[0] || p[1] !== s[1] || p[2] !== s[2]) pointOfDiffers = [r, g, b];
        }
      }
      expect(pointOfDiffers, 'pointOf is fromSrgb snapped to 1/256').toBeUndefined();
      expect(worst).toBeLessThan(1e-3);
      expect(worstSnapped, `worst at ${JSON.stringify(at)}`).toBeLessThan(0.5);
    }, 30_000);
  }

  it('so K = the number of colours gives the colours back exactly, in every space', async () => {
    const colours = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [1, 2, 3], [17, 200, 93], [250, 250, 10], [128, 128, 129]] as const;
    const img = image(colours.flatMap((c) => [c, c]), 7);
    for (const colorSpace of COLOR_SPACES) {
      const result = await kmeans(img, { k: colours.length, colorSpace, backend: 'js' });
      expect(result.palette.map((p) => p.rgb).sort(), colorSpace).toEqual(colours.map((c) => [...c]).sort());
      expect(result.inertia).toBe(0);
    }
  });
});

describe.skipIf(!HAVE_PONYO)('bit-identical results in every space (ponyo.jpeg, K = 16)', () => {
  let img: RGBAImage;
  beforeAll(async () => { img = await loadRGBA(PONYO); });

  for (const colorSpace of COLOR_SPACES) {
    it(`${colorSpace}: wasm and js, 1 and 2 threads, histogram on and off`, async () => {
      const options = { k: 16, seed: 5, colorSpace } as const;
      const base = await kmeans(img, { ...options, backend: 'js', histogram: true });
      expect(base.warnings).toEqual([]);
      const variants = [
        { backend: 'js', histogram: false },
        { backend: 'wasm', threads: 1, histogram: true },
        { backend: 'wasm', threads: 2, histogram: true },
        { backend: 'wasm', threads: 2, histogram: false },
      ] as const;
      for (const v of variants) expectSameResult(await kmeans(img, { ...options, ...v }), base, `${colorSpace} ${JSON.stringify(v)}`);
    }, 30_000);
  }

  it('the spaces differ: each clusters in its own geometry', async () => {
    const palettes = new Set<string>();
    for (const colorSpace of COLOR_SPACES) {
      palettes.add((await kmeans(img, { k: 6, seed: 1, colorSpace, backend: 'wasm' })).palette.map((p) => p.hex).sort().join());
    }
    expect(palettes.size).toBe(COLOR_SPACES.length);
  });
});

describe('kmeans-seg --color-space', () => {
  const BIN = path.join(ROOT, 'bin', 'kmeans-seg.js');
  let tmp: string;
  beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-cs-')); });
  afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });
  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });

  it.skipIf(!HAVE_PONYO)('clusters in the space given, like the API', async () => {
    const r = await run([PONYO, '-k', '5', '--seed', '2', '--color-space', 'lab', '-o', path.join(tmp, 'lab.png'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.colorSpace).toBe('lab');
    const api = await kmeans(await loadRGBA(PONYO), { k: 5, seed: 2, colorSpace: 'lab' });
    expect(s.palette.map((p: { hex: string }) => p.hex)).toEqual(api.palette.map((p) => p.hex));
    expect(s.inertia).toBe(api.inertia);
  });

  it.each(['hsv', 'LAB', ''])('refuses %j with exit 2, naming the choices', async (space) => {
    const r = await run([PONYO, '--color-space', space, '-o', path.join(tmp, 'x.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`kmeans-seg: error: Invalid value ${JSON.stringify(space)} for --color-space: expected rgb, linear-rgb, lab or oklab, e.g. --color-space rgb\n`);
  });
});
