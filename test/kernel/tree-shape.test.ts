/**
 * The box tree's leaf size (bitsFor in src/kernel/wasm/tree.ts): which grid each session gets, and
 * that a session of the coarser grid (one thread, n k below treeShape.fineWork) gives every pass the
 * full pass's labels, sums, changed count and inertia, and the same as the finer grid would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoKernels } from './kernels.js';
import { terminateWorkers } from '../../src/kernel/select.js';
import type { Points } from '../../src/kernel/kernel.js';
import { assignJS } from '../../src/kernel/js.js';
import { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { bitsFor, treeShape } from '../../src/kernel/wasm/tree.js';

let wasm: WasmKernel, pooled: WasmKernel;
beforeAll(async () => { ({ wasm, pooled } = await twoKernels()); });
afterAll(async () => { await terminateWorkers(); });

/** n distinct integer colours spread over the cube (one in every `step` keys, jittered), weights 1..16 with ties. */
function colours(n: number): Points {
  const step = Math.floor((1 << 24) / n);
  const p: Points = { x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), w: new Uint32Array(n), n };
  for (let i = 0; i < n; i++) {
    const key = i * step + (((i * 2654435761) >>> 0) % step);
    p.x[i] = key >>> 16; p.y[i] = (key >>> 8) & 255; p.z[i] = key & 255;
    p.w![i] = 1 + (((i * 40503) >>> 0) % 16);
  }
  return p;
}

/** f() with bitsFor's threshold at `work` (0: the leaf size of n alone). */
function withFineWork<T>(work: number, f: () => T): T {
  const saved = treeShape.fineWork;
  treeShape.fineWork = work;
  try { return f(); } finally { treeShape.fineWork = saved; }
}

describe('the box tree leaf size', () => {
  it('is coarser while n k < 2^25, from the n rule alone otherwise', () => {
    expect(treeShape.fineWork).toBe(2 ** 25);
    // Below ~58 K points 3 bits, then 4, and from ~463 K the n rule's 5: kept from n k >= 2^25.
    expect(bitsFor(50_000, 16)).toBe(3);
    expect(bitsFor(143_405, 16)).toBe(4);
    expect(bitsFor(143_405, 64)).toBe(4);
    expect(bitsFor(467_587, 16)).toBe(4);
    expect(bitsFor(467_587, 64)).toBe(4);
    expect(bitsFor(1_402_759, 16)).toBe(4);
    expect(bitsFor(1_402_759, 32)).toBe(5);
    expect(bitsFor(1_402_759, 64)).toBe(5);
    expect(bitsFor(4_000_000, 4)).toBe(5);
    expect(bitsFor(4_000_000, 16)).toBe(6);
    expect(withFineWork(0, () => bitsFor(1_402_759, 16))).toBe(5);
  });

  it('coarser grid, on one thread and on two: every pass as the full pass and as the finer grid', () => {
    const n = 480_000, k = 16;
    const points = colours(n);
    expect(bitsFor(n, k)).toBe(4);
    // The finer grid's passes first (a session holds the kernel until disposed), Lloyd's means between them.
    const fine = withFineWork(0, () => wasm.open(points, k, 1, { tree: true }));
    const seq: Float32Array[] = [], outcomes: string[] = [];
    let centroids = Float32Array.from({ length: k * 3 }, (_, i) => (i * 37 + 11) % 256 + (i % 3) / 4);
    try {
      for (let pass = 0; pass < 4; pass++) {
        seq.push(centroids);
        const o = fine.assign(centroids);
        outcomes.push(`${o.inertiaQ} ${o.changed} ${Array.from(fine.sums).join(',')}`);
        const sums = fine.sums, prev = centroids;
        centroids = Float32Array.from({ length: k * 3 }, (_, i) => { const j = Math.floor(i / 3), w = sums[j * 4 + 3]!; return w > 0 ? sums[j * 4 + (i % 3)]! / w : prev[i]!; });
      }
      outcomes.push(Array.from(fine.labels).join(','));
    } finally {
      fine.dispose();
    }
    for (const [kernel, threads] of [[wasm, 1], [pooled, 2]] as const) {
      const coarse = kernel.open(points, k, threads, { tree: true });
      try {
        const labels = new Uint16Array(n).fill(0xffff), sums = new Float64Array(k * 4);
        seq.forEach((c, pass) => {
          const at = `${threads} threads, pass ${pass + 1}`;
          const want = assignJS(points, c, k, labels, sums);
          const got = coarse.assign(c);
          expect(Object.is(got.inertiaQ, want.inertiaQ), `${at}: inertia ${got.inertiaQ} vs ${want.inertiaQ}`).toBe(true);
          expect(got.changed, `${at}: changed`).toBe(want.changed);
          expect(coarse.labels.findIndex((l, i) => l !== labels[i]), `${at}: labels`).toBe(-1);
          expect(Array.from(coarse.sums), `${at}: sums`).toEqual(Array.from(sums));
          expect(`${got.inertiaQ} ${got.changed} ${Array.from(coarse.sums).join(',')}`, `${at}: as the finer grid`).toBe(outcomes[pass]);
          // Whole leaves settled: the coarse tree pruned.
          expect(coarse.settled, `${at}: settled`).toBeGreaterThan(n / 10);
        });
        expect(Array.from(coarse.labels).join(',')).toBe(outcomes[seq.length]);
      } finally {
        coarse.dispose();
      }
    }
  }, 120_000);
});
