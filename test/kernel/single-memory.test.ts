/**
 * The plain-memory build (build/kmeans-single.wasm), for engines that refuse shared wasm memory
 * outside cross-origin isolation (Firefox, Safari): the same kernel source, so the same bits as the
 * shared build and the TS twin. Node accepts both, so the build is checked here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getKernel } from '../../src/kernel/select.js';
import { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { compileKernel } from '../../src/kernel/wasm/module.js';
import { kmeans, runKMeans } from '../../src/core/kmeans.js';
import { resolveOptions } from '../../src/core/options.js';
import { expectSameResult, imageArb, optionsArb } from '../helpers.js';

describe('the plain-memory wasm build', () => {
  it('instantiates over a plain memory, grows it, and gets no pool', async () => {
    const module = await compileKernel(undefined, 'single');
    const kernel = new WasmKernel(module);
    expect(kernel.shared).toBe(false);
    expect(kernel.memory.buffer).toBeInstanceOf(ArrayBuffer);
    const choice = await getKernel('wasm', 2, module);
    expect(choice.threads).toBe(1); // no shared memory, no workers
  });

  it('gives the same results as the TS twin on random images (120 cases), growth included', async () => {
    const choice = await getKernel('wasm', 1, await compileKernel(undefined, 'single'));
    expect((choice.kernel as WasmKernel).shared).toBe(false);
    await fc.assert(fc.asyncProperty(imageArb({ maxWidth: 40, maxHeight: 30 }), optionsArb(24), async (img, options) => {
      const single = runKMeans(img, resolveOptions({ ...options, backend: 'wasm' }), choice);
      expectSameResult(single, await kmeans(img, { ...options, backend: 'js' }));
    }), { seed: 77, numRuns: 120 });
  });
});
