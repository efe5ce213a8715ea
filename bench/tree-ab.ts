// Tree helper (issue 12): tree-parts.ts's parts (open, k-means++, Lloyd, labels) for another copy of
// the source tree (A, at $KERN_BASE) and this one (B), interleaved in one process on this thread;
// medians and minima of wall time, and the bits of both (they must agree).
// Usage: KERN_BASE=/path/to/tree npx tsx bench/tree-ab.ts [rounds] [photo|file.png ...] (env KERN_THREADS, TREE_K, TREE_MODE=fixed,
// TREE_ONLY=seed: one Lloyd pass; TREE_SET_A / TREE_SET_B="treeSeedThreads=0,...": WasmKernel switches of either side, e.g. with
// KERN_BASE a copy of this very tree, this tree's switch off against on).
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import sharp from 'sharp';
import '../src/node/platform.js';
import { kernPhoto } from './kern-input.js';

const base = process.env.KERN_BASE;
if (!base) throw new Error('set KERN_BASE to another copy of the source tree');
const rounds = Number(process.argv[2] ?? 7);
const files = process.argv.slice(3).length ? process.argv.slice(3) : ['photo'];
const threads = Number(process.env.KERN_THREADS ?? 2);
const k = Number(process.env.TREE_K ?? 16);
const fixed = process.env.TREE_MODE === 'fixed';
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;

async function libOf(root: string) {
  if (root !== '..') await import(`${root}/src/node/platform.ts`);
  const at = (f: string) => (root === '..' ? `../src/${f}.js` : `${root}/src/${f}.ts`);
  return {
    hist: await import(at('core/histogram')), points: await import(at('core/points')), seeding: await import(at('core/seeding')),
    lloyd: await import(at('core/lloyd')), random: await import(at('core/random')), select: await import(at('kernel/select')),
  };
}
const libs = { A: await libOf(base), B: await libOf('..') };
const kernels = { A: (await libs.A.select.getKernel('wasm', threads)).kernel, B: (await libs.B.select.getKernel('wasm', threads)).kernel };
for (const side of ['A', 'B'] as const) {
  for (const set of (process.env[`TREE_SET_${side}`] ?? '').split(',').filter(Boolean)) {
    const [name, value] = set.split('=');
    (kernels[side] as unknown as Record<string, unknown>)[name!] = value === 'true' ? true : value === 'false' ? false : Number(value);
  }
}
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
for (const file of files) {
  const img = file === 'photo' ? await kernPhoto()
    : await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true }).then(({ data, info }) => ({ data: new Uint8Array(data), width: info.width, height: info.height }));
  const hist = libs.B.hist.buildHistogram(img.data, img.width * img.height);
  const p = libs.B.points.histogramPoints(hist, 'rgb');
  const points = { ...p, w: Uint32Array.from(p.w!) };
  hist.release();
  const stats: Record<string, Record<string, number[]>> = { A: {}, B: {} };
  const bits: Record<string, string> = {};
  for (let r = -1; r < rounds; r++) {
    for (const name of (r & 1 ? ['B', 'A'] : ['A', 'B']) as ('A' | 'B')[]) {
      const lib = libs[name], kernel = kernels[name];
      const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
      const c0 = cpu(), t0 = performance.now();
      const s = kernel.open(points, k, threads);
      const t1 = performance.now(), c1 = cpu();
      const init = fixed ? Float32Array.from({ length: k * 3 }, (_, i) => (i * 37 + 11) % 256) : lib.seeding.initKMeansPlusPlus(points, k, new lib.random.Random(1), s.seeding);
      const t2 = performance.now(), c2 = cpu();
      s.reset();
      // TREE_ONLY=seed: one Lloyd pass only (k-means++ and the build measured, many more rounds).
      const fit = lib.lloyd.lloyd(s, points, init, k, process.env.TREE_ONLY === 'seed' ? 1 : fixed ? 20 : 300, fixed ? 0 : 0.01);
      const t3 = performance.now(), c3 = cpu();
      const labels = s.labels.slice();
      const t4 = performance.now();
      s.dispose();
      bits[name] = createHash('sha256').update(labels).update(JSON.stringify([Array.from(init), Array.from(fit.centroids), fit.history, fit.iterations])).digest('hex').slice(0, 12);
      if (r < 0) continue;
      // CPU time (all threads; with one thread, the pool's workers sleep): steadier than wall time on a busy machine.
      const row = { cpuOpen: c1 - c0, cpuSeed: c2 - c1, cpuLloyd: c3 - c2, open: t1 - t0, seed: t2 - t1, lloyd: t3 - t2, perPass: (t3 - t2) / fit.iterations, labels: t4 - t3, all: t4 - t0 };
      for (const [n, v] of Object.entries(row)) (stats[name]![n] ??= []).push(v);
    }
  }
  console.log(`${file} (n ${points.n}, K ${k}${fixed ? ' fixed' : ''}, ${threads} threads)`);
  for (const [name, s] of Object.entries(stats)) {
    console.log(`  ${name}: ${Object.entries(s).map(([n, v]) => `${n} ${med(v).toFixed(2)} (min ${Math.min(...v).toFixed(2)})`).join(' / ')}; bits ${bits[name]}`);
  }
  const ratio = (n: string) => (med(stats.B![n]!) / med(stats.A![n]!)).toFixed(3);
  console.log(`  B/A medians: ${Object.keys(stats.A!).map((n) => `${n} ${ratio(n)}`).join(' / ')}`);
}
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
await libs.A.select.terminateWorkers();
await libs.B.select.terminateWorkers();
