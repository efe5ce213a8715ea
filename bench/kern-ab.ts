// Kernel-only A/B (issue 12, kern helper): kmeans() fixed work (in this thread) on the 12 MP photo from src/, the
// histogram's loops on 1 thread (A: the default) against 2 (B: WasmKernel.histogramThreads = 2), interleaved in one
// process; per-stage medians and minima, and the bits of both (they must agree).
// Usage: npx tsx bench/kern-ab.ts [rounds]   (input: kern-input.ts)
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import '../src/node/platform.js';
import { kernPhoto } from './kern-input.js';
import { kmeans, terminateWorkers } from '../src/index.js';
import { WasmKernel } from '../src/kernel/wasm/wasm-kernel.js';
import type { KMeansResult } from '../src/types.js';

const image = await kernPhoto();
const rounds = Number(process.argv[2] ?? 7);
const own = WasmKernel.prototype.histogramEngine;
let histogramThreads = 1;
WasmKernel.prototype.histogramEngine = function (threads?: number, minPixels?: number) {
  this.histogramThreads = histogramThreads;
  return own.call(this, threads, minPixels);
};
const fp = (r: KMeansResult): string => createHash('sha256').update(r.labels as Uint8Array).update(JSON.stringify([r.centroids, r.history, r.iterations])).digest('hex').slice(0, 12);
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const first = await kmeans(image, { k: 16, seed: 1, maxIterations: 1, threads: 2 });
// worker: false: the run must use this thread's WasmKernel, whose histogramThreads the override sets
// (on a job worker, its own copy of the module would ignore it, and A would equal B).
const opts = { k: 16, init: first.centroids.map((c) => c.map(Math.round)), maxIterations: 20, tolerance: 0, threads: 2, worker: false };
const variants = { A: 1, B: 2 } as const;
const stats: Record<string, Record<string, number[]>> = { A: {}, B: {} };
const bits: Record<string, string> = {};
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
for (let r = -1; r < rounds; r++) {
  for (const [name, t] of Object.entries(variants)) {
    histogramThreads = t;
    const t0 = performance.now();
    const res = await kmeans(image, opts);
    const wall = performance.now() - t0;
    bits[name] = fp(res);
    if (process.env.KERN_VERBOSE) console.log(`  ${name} round ${r}: ${wall.toFixed(0)} ms`);
    if (r < 0) continue; // warm-up
    const tm = res.timings;
    for (const [k, v] of Object.entries({ wall, histogram: tm.histogram, lloyd: tm.lloyd, labels: tm.total - tm.histogram - tm.init - tm.lloyd })) (stats[name]![k] ??= []).push(v);
  }
}
for (const [name, s] of Object.entries(stats)) {
  console.log(`${name}: ${Object.entries(s).map(([k, v]) => `${k} ${med(v).toFixed(1)} (min ${Math.min(...v).toFixed(1)})`).join(' / ')}; bits ${bits[name]}`);
}
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
await terminateWorkers();
