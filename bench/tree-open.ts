// Tree helper (issue 12): where opening a box-tree session goes, on this thread: every kernel export
// and a few host steps timed by wrapping them, summed per open, medians over rounds.
// Usage: npx tsx bench/tree-open.ts [rounds] [photo|file.png ...] (env KERN_THREADS, TREE_K)
import '../src/node/platform.js';
import { med, treePoints } from './tree-input.js';
import { getKernel, terminateWorkers } from '../src/kernel/select.js';
import { WasmKernel } from '../src/kernel/wasm/wasm-kernel.js';

const rounds = Number(process.argv[2] ?? 7);
const files = process.argv.slice(3).length ? process.argv.slice(3) : ['photo'];
const threads = Number(process.env.KERN_THREADS ?? 2);
const k = Number(process.env.TREE_K ?? 16);

const { kernel } = await getKernel('wasm', threads);
const wk = kernel as WasmKernel;
const spent = new Map<string, number>();
const holder = wk as unknown as { exports: Record<string, unknown> };
const exportsOf: Record<string, unknown> = { ...holder.exports };
holder.exports = exportsOf;
for (const [name, f] of Object.entries(exportsOf)) {
  if (typeof f !== 'function') continue;
  exportsOf[name] = (...a: unknown[]) => { const t = performance.now(); try { return (f as (...b: unknown[]) => unknown)(...a); } finally { spent.set(name, (spent.get(name) ?? 0) + performance.now() - t); } };
}
for (const file of files) {
  const points = await treePoints(file);
  const rows = new Map<string, number[]>();
  for (let r = -2; r < rounds; r++) {
    spent.clear();
    const t0 = performance.now();
    const s = kernel.open(points, k, threads);
    const t1 = performance.now();
    s.reset();
    const t2 = performance.now();
    s.dispose();
    if (r < 0) continue;
    const all = { open: t1 - t0, reset: t2 - t1, ...Object.fromEntries(spent) };
    for (const [n, v] of Object.entries(all)) { if (!rows.has(n)) rows.set(n, []); rows.get(n)!.push(v); }
  }
  console.log(`${file} (n ${points.n}): ${[...rows].map(([n, v]) => `${n} ${med(v).toFixed(2)}`).join(' / ')} ms`);
}
await terminateWorkers();
