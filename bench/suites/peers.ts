// Suite c: kmeans-seg against the npm K-means packages people reach for (ml-kmeans, skmeans), on the
// same pixels, from the same initial centroids, for the same number of passes.
import '../src-platform.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { kmeans as mlKMeans } from 'ml-kmeans';
import skmeans from 'skmeans';
import { kmeans } from '../../src/core/kmeans.js';
import type { RGBAImage } from '../../src/types.js';
import { subset, type Inputs } from '../inputs.js';
import { RESULTS_DIR, fmt, gRate, labelInertia, oneThread, relDiff, runSuite, timing, warmUp, type Measured, type Row } from '../lib.js';

interface Outcome { labels: ArrayLike<number>; iterations: number }
type Runners = Record<string, () => Outcome | Promise<Outcome>>;

/**
 * The peers take number[][] and run at ~0.1 G/s, so they get every `peerStride`-th pixel; kmeans-seg
 * runs on that subset too (for the inertia check and a same-data rate) and on the whole image.
 * Speedups are ratios of rates.
 */
export async function peersSuite(quick: boolean, inputs: Inputs): Promise<Row[]> {
  const { image, iterations, k, info, peerStride } = inputs;
  const sub = subset(image, peerStride);
  const n = sub.width;
  const runners = makeRunners(inputs, sub);
  const outcomes = new Map<string, Outcome>();
  for (const [name, fn] of Object.entries(runners)) await warmUp(async () => { outcomes.set(name, await fn()); }, 1, 0);

  const full = `${info.width}x${info.height}`;
  const part = `${n.toLocaleString('en')} px (every ${peerStride}th)`;
  const names: Record<string, string> = {
    'kmeans-seg full': `kmeans-seg (auto, 1 thread), ${full} K=${k}`,
    'kmeans-seg subset': `kmeans-seg (auto, 1 thread), ${part} K=${k}`,
    'ml-kmeans subset': `ml-kmeans 7, ${part} K=${k}`,
    'skmeans subset': `skmeans 0.11, ${part} K=${k}`,
  };
  console.log(`  peers: ${iterations} passes from the same ${k} centroids; peers on ${part}`);
  const measured = await runSuite('peers', Object.keys(runners).map((key) => ({ name: names[key]!, fn: runners[key]! })), timing(quick, true));

  const points: Record<string, number> = { 'kmeans-seg full': image.width * image.height };
  const rate = (key: string, i: number) => gRate((points[key] ?? n) * k * outcomes.get(key)!.iterations, measured[i]!.median);
  const keys = Object.keys(runners);
  const rates = Object.fromEntries(keys.map((key, i) => [key, rate(key, i)]));
  const inertia = (labels: ArrayLike<number>): number => labelInertia(sub.data, 4, labels, k);
  const against = { rates, inertia, refInertia: inertia(outcomes.get('kmeans-seg subset')!.labels) };
  const rows = keys.map((key, i) => peerRow(key, measured[i]!, outcomes.get(key)!, against));
  await saveBaseline(inputs, measured[0]!.median, rates['kmeans-seg full']!, outcomes.get('kmeans-seg full')!);
  return rows;
}

/** kmeans-seg on the whole image and on the subset, and each peer on the subset, from the same centroids. */
function makeRunners({ image, init, iterations, k }: Inputs, sub: RGBAImage): Runners {
  const data: number[][] = Array.from({ length: sub.width }, (_, i) => [sub.data[i * 4]!, sub.data[i * 4 + 1]!, sub.data[i * 4 + 2]!]);
  const copyInit = () => init.map((c) => [...c]); // skmeans writes into the array it is given
  const seg = async (img: RGBAImage): Promise<Outcome> => {
    const r = await kmeans(img, { ...oneThread(), init, maxIterations: iterations, tolerance: 0 });
    return { labels: r.labels, iterations: r.iterations };
  };
  return {
    'kmeans-seg full': () => seg(image),
    'kmeans-seg subset': () => seg(sub),
    'ml-kmeans subset': () => {
      const r = mlKMeans(data, k, { initialization: copyInit(), maxIterations: iterations, tolerance: 0 });
      return { labels: r.clusters, iterations: r.iterations };
    },
    'skmeans subset': () => {
      const r = skmeans(data, k, copyInit(), iterations);
      return { labels: r.idxs, iterations: r.it };
    },
  };
}

interface Against {
  rates: Record<string, number>;
  /** Inertia of labels on the subset (see labelInertia), and kmeans-seg's there. */
  inertia(labels: ArrayLike<number>): number;
  refInertia: number;
}

/** One row of the table; a peer's row says its speedup and how far its inertia is from kmeans-seg's. */
function peerRow(key: string, m: Measured, o: Outcome, { rates, inertia: inertiaOf, refInertia }: Against): Row {
  const row: Row = { suite: 'peers', scenario: m.name, seconds: m.median, rate: rates[key], raw: { ...m, iterations: o.iterations } };
  if (key.startsWith('kmeans-seg')) {
    row.note = `${o.iterations} passes`;
    if (key === 'kmeans-seg subset') row.note += `; inertia ${refInertia.toExponential(6)}`;
  } else {
    const inertia = inertiaOf(o.labels);
    const d = relDiff(inertia, refInertia);
    row.ratio = `seg ${fmt(rates['kmeans-seg full']! / rates[key]!)}x (full) / ${fmt(rates['kmeans-seg subset']! / rates[key]!)}x (same data)`;
    row.note = `${o.iterations} passes; inertia rel. diff ${d.toExponential(1)}`;
    row.raw = { ...row.raw, inertia, inertiaRelDiff: d };
  }
  return row;
}

/** For bench/peers.py: kmeans-seg's figures on the whole image, its baseline, added to init.json. */
async function saveBaseline({ image, k }: Inputs, seconds: number, rate: number, whole: Outcome): Promise<void> {
  const initFile = path.join(RESULTS_DIR, 'init.json');
  const saved = JSON.parse(await fs.readFile(initFile, 'utf8')) as Record<string, unknown>;
  saved.kmeansSeg = {
    pixels: image.width * image.height, seconds, rate, passes: whole.iterations,
    labelInertia: labelInertia(image.data, 4, whole.labels, k), threads: 1,
  };
  await fs.writeFile(initFile, JSON.stringify(saved, null, 1) + '\n');
}
