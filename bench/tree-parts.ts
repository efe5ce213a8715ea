// Tree helper (issue 12): the parts of kmeans()'s clustering on the wasm kernel, in this thread (no
// job worker): opening the session (the box tree's build), k-means++, the Lloyd passes, the labels
// gathered back, for the 12 MP photo or PNG files. Medians over rounds, and a fingerprint of the bits.
// Usage: npx tsx bench/tree-parts.ts [rounds] [photo|photo/m|file.png ...] (photo/m: every m-th colour of the photo;
// env KERN_THREADS, TREE_K, TREE_MODE=fixed, TREE_WRAP=1: time each kernel export, TREE_ALTERNATE=threads: 1 and KERN_THREADS
// threads in alternate rounds, TREE_MIN_POINTS: the kernel's treeThreadsMinPoints)
import { createHash } from 'node:crypto';
import '../src/node/platform.js';
import { med, treePoints } from './tree-input.js';
import { initKMeansPlusPlus } from '../src/core/seeding.js';
import { lloyd } from '../src/core/lloyd.js';
import { Random } from '../src/core/random.js';
import { getKernel, terminateWorkers } from '../src/kernel/select.js';

const rounds = Number(process.argv[2] ?? 5);
const files = process.argv.slice(3).length ? process.argv.slice(3) : ['photo'];
const threads = Number(process.env.KERN_THREADS ?? 2);
const k = Number(process.env.TREE_K ?? 16);
const fixed = process.env.TREE_MODE === 'fixed';

const { kernel } = await getKernel('wasm', threads);
// TREE_MIN_POINTS: the kernel's treeThreadsMinPoints (fewest points for which a tree's passes take the pool).
if (process.env.TREE_MIN_POINTS) (kernel as unknown as { treeThreadsMinPoints: number }).treeThreadsMinPoints = Number(process.env.TREE_MIN_POINTS);
// TREE_WRAP=1: time every kernel export called on this thread (sums per round, medians printed).
const spent = new Map<string, number>();
if (process.env.TREE_WRAP) {
  const holder = kernel as unknown as { exports: Record<string, unknown> };
  const wrapped: Record<string, unknown> = { ...holder.exports };
  holder.exports = wrapped;
  for (const [name, f] of Object.entries(wrapped)) {
    if (typeof f !== 'function') continue;
    wrapped[name] = (...a: unknown[]) => { const t = performance.now(); try { return (f as (...b: unknown[]) => unknown)(...a); } finally { const key = name === 'seedTree' ? `seedTree${a[4]}` : name; spent.set(key, (spent.get(key) ?? 0) + performance.now() - t); } };
  }
}
for (const file of files) {
  const points = await treePoints(file);
  const rows: Record<string, number[]> = { open: [], seed: [], lloyd: [], perPass: [], labels: [] };
  let fp = '', passes = 0;
  for (let r = -1; r < rounds; r++) {
    spent.clear();
    const t0 = performance.now();
    // TREE_ALTERNATE=threads: one thread in odd rounds, `threads` in even ones (medians of each printed apart).
    const s = kernel.open(points, k, process.env.TREE_ALTERNATE === 'threads' && (r & 1) ? 1 : threads);
    const t1 = performance.now();
    const init = fixed ? Float32Array.from({ length: k * 3 }, (_, i) => (i * 37 + 11) % 256) : initKMeansPlusPlus(points, k, new Random(1), s.seeding);
    const t2 = performance.now();
    s.reset();
    const fit = lloyd(s, points, init, k, fixed ? 20 : 300, fixed ? 0 : 0.01);
    const t3 = performance.now();
    const labels = s.labels.slice();
    const t4 = performance.now();
    s.dispose();
    passes = fit.iterations;
    fp = createHash('sha256').update(labels).update(JSON.stringify([Array.from(init), Array.from(fit.centroids), fit.history])).digest('hex').slice(0, 12);
    if (r < 0) continue;
    for (const [n, v] of spent) (rows[n] ??= []).push(v);
    if (process.env.TREE_ALTERNATE === 'threads') (rows[r & 1 ? 'perPass1' : `perPass${threads}`] ??= []).push((t3 - t2) / passes);
    rows.open!.push(t1 - t0); rows.seed!.push(t2 - t1); rows.lloyd!.push(t3 - t2); rows.perPass!.push((t3 - t2) / passes); rows.labels!.push(t4 - t3);
  }
  console.log(`${file} (n ${points.n}, K ${k}${fixed ? ' fixed' : ''}, ${threads} threads): ${Object.entries(rows).map(([n, v]) => `${n} ${med(v).toFixed(2)}`).join(' / ')} ms; ${passes} passes; bits ${fp}`);
}
await terminateWorkers();
