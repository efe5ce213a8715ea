// Tree helper (issue 12): the box tree's Lloyd passes of two kernel builds (A, B: .wasm files) on one thread,
// alternated in blocks of a few passes over the very same centroids (those of a reference run), so that the
// machine's load falls on both alike; the median of the blocks' B/A time ratios, and whether both agree.
// Usage: npx tsx bench/tree-pass-ab.ts A.wasm B.wasm [blocks] [photo|file.png ...] (env TREE_K, TREE_MODE=fixed, TREE_BLOCK passes a block, TREE_FROM: the first timed pass, 0-based; default spread over the run)
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import '../src/node/platform.js';
import { med, referencePasses, treePoints } from './tree-input.js';
import { WasmKernel } from '../src/kernel/wasm/wasm-kernel.js';

const [fileA, fileB] = process.argv.slice(2, 4) as [string, string];
const blocks = Number(process.argv[4] ?? 40);
const inputs = process.argv.slice(5).length ? process.argv.slice(5) : ['photo'];
const k = Number(process.env.TREE_K ?? 16), per = Number(process.env.TREE_BLOCK ?? 5);
const kernels = [fileA, fileB].map((f) => new WasmKernel(new WebAssembly.Module(readFileSync(f))));

console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
for (const input of inputs) {
  const points = await treePoints(input);
  // The reference run's centroids, pass by pass (k-means++ then Lloyd to convergence on kernel A).
  const s0 = kernels[0]!.open(points, k, 1);
  // TREE_MODE=fixed: the fixed work's centroids ((i * 37 + 11) % 256) and 20 passes, as tree-parts.ts runs it.
  const fixed = process.env.TREE_MODE === 'fixed';
  const seq = referencePasses(s0, points, k, fixed);
  s0.dispose();
  const ratios: number[] = [], ms: number[][] = [[], []];
  let differ = 0;
  for (let b = 0; b < blocks; b++) {
    // Each block: a fresh session on each side, the first passes untimed up to a starting pass, then `per` timed passes.
    const from = process.env.TREE_FROM ? Number(process.env.TREE_FROM) : Math.min(seq.length - per, Math.floor((b * 7919) % Math.max(1, seq.length - per)));
    const took = [0, 0];
    const outcomes: string[] = [];
    for (const side of b & 1 ? [1, 0] : [0, 1]) {
      const s = kernels[side]!.open(points, k, 1);
      s.reset();
      for (let p = 0; p < from; p++) s.assign(seq[p]!);
      const t0 = performance.now();
      let out = '';
      for (let p = from; p < from + per; p++) { const o = s.assign(seq[p]!); out += `${o.inertiaQ},${o.changed};`; }
      took[side] = performance.now() - t0;
      outcomes[side] = out;
      s.dispose();
    }
    if (outcomes[0] !== outcomes[1]) differ++;
    ratios.push(took[1]! / took[0]!);
    ms[0]!.push(took[0]! / per); ms[1]!.push(took[1]! / per);
  }
  console.log(`${input} (n ${points.n}, K ${k}, ${seq.length} passes): A ${med(ms[0]!).toFixed(3)} B ${med(ms[1]!).toFixed(3)} ms a pass; B/A median ${med(ratios).toFixed(3)} (blocks ${blocks} of ${per}); outcomes differ in ${differ}`);
}
console.log(`load ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
