/**
 * When backend 'auto' cannot run the wasm kernel, the TS twin runs (same bits, several times slower)
 * and result.warnings says so and why; an explicit backend 'js', or a wasm kernel that loads, warns nothing.
 */
import { describe, expect, it } from 'vitest';
import { kmeans, runKMeans } from '../../src/core/kmeans.js';
import { resolveOptions } from '../../src/core/options.js';
import { getKernel } from '../../src/kernel/select.js';

const data = new Uint8Array(4 * 400);
for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 73 + (i >> 2) * 11) % 256;
const image = { data, width: 20, height: 20 };

describe('the TS fallback is reported', () => {
  it("'auto' with a kernel that cannot load warns with the reason, and gives the wasm kernel's bits", async () => {
    const opts = resolveOptions({ k: 5, seed: 2 });
    const choice = await getKernel('auto', 1, new URL('file:///nonexistent-kmeans-seg/kmeans.wasm'));
    expect(choice.kernel.name).toBe('js');
    const fell = runKMeans(image, opts, choice);
    expect(fell.warnings).toHaveLength(1);
    expect(fell.warnings[0]).toMatch(/^the wasm kernel could not run \(.*nonexistent-kmeans-seg.*\), so the TS kernel ran instead/);
    const wasm = await kmeans(image, { k: 5, seed: 2, backend: 'wasm', threads: 1 });
    expect(wasm.warnings).toEqual([]);
    expect(Array.from(fell.labels)).toEqual(Array.from(wasm.labels));
    expect(fell.centroids).toEqual(wasm.centroids);
  });

  it("an explicit backend 'js' is no fallback: no warning", async () => {
    expect((await kmeans(image, { k: 5, seed: 2, backend: 'js' })).warnings).toEqual([]);
  });
});
