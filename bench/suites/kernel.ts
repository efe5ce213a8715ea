/**
 * Suite a: one assign pass (distance to every centroid, argmin, sums, labels) over N random RGB points:
 * the SIMD wasm kernel, a scalar wasm build of the same pass (assembly/assign-scalar.ts, built for this
 * comparison only) and the pure-TS twin, through the Kernel API the Lloyd loop uses.
 *
 * The wasm builds move a point's sums only when its label changes. Passes with the same centroids
 * change no label, which is what Lloyd's later passes look like; the "every label moves" row is the
 * other extreme (the centroids' order rotates each pass, so every point changes cluster). These rows
 * open wasm sessions without bounds, so that every pass compares every centroid; the "bounds" rows
 * show what Lloyd's passes cost with them: a pass that writes the bounds, and one they settle.
 */
import '../src-platform.js';
import { jsKernel } from '../../src/kernel/js.js';
import { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import { compileKernel } from '../../src/kernel/wasm/module.js';
import type { Kernel, KernelSession, Points } from '../../src/kernel/kernel.js';
import { Random } from '../../src/core/random.js';
import { fmt, gRate, runSuite, timing, warmUp, type Case, type Row } from '../lib.js';

function randomPoints(n: number, rng: Random): Points {
  const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n);
  for (let i = 0; i < n; i++) { x[i] = rng.nextU32() & 255; y[i] = rng.nextU32() & 255; z[i] = rng.nextU32() & 255; }
  return { x, y, z, w: null, n };
}

const prefix = (p: Points, n: number): Points => ({ x: p.x.subarray(0, n), y: p.y.subarray(0, n), z: p.z.subarray(0, n), w: null, n });
const mega = (n: number): string => `${+(n / 1e6).toFixed(2)}M`;

/** What the cases share: the points, the wasm kernel, and each case's distance evaluations per pass. */
interface Bench { rng: Random; all: Points; maxN: number; wasm: WasmKernel; evals: Map<string, number> }

export async function kernelSuite(quick: boolean): Promise<Row[]> {
  const rng = new Random(42);
  const maxN = quick ? 1_000_000 : 12_000_000;
  const ks = quick ? [16, 64] : [4, 16, 64, 256];
  const all = randomPoints(maxN, rng);
  const wasm = new WasmKernel(await compileKernel());
  const scalar = new WasmKernel(await compileKernel(new URL('../../build/kmeans-scalar.wasm', import.meta.url)));
  const kernels: [string, Kernel][] = [['wasm', wasm], ['wasm-scalar', scalar], ['js', jsKernel]];
  const bench: Bench = { rng, all, maxN, wasm, evals: new Map() };

  const rows: Row[] = [coldRow(bench)];
  const cases: Case[] = [];
  for (const k of ks) cases.push(...await passCases(bench, kernels, k, quick));
  cases.push(...extremeCases(bench));
  console.log('  kernel: one assign pass over random RGB points (f32 planes)');
  const measured = await runSuite('kernel', cases, timing(quick));
  for (const k of ks) rows.push(...rowsForK(measured, bench.evals, k));
  return rows;
}

/** Cold: the very first big pass, before any warm-up (the backend probe ran only 21 points). */
function coldRow({ rng, all, maxN, wasm }: Bench): Row {
  const c = new Float32Array(16 * 3).map(() => rng.nextU32() & 255);
  const s = wasm.open(prefix(all, maxN), 16);
  const t0 = performance.now();
  s.assign(c);
  const cold = (performance.now() - t0) / 1000;
  s.dispose();
  return { suite: 'kernel', scenario: `wasm cold first call, N=${mega(maxN)} K=16`, seconds: cold, rate: gRate(maxN * 16, cold), note: 'before warm-up (baseline tier)' };
}

/** One plain pass (no bounds, labels settled) for each kernel at this K. */
async function passCases({ rng, all, maxN, evals }: Bench, kernels: [string, Kernel][], k: number, quick: boolean): Promise<Case[]> {
  // The TS twin runs at ~0.1 G/s: cap its work per call (N x K) so one call stays near a second.
  const jsBudget = quick ? 32e6 : 128e6;
  const cases: Case[] = [];
  const centroids = new Float32Array(k * 3).map(() => rng.nextU32() & 255);
  for (const [label, kernel] of kernels) {
    const n = label === 'js' ? Math.min(maxN, Math.round(jsBudget / k)) : maxN;
    const points = prefix(all, n);
    // Warm the function on a small session for this K (tier-up is per function, not per data).
    const small = kernel.open(prefix(all, 50_000), k);
    await warmUp(() => small.assign(centroids), 3, quick ? 50 : 200);
    small.dispose();
    let session: KernelSession | undefined;
    const name = `${label} N=${mega(n)} K=${k}`;
    evals.set(name, n * k);
    cases.push({
      name,
      open: () => { session = kernel instanceof WasmKernel ? kernel.open(points, k, 1, { bounds: false }) : kernel.open(points, k); session.assign(centroids); },
      fn: () => session!.assign(centroids),
      close: () => { session!.dispose(); session = undefined; },
    });
  }
  return cases;
}

/** At K = 16: a pass where every label moves, and with bounds a full pass and a settled one. */
function extremeCases({ rng, all, maxN, wasm, evals }: Bench): Case[] {
  const cases: Case[] = [];
  // Same distances every pass, but the labels rotate: every point's sums move from one cluster to another.
  const k = 16;
  const c = new Float32Array(k * 3).map(() => rng.nextU32() & 255);
  const rotated = Float32Array.from({ length: k * 3 }, (_, i) => c[(i + 3) % (k * 3)]!);
  let session: KernelSession | undefined;
  let flip = false;
  const name = `wasm N=${mega(maxN)} K=${k}, every label moves`;
  evals.set(name, maxN * k);
  cases.push({
    name,
    open: () => { session = wasm.open(prefix(all, maxN), k, 1, { bounds: false }); session.assign(c); },
    fn: () => { flip = !flip; return session!.assign(flip ? rotated : c); },
    close: () => { session!.dispose(); session = undefined; },
  });
  // With bounds: a pass that must check every point (and writes its bound), and a pass with the
  // same centroids, where the bounds settle all but the points next to a tie.
  for (const settled of [false, true]) {
    const name = `wasm N=${mega(maxN)} K=${k}, bounds, ${settled ? 'settled pass' : 'full pass'}`;
    evals.set(name, maxN * k);
    cases.push({
      name,
      open: () => { session = wasm.open(prefix(all, maxN), k); session.assign(c); },
      fn: () => { if (!settled) session!.labelsChanged(); return session!.assign(c); },
      close: () => { session!.dispose(); session = undefined; },
    });
  }
  return cases;
}

type Measured = Awaited<ReturnType<typeof runSuite>>;

/** The rows for one K: the TS twin as baseline, the scalar build, the SIMD kernel (and at K = 16 the extremes). */
function rowsForK(measured: Measured, evals: Map<string, number>, k: number): Row[] {
  const rows: Row[] = [];
  const byName = new Map(measured.map((m) => [m.name, m]));
  const get = (kind: string) => measured.find((m) => m.name.startsWith(`${kind} `) && m.name.endsWith(` K=${k}`))!;
  const w = get('wasm'), sc = get('wasm-scalar'), j = get('js');
  const rate = (m: typeof w) => gRate(evals.get(m.name)!, m.median);
  const wr = rate(w), sr = rate(sc), jr = rate(j);
  rows.push({ suite: 'kernel', scenario: j.name, seconds: j.median, rate: jr, ratio: 'baseline', raw: { ...byName.get(j.name) } });
  rows.push({ suite: 'kernel', scenario: sc.name, seconds: sc.median, rate: sr, ratio: `${fmt(sr / jr)}x vs js`, raw: { ...byName.get(sc.name) } });
  rows.push({ suite: 'kernel', scenario: w.name, seconds: w.median, rate: wr, ratio: `${fmt(wr / jr)}x vs js, ${fmt(wr / sr)}x vs scalar`, note: 'labels settled', raw: { ...byName.get(w.name) } });
  if (k === 16) {
    for (const m of measured.filter((x) => x.name.includes(', '))) {
      const r = rate(m);
      rows.push({ suite: 'kernel', scenario: m.name, seconds: m.median, rate: r, ratio: `${fmt(r / jr)}x vs js, ${fmt(r / wr)}x vs labels settled without bounds`, note: m.name.includes('settled') ? 'effective rate' : '', raw: { ...m } });
    }
  }
  return rows;
}
