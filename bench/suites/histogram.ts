// Suite b: full kmeans() on the test image with the exact colour histogram on and off, from the same
// centroids for the same passes. Invariant checked: both answers are identical; only the time differs.
import '../src-platform.js';
import { kmeans } from '../../src/core/kmeans.js';
import type { KMeansResult } from '../../src/types.js';
import type { Inputs } from '../inputs.js';
import { fmt, gRate, median, oneThread, runSuite, timing, warmUp, type Row } from '../lib.js';

// The four stages every run reports (a result may carry more, such as regions, when asked for them).
type Stage = 'histogram' | 'init' | 'lloyd' | 'total';

/** The histogram is an exact rewrite of the sum over pixels, so any difference in the answers is a bug (and is reported). */
export async function histogramSuite(quick: boolean, inputs: Inputs): Promise<Row[]> {
  const { image, init, iterations, k, info } = inputs;
  const pixels = image.width * image.height;
  // The first result of each mode (for the identity check) and every call's stage timings.
  const first = new Map<boolean, KMeansResult>();
  const timings = new Map<boolean, KMeansResult['timings'][]>([[true, []], [false, []]]);
  const run = async (histogram: boolean) => {
    const r = await kmeans(image, { ...oneThread(), init, maxIterations: iterations, tolerance: 0, histogram });
    if (!first.has(histogram)) first.set(histogram, r);
    timings.get(histogram)!.push(r.timings);
  };
  for (const h of [true, false]) await warmUp(() => run(h), 1, 0);
  const label = `${info.width}x${info.height} K=${k}`;
  console.log(`  histogram: kmeans() ${label}, ${iterations} passes from fixed centroids, histogram on vs off`);
  const measured = await runSuite('histogram', [
    { name: `histogram on, ${label}`, fn: () => run(true) },
    { name: `histogram off, ${label}`, fn: () => run(false) },
  ], timing(quick, true));

  const a = first.get(true)!, b = first.get(false)!;
  const same = a.inertia === b.inertia && a.iterations === b.iterations && a.history.every((v, i) => v === b.history[i]) &&
    a.centroids.every((c, j) => c.every((v, d) => v === b.centroids[j]![d]));
  if (!same) console.log(`  WARNING: histogram on/off disagree: inertia ${a.inertia} vs ${b.inertia}, iterations ${a.iterations} vs ${b.iterations}`);
  const stages = (h: boolean) => Object.fromEntries((['histogram', 'init', 'lloyd', 'total'] as Stage[]).map((s) => [s, median(timings.get(h)!.map((t) => t[s]))]));
  const rows: Row[] = [];
  const [mOn, mOff] = measured as [typeof measured[0], typeof measured[0]];
  const rOn = gRate(pixels * k * a.iterations, mOn.median), rOff = gRate(pixels * k * b.iterations, mOff.median);
  const sOn = stages(true), sOff = stages(false);
  const split = (s: Record<string, number>) => `hist ${fmt(s.histogram!)} / lloyd ${fmt(s.lloyd!)} / other ${fmt(s.total! - s.histogram! - s.lloyd! - s.init!)} ms`;
  rows.push({ suite: 'histogram', scenario: mOff.name, seconds: mOff.median, rate: rOff, ratio: 'baseline', note: split(sOff), raw: { ...mOff, stages: sOff, inertia: b.inertia, iterations: b.iterations } });
  rows.push({
    suite: 'histogram', scenario: mOn.name, seconds: mOn.median, rate: rOn, ratio: `${fmt(rOn / rOff)}x vs off`,
    note: `${split(sOn)}; ${info.distinctColours.toLocaleString('en')} colours; inertia ${same ? 'identical' : 'DIFFERS'}`,
    raw: { ...mOn, stages: sOn, inertia: a.inertia, iterations: a.iterations, identical: same },
  });
  return rows;
}
