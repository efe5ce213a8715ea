// Tree helper (issue 12): the box tree's leaf size, bitsFor's threshold treeShape.fineWork at $TREE_FINE_WORK (A, default 0:
// the leaf size of n alone) against its default (B), in
// one process ($KERN_THREADS threads, default 1): opening (interleaved), and Lloyd's passes alternated in blocks over the very
// same centroids (a reference run's); medians of wall and CPU time, and whether both agree pass by pass.
// Usage: npx tsx bench/tree-leaf-ab.ts [blocks] [photo|photo/m|file.png ...] (env KERN_THREADS, TREE_K, TREE_MODE=fixed, TREE_BLOCK passes a block, TREE_FINE_WORK)
import { loadavg } from 'node:os';
import '../src/node/platform.js';
import { med, referencePasses, treePoints } from './tree-input.js';
import { getKernel, terminateWorkers } from '../src/kernel/select.js';
import { treeShape } from '../src/kernel/wasm/tree.js';

const blocks = Number(process.argv[2] ?? 20);
const inputs = process.argv.slice(3).length ? process.argv.slice(3) : ['photo'];
const k = Number(process.env.TREE_K ?? 16), per = Number(process.env.TREE_BLOCK ?? 5), fine = Number(process.env.TREE_FINE_WORK ?? 0);
const fixed = process.env.TREE_MODE === 'fixed';
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const threads = Number(process.env.KERN_THREADS ?? 1);
const { kernel } = await getKernel('wasm', threads);
const rule = treeShape.fineWork;

console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
for (const input of inputs) {
  const points = await treePoints(input);
  treeShape.fineWork = rule;
  const s0 = kernel.open(points, k, threads);
  const seq = referencePasses(s0, points, k, fixed);
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
