// The histogram's per-pixel stages with the pixels copied through the slices (A, as a job worker did
// before) against pixels read in place from the kernel's input area (B, inputArea), on 1 and 2
// histogram threads, interleaved in this thread on the 12 MP photo: count + collect, and labels (u8),
// medians and minima; the checksums of both must agree.
// Usage: npx tsx bench/input-ab.ts [rounds]
import { loadavg } from 'node:os';
import '../src/node/platform.js';
import { buildHistogram, labelPixels } from '../src/core/histogram.js';
import { getKernel, terminateWorkers } from '../src/kernel/select.js';
import type { WasmKernel } from '../src/kernel/wasm/wasm-kernel.js';
import { kernPhoto } from './kern-input.js';

const image = await kernPhoto();
const rounds = Number(process.argv[2] ?? 7);
const pixels = image.width * image.height;
const kernel = (await getKernel('wasm', 2)).kernel as WasmKernel;
const at = kernel.histogramEngine(1)!.inputArea(image.data.length)!.byteOffset; // grows the memory: view it after
const inArea = new Uint8Array(kernel.memory.buffer, at, image.data.length);
inArea.set(image.data);
const labels = new Uint8Array(pixels);
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const rows: Record<string, Record<string, number[]>> = {};
const sums: Record<string, number> = {};

/** One histogram and labelling of `data` on `ht` histogram threads: its stage times and a checksum. */
function once(data: Uint8Array, ht: number): { hist: number; label: number; sum: number } {
  kernel.histogramThreads = ht;
  const t0 = performance.now();
  const h = buildHistogram(data, pixels, kernel.histogramEngine(2));
  const t1 = performance.now();
  const cl = Uint16Array.from({ length: h.n }, (_, i) => (Math.imul(h.keys[i]!, 2654435761) >>> 28) & 15);
  const t2 = performance.now();
  labelPixels(data, pixels, h, cl, 16, labels);
  const t3 = performance.now();
  let sum = h.n;
  for (let i = 0; i < h.n; i += 97) sum = (sum * 31 + h.keys[i]! + h.counts[i]!) >>> 0;
  for (let i = 0; i < pixels; i += 89) sum = (sum * 31 + labels[i]!) >>> 0;
  h.release();
  return { hist: t1 - t0, label: t3 - t2, sum };
}

console.log(`photo, load ${loadavg()[0]!.toFixed(1)}`);
for (let r = -2; r < rounds; r++) {
  for (const ht of [1, 2]) {
    for (const [name, data] of [['A copied', image.data], ['B in place', inArea]] as const) {
      const key = `${name}, ht ${ht}`;
      const { hist, label, sum } = once(data, ht);
      if (sums[ht] !== undefined && sums[ht] !== sum) throw new Error(`${key}: checksum ${sum}, not ${sums[ht]}`);
      sums[ht] = sum;
      if (r < 0) continue;
      const row = (rows[key] ??= { hist: [], label: [], sum: [] });
      row.hist!.push(hist); row.label!.push(label); row.sum!.push(hist + label);
    }
  }
}
for (const [key, row] of Object.entries(rows)) console.log(`${key}: ${Object.entries(row).map(([k, v]) => `${k} ${med(v).toFixed(1)} (min ${Math.min(...v).toFixed(1)})`).join(' / ')} ms`);
console.log(`load ${loadavg()[0]!.toFixed(1)}`);
await terminateWorkers();
