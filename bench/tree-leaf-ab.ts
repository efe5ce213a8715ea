// Tree helper (issue 12): the box tree's leaf size, bitsFor's threshold treeShape.fineWork at $TREE_FINE_WORK (A, default 0:
// the leaf size of n alone) against its default (B), in
// one process ($KERN_THREADS threads, default 1): opening (interleaved), and Lloyd's passes alternated in blocks over the very
// same centroids (a reference run's); medians of wall and CPU time, and whether both agree pass by pass.
// Usage: npx tsx bench/tree-leaf-ab.ts [blocks] [photo|photo/m|file.png ...] (env KERN_THREADS, TREE_K, TREE_MODE=fixed, TREE_BLOCK passes a block, TREE_FINE_WORK)
import { loadavg } from 'node:os';
import sharp from 'sharp';
import '../src/node/platform.js';
import { kernPhoto } from './kern-input.js';
import { buildHistogram } from '../src/core/histogram.js';
import { histogramPoints } from '../src/core/points.js';
import { initKMeansPlusPlus } from '../src/core/seeding.js';
import { lloyd } from '../src/core/lloyd.js';
import { Random } from '../src/core/random.js';
import { getKernel, terminateWorkers } from '../src/kernel/select.js';
import { treeShape } from '../src/kernel/wasm/tree.js';
import type { KernelSession, Points } from '../src/kernel/kernel.js';

const blocks = Number(process.argv[2] ?? 20);
const inputs = process.argv.slice(3).length ? process.argv.slice(3) : ['photo'];
const k = Number(process.env.TREE_K ?? 16), per = Number(process.env.TREE_BLOCK ?? 5), fine = Number(process.env.TREE_FINE_WORK ?? 0);
const fixed = process.env.TREE_MODE === 'fixed';
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const threads = Number(process.env.KERN_THREADS ?? 1);
const { kernel } = await getKernel('wasm', threads);
const rule = treeShape.fineWork;

async function pointsOf(file: string): Promise<Points> {
  const img = file.startsWith('photo') ? await kernPhoto()
    : await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true }).then(({ data, info }) => ({ data: new Uint8Array(data), width: info.width, height: info.height }));
  const hist = buildHistogram(img.data, img.width * img.height);
  const p = histogramPoints(hist, 'rgb');
  // photo/m: every m-th colour of the photo (smaller sets of the same kind).
  const m = Number(file.split('/')[1] ?? 1);
  const pick = <T extends Float32Array | Uint32Array>(a: T): T => a.filter((_, i) => i % m === 0) as T;
  const out = m > 1 ? { x: pick(p.x), y: pick(p.y), z: pick(p.z), w: pick(p.w!), n: Math.ceil(p.n / m) } : { ...p, w: Uint32Array.from(p.w!) };
  hist.release();
  return out;
}

console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
for (const input of inputs) {
  const points = await pointsOf(input);
  treeShape.fineWork = rule;
  const s0 = kernel.open(points, k, threads);
  const init = fixed ? Float32Array.from({ length: k * 3 }, (_, i) => (i * 37 + 11) % 256) : initKMeansPlusPlus(points, k, new Random(1), s0.seeding);
  s0.reset();
  const seq: Float32Array[] = [];
  const rec: KernelSession = Object.create(s0, { assign: { value: (c: Float32Array) => { seq.push(Float32Array.from(c)); return s0.assign(c); } } });
  lloyd(rec, points, init, k, fixed ? 20 : 300, fixed ? 0 : 0.01);
  s0.dispose();
  const rows: Record<string, number[]> = {};
  const push = (key: string, v: number) => (rows[key] ??= []).push(v);
  let differ = 0;
  for (let b = 0; b < blocks; b++) {
    const from = Math.min(seq.length - per, Math.floor((b * 7919) % Math.max(1, seq.length - per)));
    const outcomes: string[] = [];
    for (const side of b & 1 ? [1, 0] : [0, 1]) {
      treeShape.fineWork = side ? rule : fine;
      const name = side ? 'B' : 'A';
      const c0 = cpu(), t0 = performance.now();
      const s = kernel.open(points, k, threads);
      push(`${name} open`, performance.now() - t0); push(`${name} cpuOpen`, cpu() - c0);
      s.reset();
      for (let p = 0; p < from; p++) s.assign(seq[p]!);
      const c1 = cpu(), t1 = performance.now();
      let out = '';
      for (let p = from; p < from + per; p++) { const o = s.assign(seq[p]!); out += `${o.inertiaQ},${o.changed};`; }
      push(`${name} pass`, (performance.now() - t1) / per); push(`${name} cpuPass`, (cpu() - c1) / per);
      outcomes[side] = out;
      s.dispose();
    }
    if (outcomes[0] !== outcomes[1]) differ++;
  }
  const m = (key: string) => med(rows[key]!);
  console.log(`${input} (n ${points.n}, K ${k}${fixed ? ' fixed' : ''}, ${threads} threads, ${seq.length} passes, fineWork ${fine} vs ${rule}): open ${m('A open').toFixed(2)} -> ${m('B open').toFixed(2)} (cpu ${m('A cpuOpen').toFixed(2)} -> ${m('B cpuOpen').toFixed(2)}); pass ${m('A pass').toFixed(3)} -> ${m('B pass').toFixed(3)} (cpu ${m('A cpuPass').toFixed(3)} -> ${m('B cpuPass').toFixed(3)}) ms; outcomes differ in ${differ}`);
}
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
await terminateWorkers();
