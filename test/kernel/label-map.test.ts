// Where the histogram's label map goes (mapAt in src/kernel/wasm/histogram-engine.ts): after a session
// it lies over that session's dead pages past the engine's end, not over the table. Stale bytes there
// must not change a label, the table and flags must be all zero after every run either way, and a
// run whose memory does not reach far enough keeps the map over the table.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { slotOf } from '../../src/core/histogram.js';
import { kmeans } from '../../src/core/kmeans.js';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import { HISTOGRAM } from '../../src/kernel/wasm/memory.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { expectSameResult, noiseImage } from '../helpers.js';

vi.setConfig({ testTimeout: 120_000 });
afterAll(async () => { await terminateWorkers(); });

const kernelOf = async (threads: number): Promise<WasmKernel> => (await getKernel('wasm', threads)).kernel as WasmKernel;

/** Whether the table and the flags are all zero (what the next count needs). */
function histogramClean(memory: WebAssembly.Memory): boolean {
  const table = new Uint32Array(memory.buffer, HISTOGRAM.table, 1 << 24);
  const flags = new Uint32Array(memory.buffer, HISTOGRAM.flags, 1 << 18);
  return table.every((v) => v === 0) && flags.every((v) => v === 0);
}

describe('the label map', () => {
  it('lies over the last session past the engine, with the same labels as the TS kernel, and leaves the table clean', async () => {
    // About 0.75 M colours in 1.5 M pixels (so the histogram path): a session of about 24 MB, more than the u8 map's 16 MiB.
    const img = noiseImage(1536, 1024, 11, 100, 1);
    for (const threads of [1, 2]) {
      const kernel = await kernelOf(threads);
      for (const k of [5, 9]) { // the second run's map lands on the first's session bytes
        const options = { k, seed: 4, maxIterations: 4, tolerance: 0, threads };
        const wasm = await kmeans(img, { ...options, backend: 'wasm' });
        expectSameResult(wasm, await kmeans(img, { ...options, backend: 'js' }), `threads ${threads}, k ${k}`);
        expect(histogramClean(kernel.memory), `threads ${threads}, k ${k}: table and flags zero`).toBe(true);
        // The map's bytes are there: each pixel's colour slot, past the engine's end, holds its label.
        const end = kernel.histogramEngine()!.end;
        const map = new Uint8Array(kernel.memory.buffer, end, 1 << 24);
        for (let p = 0; p < 4096; p += 7) {
          const o = p * 4;
          if (img.data[o + 3] === 0) continue;
          const slot = slotOf(img.data[o]! | (img.data[o + 1]! << 8) | (img.data[o + 2]! << 16));
          if (map[slot] !== wasm.labels[p]) expect(map[slot], `pixel ${p}`).toBe(wasm.labels[p]);
        }
      }
    }
  });

  it('with u16 entries and too little memory past the engine (the map over the table): the same labels, and a clean table', async () => {
    const img = noiseImage(256, 256, 12, 64, 2); // about 60 K colours: a session far below the u16 map's 32 MiB
    const options = { k: 300, seed: 5, maxIterations: 2, tolerance: 0, threads: 1 };
    const kernel = await kernelOf(1);
    const wasm = await kmeans(img, { ...options, backend: 'wasm' });
    expectSameResult(wasm, await kmeans(img, { ...options, backend: 'js' }), 'u16 labels');
    expect(histogramClean(kernel.memory)).toBe(true);
  });
});
