// KernelSession.takeLabels: the last pass's labels, kept past dispose(). Whatever the session (TS, wasm
// flat, wasm box tree), they equal its labels, and neither a next session over the same memory nor its
// passes change them: the tree and the TS session hand over their own array, a flat wasm session a copy
// (its labels live in the kernel's memory, where the next session writes).
import { afterAll, describe, expect, it } from 'vitest';
import { jsKernel } from '../../src/kernel/js.js';
import type { Kernel, Points } from '../../src/kernel/kernel.js';
import { terminateWorkers } from '../../src/kernel/select.js';
import { twoKernels } from './kernels.js';

afterAll(async () => { await terminateWorkers(); });

/** n seeded weighted colour points on the integer grid. */
function colours(n: number, seed: number): Points {
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n), w = new Uint32Array(n);
  let s = seed;
  const next = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s >>> 24; };
  for (let i = 0; i < n; i++) { x[i] = next(); y[i] = next(); z[i] = next(); w[i] = 1 + (next() & 7); }
  return { x, y, z, w, n };
}

const centroidsOf = (k: number, shift: number): Float32Array => Float32Array.from({ length: k * 3 }, (_, i) => (i * 37 + shift) % 256);

describe('takeLabels', () => {
  it('keeps the last pass labels past dispose, on the TS kernel and the wasm flat and tree sessions', async () => {
    const { wasm } = await twoKernels();
    const points = colours(20_000, 9);
    const cases: [string, Kernel, { tree?: boolean }][] = [['js', jsKernel, {}], ['wasm flat', wasm, { tree: false }], ['wasm tree', wasm, { tree: true }]];
    for (const [what, kernel, how] of cases) {
      const open = (k: number) => (kernel === wasm ? wasm.open(points, k, 1, how) : kernel.open(points, k, 1));
      const session = open(7);
      session.assign(centroidsOf(7, 0));
      session.assign(centroidsOf(7, 5));
      const want = session.labels.slice();
      const taken = session.takeLabels();
      expect(Buffer.from(taken.buffer, taken.byteOffset, taken.byteLength).equals(Buffer.from(want.buffer)), `${what}: the labels`).toBe(true);
      session.dispose();
      // A next session over the same memory, with other labels, must leave the taken ones alone.
      const next = open(3);
      next.assign(centroidsOf(3, 11));
      expect(next.labels.some((l, i) => l !== want[i]), `${what}: the next session's labels differ`).toBe(true);
      next.dispose();
      expect(Buffer.from(taken.buffer, taken.byteOffset, taken.byteLength).equals(Buffer.from(want.buffer)), `${what}: unchanged by the next session`).toBe(true);
    }
  });
});
