// Kernel-only A/B (issue 12, kern helper): kmeans() from another copy of the source tree (A, at
// $KERN_BASE, e.g. this tree with the kernel files at HEAD) against this tree's (B), interleaved in one
// process on the 12 MP photo; per-stage medians and minima, and the bits of both (they must agree).
// Usage: KERN_BASE=/path/to/tree npx tsx bench/kern-ab-tree.ts [rounds] [fixed|default16|default64]
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import '../src/node/platform.js';
import { kernPhoto } from './kern-input.js';
import * as B from '../src/index.js';
import type { KMeansResult } from '../src/types.js';

const base = process.env.KERN_BASE;
if (!base) throw new Error('set KERN_BASE to another copy of the source tree (say, this one with the kernel files at HEAD and its wasm built)');
await import(`${base}/src/node/platform.ts`);
const A = (await import(`${base}/src/index.ts`)) as typeof B;
const image = await kernPhoto();
const rounds = Number(process.argv[2] ?? 7);
const mode = process.argv[3] ?? 'fixed';
const fp = (r: KMeansResult): string => createHash('sha256').update(r.labels as Uint8Array).update(JSON.stringify([r.centroids, r.history, r.iterations])).digest('hex').slice(0, 12);
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const first = await B.kmeans(image, { k: 16, seed: 1, maxIterations: 1, threads: 2 });
const opts = mode === 'fixed' ? { k: 16, init: first.centroids.map((c) => c.map(Math.round)), maxIterations: 20, tolerance: 0, threads: Number(process.env.KERN_THREADS ?? 2) }
  : { k: mode === 'default64' ? 64 : 16, threads: Number(process.env.KERN_THREADS ?? 2) };
const stats: Record<string, Record<string, number[]>> = { A: {}, B: {} };
const bits: Record<string, string> = {};
console.log(`${mode}; load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
for (let r = -1; r < rounds; r++) {
  for (const [name, lib] of (process.env.KERN_SWAP ? [['B', B], ['A', A]] : [['A', A], ['B', B]]) as [string, typeof B][]) {
    const t0 = performance.now();
    const res = await lib.kmeans(image, opts);
    const wall = performance.now() - t0;
    bits[name] = fp(res);
    if (r < 0) continue; // warm-up
    const tm = res.timings;
    for (const [k, v] of Object.entries({ wall, histogram: tm.histogram, init: tm.init, lloyd: tm.lloyd, labels: tm.total - tm.histogram - tm.init - tm.lloyd })) (stats[name]![k] ??= []).push(v);
  }
}
for (const [name, s] of Object.entries(stats)) {
  console.log(`${name}: ${Object.entries(s).map(([k, v]) => `${k} ${med(v).toFixed(1)} (min ${Math.min(...v).toFixed(1)})`).join(' / ')}; bits ${bits[name]}`);
}
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
await A.terminateWorkers();
await B.terminateWorkers();
