// Tree helper (issue 12, target 3): Lloyd on the batch suite's small photos (~0.14 M colours each), the
// box tree against the flat pass with per-point bounds (tree: false), interleaved on this thread;
// per-pass medians and whether all give the same bits (labels, centroids, history).
// Usage: npx tsx bench/tree-small.ts [rounds] [files (default: the first 4 of bench/images/batch)] (env KERN_THREADS, TREE_K, TREE_VARIANTS)
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import sharp from 'sharp';
import '../src/node/platform.js';
import { buildHistogram } from '../src/core/histogram.js';
import { histogramPoints } from '../src/core/points.js';
import { initKMeansPlusPlus } from '../src/core/seeding.js';
import { lloyd } from '../src/core/lloyd.js';
import { Random } from '../src/core/random.js';
import { getKernel, terminateWorkers } from '../src/kernel/select.js';
import type { WasmKernel } from '../src/kernel/wasm/wasm-kernel.js';
import type { Points } from '../src/kernel/kernel.js';

const rounds = Number(process.argv[2] ?? 5);
const files = process.argv.slice(3).length ? process.argv.slice(3) : [0, 1, 2, 3].map((i) => `bench/images/batch/batch-0${i}.png`);
const threads = Number(process.env.KERN_THREADS ?? 1);
const k = Number(process.env.TREE_K ?? 16);
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;

async function pointsOf(file: string): Promise<Points> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const hist = buildHistogram(new Uint8Array(data), info.width * info.height);
  const p = histogramPoints(hist, 'rgb');
  const out = { ...p, w: Uint32Array.from(p.w!) };
  hist.release();
  return out;
}

const kernel = (await getKernel('wasm', threads)).kernel as WasmKernel;
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
// tree: the box tree as kmeans() opens it; flat: no tree, per-point bounds; seeded: the tree after k-means++ on the
// same session. TREE_VARIANTS picks some (default tree,flat).
const all = { tree: { tree: true }, flat: { tree: false }, seeded: { tree: true } } as const;
type Variant = keyof typeof all;
const names = (process.env.TREE_VARIANTS ?? 'tree,flat').split(',') as Variant[];
for (const file of files) {
  const points = await pointsOf(file);
  const s0 = kernel.open(points, k, threads);
  const init = initKMeansPlusPlus(points, k, new Random(1), s0.seeding);
  s0.dispose();
  const perPass: Record<string, number[]> = {}, lloydMs: Record<string, number[]> = {}, bits: Record<string, string> = {};
  let passes = 0;
  for (let r = -1; r < rounds; r++) {
    for (const name of r & 1 ? [...names].reverse() : names) {
      const s = kernel.open(points, k, threads, all[name]);
      // seeded: k-means++ on this session first, as kmeans() does.
      if (name === 'seeded') initKMeansPlusPlus(points, k, new Random(1), s.seeding);
      s.reset();
      const t0 = performance.now();
      const fit = lloyd(s, points, init, k, 300, 0.01);
      const ms = performance.now() - t0;
      bits[name] = createHash('sha256').update(s.labels).update(JSON.stringify([Array.from(fit.centroids), fit.history])).digest('hex').slice(0, 12);
      s.dispose();
      passes = fit.iterations;
      if (r < 0) continue;
      (perPass[name] ??= []).push(ms / fit.iterations);
      (lloydMs[name] ??= []).push(ms);
    }
  }
  console.log(`${file} (n ${points.n}, K ${k}, ${threads} threads, ${passes} passes): ${Object.keys(perPass).map((n) => `${n} ${med(lloydMs[n]!).toFixed(1)} ms (${med(perPass[n]!).toFixed(3)}/pass) bits ${bits[n]}`).join(' | ')}`);
}
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
await terminateWorkers();
