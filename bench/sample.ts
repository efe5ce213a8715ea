/**
 * Sampling against the exact run where every pixel is a point (spatialWeight > 0): time and inertia
 * of `sample: n` for a few n, interleaved with the exact run in one process (medians of >= 5 each).
 * The exact run of the 12 MP photo takes about 50 s, so the comparison runs on the 1 MP image (made
 * by `npm run bench:images`, else the 600 x 400 coffee.png); --big adds sampled runs on the 12 MP one.
 *
 *   npx tsx bench/sample.ts [--runs=5] [--k=8] [--weight=1] [--big]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import '../src/node/platform.js';
import { kmeans } from '../src/core/kmeans.js';
import { decodeImage } from '../src/io/decode.js';
import type { RGBAImage } from '../src/types.js';
import { fmt, IMAGES_DIR, loadavg, median, SHARED_IMAGES } from './lib.js';

interface Args { runs: number; k: number; weight: number; big: boolean }

function parse(argv: string[]): Args {
  const value = (name: string, fallback: number): number => {
    const arg = argv.find((a) => a.startsWith(`--${name}=`));
    return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  };
  return { runs: Math.max(5, value('runs', 5)), k: value('k', 8), weight: value('weight', 1), big: argv.includes('--big') };
}

interface Series { label: string; sample: number; seconds: number[]; inertia: number; iterations: number }

/** Each setting once per round, in turn, so the machine's load falls on all of them alike. */
async function interleaved(image: RGBAImage, samples: readonly number[], args: Args): Promise<Series[]> {
  const series: Series[] = samples.map((sample) => ({ label: sample === 0 ? 'exact' : `sample ${sample}`, sample, seconds: [], inertia: 0, iterations: 0 }));
  for (const s of series) await kmeans(image, { k: args.k, spatialWeight: args.weight, sample: s.sample, seed: 1 }); // warm-up
  for (let round = 0; round < args.runs; round++) {
    for (const s of series) {
      const t = performance.now();
      const r = await kmeans(image, { k: args.k, spatialWeight: args.weight, sample: s.sample, seed: 1 });
      s.seconds.push((performance.now() - t) / 1000);
      s.inertia = r.inertia; // the same every round: the run is deterministic
      s.iterations = r.iterations;
    }
  }
  return series;
}

function report(title: string, pixels: number, series: Series[]): void {
  const exact = series.find((s) => s.sample === 0);
  console.log(`\n${title}: ${pixels} pixels (load average ${loadavg()})`);
  console.log('  run              median s   vs exact: time   inertia   iterations');
  for (const s of series) {
    const t = median(s.seconds);
    const speed = exact ? `${fmt(median(exact.seconds) / t)}x faster` : '';
    const cost = exact ? `${((s.inertia / exact.inertia - 1) * 100).toFixed(2)}% ` : `${s.inertia.toExponential(4)}`;
    console.log(`  ${s.label.padEnd(16)} ${fmt(t).padStart(8)}   ${speed.padStart(14)}   ${cost.padStart(8)}   ${s.iterations}`);
  }
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  console.log(`sample vs exact: k ${args.k}, spatialWeight ${args.weight}, ${args.runs} interleaved runs each, seed 1`);
  const oneMP = path.join(IMAGES_DIR, 'coffee-1mp.png');
  const small = existsSync(oneMP) ? oneMP : path.join(SHARED_IMAGES, 'coffee.png');
  const image = await decodeImage(small);
  const pixels = image.width * image.height;
  const sizes = [10_000, 50_000, 200_000].filter((n) => n < pixels);
  report(path.basename(small), pixels, await interleaved(image, [0, ...sizes], args));
  // How far exact runs differ among themselves, by seed alone: the scale to read the percentages on.
  const seeds = await Promise.all([2, 3, 4].map(async (seed) => (await kmeans(image, { k: args.k, spatialWeight: args.weight, seed })).inertia));
  const exact1 = (await kmeans(image, { k: args.k, spatialWeight: args.weight, seed: 1 })).inertia;
  console.log(`  exact runs at seeds 2, 3, 4: ${seeds.map((v) => `${((v / exact1 - 1) * 100).toFixed(2)}%`).join(', ')} against seed 1`);
  if (args.big) {
    const big = path.join(IMAGES_DIR, 'photo-12mp.png');
    if (!existsSync(big)) throw new Error(`${big} is missing: run npm run bench:images`);
    const photo = await decodeImage(big);
    // No exact run here (about 50 s each): the sampled runs' time, and their inertia against the smallest sample's.
    report(`${path.basename(big)} (sampled only)`, photo.width * photo.height, await interleaved(photo, [50_000, 200_000, 1_000_000], { ...args, runs: 5 }));
  }
}

await main();
