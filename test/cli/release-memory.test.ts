// The CLI's release of the kernel's memory between clustering and encoding (src/cli/release-memory.ts):
// the kernels are forgotten and their memory can be collected, a later run builds a new kernel with
// the same bits, and small images keep theirs (the collection would cost more than it frees).
import { describe, expect, it } from 'vitest';
import { releaseKernelMemory, RELEASE_MIN_PIXELS } from '../../src/cli/release-memory.js';
import { kmeans } from '../../src/core/kmeans.js';
import { getKernel } from '../../src/kernel/select.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import '../../src/node/platform.js';
import type { RGBAImage } from '../../src/types.js';

/** A seeded image of many colours, large enough to take the pool's two threads. */
function noisy(width: number, height: number): RGBAImage {
  const data = new Uint8Array(width * height * 4);
  let s = 7;
  for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = i % 4 === 3 ? 255 : s >>> 24; }
  return { data, width, height };
}

const wasmKernel = async (): Promise<WasmKernel> => (await getKernel('wasm', 2)).kernel as WasmKernel;
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('releaseKernelMemory', () => {
  it('forgets the kernels, lets their memory be collected, and a later run gives the same bits', async () => {
    const img = noisy(512, 512);
    const opts = { k: 8, seed: 3, backend: 'wasm', threads: 2 } as const;
    const before = await kmeans(img, opts);
    let collected = false;
    const registry = new FinalizationRegistry(() => { collected = true; });
    // Registered from a closure, so that this test holds no reference to the kernel or its memory.
    await (async () => { registry.register((await wasmKernel()).memory, 'memory'); })();
    await releaseKernelMemory(RELEASE_MIN_PIXELS);
    for (let i = 0; i < 50 && !collected; i++) await tick();
    expect(collected).toBe(true);
    const after = await kmeans(img, opts);
    expect(after.centroids).toEqual(before.centroids);
    expect(Buffer.from(after.labels.buffer).equals(Buffer.from(before.labels.buffer))).toBe(true);
    expect(after.history).toEqual(before.history);
  });

  it('keeps the kernel below RELEASE_MIN_PIXELS', async () => {
    const kernel = await wasmKernel();
    await releaseKernelMemory(RELEASE_MIN_PIXELS - 1);
    expect(await wasmKernel()).toBe(kernel);
    await releaseKernelMemory(RELEASE_MIN_PIXELS);
    expect(await wasmKernel()).not.toBe(kernel);
  });
});
