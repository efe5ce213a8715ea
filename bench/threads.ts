/**
 * Suite f: the worker-thread pool, threads 1 vs 2, on full kmeans() with the histogram off (the
 * kernel-bound case, where threads should pay) and on (auto's choice for photos).
 *
 * TODO(threads): written against the planned `threads` option (an integer, 1 = no workers). It runs
 * only once src/options.ts has `threads` in defaultOptions; check the option's name and meaning
 * when it lands, and remove this note.
 */
import { kmeans } from '../src/kmeans.js';
import { getKernel } from '../src/backend.js';
import type { KMeansOptions } from '../src/options.js';
import type { Inputs } from './inputs.js';
import { fmt, gRate, runSuite, timing, warmUp, type Case, type Row } from './lib.js';

export async function threadsSuite(quick: boolean, inputs: Inputs): Promise<Row[]> {
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
  return rows;
}
