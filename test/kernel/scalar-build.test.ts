/**
 * build/kmeans-scalar.wasm exists only for the benchmark (SIMD against plain wasm); the comparison
 * is fair only if it computes the same pass. One assign pass, against the TS twin, on random points.
 */
import { describe, expect, it } from 'vitest';
import { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { compileKernel } from '../../src/kernel/wasm/module.js';
import { jsKernel } from '../../src/kernel/js.js';
import { Random } from '../../src/core/random.js';
import type { KernelSession, Points } from '../../src/kernel/kernel.js';
import '../helpers.js';

describe('the scalar wasm build (benchmark only)', () => {
  it('gives the TS twin\'s labels, sums, inertia and change count', async () => {
    const scalar = new WasmKernel(await compileKernel(new URL('../../build/kmeans-scalar.wasm', import.meta.url)));
    const rng = new Random(3);
    for (const [n, k, weighted] of [[1001, 7, false], [4099, 16, true], [37, 1, true]] as const) {
      const p: Points = { x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), w: weighted ? new Uint32Array(n) : null, n };
      for (let i = 0; i < n; i++) {
        p.x[i] = rng.nextInt(8) * 32; p.y[i] = rng.nextInt(256); p.z[i] = rng.nextInt(4); // ties are common
        if (p.w) p.w[i] = 1 + rng.nextInt(1000);
      }
      const centroids = Float32Array.from({ length: k * 3 }, () => rng.nextInt(256));
      const run = (s: KernelSession): unknown => {
        const out = s.assign(centroids);
        const answer = [out, Array.from(s.labels), Array.from(s.sums)];
        s.dispose();
        return answer;
      };
      expect(run(scalar.open(p, k)), `n=${n} k=${k}`).toEqual(run(jsKernel.open(p, k)));
    }
  });
});
