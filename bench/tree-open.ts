// Tree helper (issue 12): where opening a box-tree session goes, on this thread: every kernel export
// and a few host steps timed by wrapping them, summed per open, medians over rounds.
// Usage: npx tsx bench/tree-open.ts [rounds] [photo|file.png ...] (env KERN_THREADS, TREE_K)
import sharp from 'sharp';
import '../src/node/platform.js';
import { kernPhoto } from './kern-input.js';
import { buildHistogram } from '../src/core/histogram.js';
import { histogramPoints } from '../src/core/points.js';
import { getKernel, terminateWorkers } from '../src/kernel/select.js';
import type { Points } from '../src/kernel/kernel.js';
import { WasmKernel } from '../src/kernel/wasm/wasm-kernel.js';

const rounds = Number(process.argv[2] ?? 7);
const files = process.argv.slice(3).length ? process.argv.slice(3) : ['photo'];
const threads = Number(process.env.KERN_THREADS ?? 2);
const k = Number(process.env.TREE_K ?? 16);
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;

async function pointsOf(file: string): Promise<Points> {
  const img = file === 'photo' ? await kernPhoto()
    : await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true }).then(({ data, info }) => ({ data: new Uint8Array(data), width: info.width, height: info.height }));
  const hist = buildHistogram(img.data, img.width * img.height);
  const p = histogramPoints(hist, 'rgb');
  const out = { ...p, w: Uint32Array.from(p.w!) };
  hist.release();
  return out;
}

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
  const points = await pointsOf(file);
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
