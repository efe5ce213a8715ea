// Suite f: the worker-thread pool, threads 1 vs 2: one kernel pass over N random points, then full
// kmeans() with the histogram off (kernel-bound) and on (auto's choice for photos).
import '../src-platform.js';
import { kmeans } from '../../src/core/kmeans.js';
import { getKernel } from '../../src/kernel/select.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import type { KernelSession, Points } from '../../src/kernel/kernel.js';
import type { KMeansOptions } from '../../src/core/options.js';
import { Random } from '../../src/core/random.js';
import type { Inputs } from '../inputs.js';
import { fmt, gRate, runSuite, timing, warmUp, type Case, type Row } from '../lib.js';

/** One assign pass over N random RGB points, K = 16 and 64, on 1 and 2 threads of the pool. */
async function kernelThreads(quick: boolean): Promise<Row[]> {
  const n = quick ? 2_000_000 : 12_000_000;
  const rng = new Random(7);
  const points: Points = { x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), w: null, n };
  for (let i = 0; i < n; i++) { points.x[i] = rng.nextU32() & 255; points.y[i] = rng.nextU32() & 255; points.z[i] = rng.nextU32() & 255; }
  const cases: Case[] = [];
  for (const k of [16, 64]) {
    const centroids = new Float32Array(k * 3).map(() => rng.nextU32() & 255);
    for (const threads of [1, 2]) {
      const { kernel, threads: granted } = await getKernel('wasm', threads);
      let session: KernelSession | undefined;
      const name = `kernel pass, N=${n / 1e6}M K=${k}, ${granted} thread${granted === 1 ? '' : 's'}`;
      cases.push({
        name,
        // Without bounds: every pass compares every centroid (with them, repeated passes would settle).
        open: () => { session = (kernel as WasmKernel).open(points, k, granted, { bounds: false }); session.assign(centroids); session.assign(centroids); },
        fn: () => session!.assign(centroids),
        close: () => session?.dispose(),
      });
    }
  }
  console.log(`  threads: one kernel pass over ${n / 1e6}M points, 1 vs 2 threads`);
  const measured = await runSuite('threads', cases, timing(quick));
  const rows: Row[] = [];
  for (let i = 0; i < measured.length; i += 2) {
    const one = measured[i]!, two = measured[i + 1]!;
    const k = i < 2 ? 16 : 64;
    const r1 = gRate(n * k, one.median), r2 = gRate(n * k, two.median);
    rows.push({ suite: 'threads', scenario: one.name, seconds: one.median, rate: r1, ratio: 'baseline', raw: { ...one } });
    rows.push({ suite: 'threads', scenario: two.name, seconds: two.median, rate: r2, ratio: `${fmt(r2 / r1)}x vs 1 thread`, raw: { ...two } });
  }
  return rows;
}

/**
 * The kernel pass is where the pool splits the work; with the histogram on, single-threaded
 * histogram and labelling passes dominate, which is what a photo under `auto` sees.
 */
export async function threadsSuite(quick: boolean, inputs: Inputs): Promise<Row[]> {
  const kernelRows = await kernelThreads(quick);
  const { image, init, iterations, k, info } = inputs;
  const pixels = image.width * image.height;
  const label = `${info.width}x${info.height} K=${k}`;
  const passes = new Map<string, number>();
  const cases: Case[] = [];
  for (const histogram of [false, true]) {
    for (const threads of [1, 2]) {
      const name = `threads ${threads}, histogram ${histogram ? 'on' : 'off'}, ${label}`;
      const options = { init, maxIterations: iterations, tolerance: 0, histogram, threads } as KMeansOptions;
      const fn = async () => { passes.set(name, (await kmeans(image, options)).iterations); };
      await warmUp(fn, 1, 0);
      cases.push({ name, fn });
    }
  }
  // How many threads the pool really gives (workers may fail to start); read loosely, the API is new.
  const choice: unknown = await getKernel('auto', 2);
  const granted = (choice as { threads?: number }).threads ?? 1;
  console.log(`  threads: kmeans() ${label}, threads 1 vs 2 (the pool grants ${granted})`);
  const measured = await runSuite('threads', cases, timing(quick, true));
  const rows: Row[] = [];
  for (let i = 0; i < measured.length; i += 2) {
    const one = measured[i]!, two = measured[i + 1]!;
    const r1 = gRate(pixels * k * passes.get(one.name)!, one.median), r2 = gRate(pixels * k * passes.get(two.name)!, two.median);
    rows.push({ suite: 'threads', scenario: one.name, seconds: one.median, rate: r1, ratio: 'baseline', raw: { ...one } });
    rows.push({ suite: 'threads', scenario: two.name, seconds: two.median, rate: r2, ratio: `${fmt(r2 / r1)}x vs 1 thread`, note: `pool grants ${granted} threads`, raw: { ...two, granted } });
  }
  return [...kernelRows, ...rows];
}
