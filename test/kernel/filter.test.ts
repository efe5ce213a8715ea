/**
 * Proof tests of the filtering pass over the box tree (assembly/filter.ts): after every pass, its
 * labels, sums, changed count and inertia are checked against a full pass of the TS twin (assignJS,
 * which compares every point with every centroid). Near ties on purpose: centroids equidistant from
 * lattice colours (pairs mirrored about them, midpoints on box faces), duplicated centroids, centroids
 * on box corners, centroids creeping by one f32 step; and Lloyd's own sequences on random and real
 * images in every colour space, K = 1, 2, 16, 64, 255, one thread and two.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoKernels } from './kernels.js';
import { terminateWorkers } from '../../src/kernel/select.js';
import type { KernelSession, Points } from '../../src/kernel/kernel.js';
import { assignJS, jsSeeding } from '../../src/kernel/js.js';
import { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { bitsFor } from '../../src/kernel/wasm/tree.js';
import { compileKernel } from '../../src/kernel/wasm/module.js';
import { initKMeansPlusPlus } from '../../src/core/seeding.js';
import { lloyd } from '../../src/core/lloyd.js';
import { buildHistogram } from '../../src/core/histogram.js';
import { histogramPoints } from '../../src/core/points.js';
import { COLOR_SPACES, type ColorSpace } from '../../src/core/colorspace.js';
import { Random } from '../../src/core/random.js';
import { HAVE_IMAGES, loadRGBA, noiseImage, sharedImageNames } from '../helpers.js';
import type { RGBAImage } from '../../src/types.js';

let wasm: WasmKernel;
let pooled: WasmKernel;
beforeAll(async () => {
  ({ wasm, pooled } = await twoKernels());
  pooled.treeThreadsMinPoints = 0; // small trees split over the pool too, whatever the default
});
afterAll(async () => { await terminateWorkers(); });

/** What the checked passes saw: passes, points settled whole by their leaf, points in all. */
interface Seen { passes: number; settled: number; points: number }

/**
 * A tree session whose every pass is checked against a full pass of the TS twin, on its own copy of
 * the labels (which follows labels the caller changes: relocation). Fails the test on any difference.
 */
function checked(points: Points, k: number, threads: number, seen: Seen, what: string): KernelSession {
  const session = (threads > 1 ? pooled : wasm).open(points, k, threads, { tree: true });
  expect(session.threads, `${what}: threads`).toBe(threads);
  const labels = new Uint16Array(points.n).fill(0xffff);
  const sums = new Float64Array(k * 4);
  return {
    get threads() { return session.threads; },
    get settled() { return session.settled; },
    get labels() { return session.labels; },
    get sums() { return session.sums; },
    seeding: session.seeding,
    assign(centroids) {
      const want = assignJS(points, centroids, k, labels, sums);
      const got = session.assign(centroids);
      const at = `${what}, pass ${seen.passes + 1}`;
      expect(Object.is(got.inertiaQ, want.inertiaQ), `${at}: inertia ${got.inertiaQ} vs ${want.inertiaQ}`).toBe(true);
      expect(got.changed, `${at}: changed`).toBe(want.changed);
      const mine = session.labels;
      const wrong = labels.findIndex((l, i) => l !== mine[i]);
      expect(wrong, `${at}: label of point ${wrong}: ${mine[wrong]} vs ${labels[wrong]}`).toBe(-1);
      const bad = sums.findIndex((v, i) => !Object.is(v, session.sums[i]));
      expect(bad, `${at}: sum ${bad}: ${session.sums[bad]} vs ${sums[bad]}`).toBe(-1);
      seen.passes++;
      seen.settled += session.settled;
      seen.points += points.n;
      return got;
    },
    reset() { session.reset(); labels.fill(0xffff); },
    labelsChanged() { session.labelsChanged(); labels.set(session.labels); },
    takeLabels: () => session.takeLabels(),
    dispose() { session.dispose(); },
  };
}

function histogramOf(img: RGBAImage, space: ColorSpace): Points {
  const h = buildHistogram(img.data, img.width * img.height);
  try {
    const p = histogramPoints(h, space);
    return { ...p, w: Uint32Array.from(p.w!) };
  } finally {
    h.release();
  }
}

/** Lloyd's passes (relocation of empty clusters included) from k-means++ centres, every pass checked. */
function lloydChecked(points: Points, k: number, threads: number, seen: Seen, what: string, iterations = 12): void {
  const session = checked(points, k, threads, seen, what);
  try {
    const init = initKMeansPlusPlus(points, k, new Random(k * 7 + threads), jsSeeding(points));
    lloyd(session, points, init, k, iterations, 0);
  } finally {
    session.dispose();
  }
}

/** k-means++ centres from the TS twin, the reference every backend must draw. */
function oldCentres(points: Points, k: number): Float32Array {
  return initKMeansPlusPlus(points, k, new Random(3), jsSeeding(points));
}

/** One f32 step from v towards +dir (dir +1 or -1). */
function ulp(v: number, dir: number): number {
  if (v === 0) return Math.fround(dir * 2 ** -149);
  const f = new Float32Array([v]), b = new Int32Array(f.buffer);
  b[0]! += (v >= 0) === (dir > 0) ? 1 : -1;
  return f[0]!;
}

describe('filtering passes agree with full passes, pass by pass', () => {
  it('Lloyd on histograms of random images, every colour space, K = 1, 2, 16, 64, 255', () => {
    const seen: Seen = { passes: 0, settled: 0, points: 0 };
    for (const space of COLOR_SPACES) {
      const points = histogramOf(noiseImage(150, 90, 3, 40), space);
      expect(points.n).toBeGreaterThan(8000);
      for (const k of [1, 2, 16, 64, 255]) lloydChecked(points, k, 1, seen, `${space} K=${k}`, k > 64 ? 4 : 10);
    }
    // The pruning must have worked, or this proves nothing: whole leaves settled in most passes.
    expect(seen.settled / seen.points).toBeGreaterThan(0.1);
  }, 240_000);

  it('the same over a pool of 2 threads (the tree split into units)', () => {
    const seen: Seen = { passes: 0, settled: 0, points: 0 };
    for (const space of ['rgb', 'oklab'] as const) {
      const points = histogramOf(noiseImage(200, 120, 8, 48), space);
      for (const k of [16, 64]) lloydChecked(points, k, 2, seen, `${space} K=${k}, 2 threads`);
    }
    expect(seen.settled / seen.points).toBeGreaterThan(0.1);
  }, 120_000);

  it('near ties: mirrored pairs about lattice colours, midpoints on box faces, duplicates, box corners, creeping by one f32 step', () => {
    // Every lattice colour of the block [20, 48)^3, and the colours (0, 0, 0) and (255, 255, 255):
    // 8 cells an axis for this many points, so leaves of side 32 from 0, box faces at multiples of 32.
    const side = 28, n = side ** 3 + 2;
    expect(bitsFor(n)).toBe(3);
    const points: Points = { x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), w: new Uint32Array(n), n };
    for (let i = 0; i < n - 2; i++) {
      points.x[i] = 20 + (i % side); points.y[i] = 20 + (Math.floor(i / side) % side); points.z[i] = 20 + Math.floor(i / side / side);
      points.w![i] = 1 + ((i * 2654435761) >>> 28);
    }
    points.x[n - 1] = 255; points.y[n - 1] = 255; points.z[n - 1] = 255; points.w![n - 1] = 1; points.w![n - 2] = 1;
    const sets: number[][][] = [
      // Pairs mirrored about lattice planes x = 32 (a box face), x = 28 and y = 40: every point on them is a tie.
      [[30, 30, 30], [34, 30, 30], [26, 30, 30], [40, 38, 40], [40, 42, 40]],
      // The same pairs with a duplicate of each, and a third centroid on a box corner.
      [[30, 30, 30], [30, 30, 30], [34, 30, 30], [34, 30, 30], [32, 32, 32]],
      // Mirrored about a lattice point (one tie each), off the grid by half a unit and by 1/256.
      [[25.5, 29, 29], [24.5, 29, 29], [33, 33 + 1 / 256, 22], [33, 33 - 1 / 256, 22], [44, 44, 44], [20, 20, 20]],
      // Sixteen centroids on the box face z = 32, four of them on a box edge x = 32.
      Array.from({ length: 16 }, (_, j) => [j % 4 === 3 ? 32 : 20 + 4 * (j % 4), 20 + 8 * Math.floor(j / 4), 32]),
    ];
    let seenTies = 0;
    const seen: Seen = { passes: 0, settled: 0, points: 0 };
    for (const [s, set] of sets.entries()) {
      const k = set.length;
      const c = Float32Array.from(set.flat());
      for (const threads of [1, 2]) {
        if (threads === 2 && n * k < 1 << 18) continue;
        const session = checked(points, k, threads, seen, `set ${s}, ${threads} thread(s)`);
        try {
          let step = 0;
          // Unchanged, then each coordinate one f32 step either way and back, then a drift of 1/256.
          for (const move of [0, 0, 1, -1, -1, 1, 0, 1 / 256, -1 / 256, 0]) {
            const next = Float32Array.from(c, (v, i) => (move === 0 ? v : Math.abs(move) === 1 ? ((i + step) % 3 === 0 ? ulp(v, move) : v) : Math.fround(v + move)));
            c.set(next);
            session.assign(c);
            step++;
          }
        } finally {
          session.dispose();
        }
        seenTies++;
      }
    }
    expect(seenTies).toBeGreaterThanOrEqual(4);
    expect(seen.settled).toBeGreaterThan(0);
  }, 120_000);

  it('on the plain-memory build, whose buffer each growth detaches (a tree session grows twice as it opens)', async () => {
    const single = new WasmKernel(await compileKernel(undefined, 'single'));
    expect(single.shared).toBe(false);
    const points = histogramOf(noiseImage(160, 100, 12, 40), 'oklab');
    const k = 16;
    const session = single.open(points, k, 1, { tree: true });
    try {
      const labels = new Uint16Array(points.n).fill(0xffff), sums = new Float64Array(k * 4);
      const want = oldCentres(points, k), got = initKMeansPlusPlus(points, k, new Random(3), session.seeding);
      expect(Array.from(got)).toEqual(Array.from(want));
      let c = got;
      for (let pass = 0; pass < 6; pass++) {
        const a = assignJS(points, c, k, labels, sums), b = session.assign(c);
        expect(b).toEqual(a);
        expect(Array.from(session.labels)).toEqual(Array.from(labels));
        expect(Array.from(session.sums)).toEqual(Array.from(sums));
        c = Float32Array.from({ length: k * 3 }, (_, i) => (sums[Math.floor(i / 3) * 4 + 3]! > 0 ? sums[Math.floor(i / 3) * 4 + (i % 3)]! / sums[Math.floor(i / 3) * 4 + 3]! : c[i]!));
      }
      expect(session.settled).toBeGreaterThan(0);
    } finally {
      session.dispose();
    }
  });

  it('reset() and labels changed by the caller (every label shuffled, its sums moved): the next pass still agrees', () => {
    const points = histogramOf(noiseImage(90, 70, 21, 32), 'lab');
    const k = 12;
    const seen: Seen = { passes: 0, settled: 0, points: 0 };
    const session = checked(points, k, 1, seen, 'relabelled');
    try {
      const c = initKMeansPlusPlus(points, k, new Random(5), jsSeeding(points));
      session.assign(c);
      session.assign(c);
      // Move every 7th point to another cluster, with its sums (as relocation does).
      const labels = session.labels, sums = session.sums;
      for (let i = 0; i < points.n; i += 7) {
        const from = labels[i]!, to = (from + 1) % k, wi = points.w![i]!;
        labels[i] = to;
        const p = [points.x[i]!, points.y[i]!, points.z[i]!];
        for (let d = 0; d < 3; d++) { sums[from * 4 + d] -= p[d]! * wi; sums[to * 4 + d] += p[d]! * wi; }
        sums[from * 4 + 3] -= wi; sums[to * 4 + 3] += wi;
      }
      session.labelsChanged();
      session.assign(c);
      session.assign(c);
      session.reset();
      session.assign(c);
      session.assign(c);
    } finally {
      session.dispose();
    }
  });

  it.skipIf(!HAVE_IMAGES)('Lloyd on the shared images\' histograms, every colour space, K = 16 and 64, one thread and two', async () => {
    const seen: Seen = { passes: 0, settled: 0, points: 0 };
    for (const name of sharedImageNames().slice(0, 2)) {
      const img = await loadRGBA(name);
      for (const space of COLOR_SPACES) {
        const points = histogramOf(img, space);
        for (const k of [16, 64]) lloydChecked(points, k, k === 64 ? 2 : 1, seen, `${name} ${space} K=${k}`, 8);
      }
    }
    expect(seen.settled / seen.points).toBeGreaterThan(0.1);
  }, 300_000);
});
