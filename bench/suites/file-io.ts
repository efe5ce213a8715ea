// Suite d: file in to file out, as the CLI does it: decode the PNG (sharp), kmeans(), paint the
// segmented pixels (toRGBA), encode and write a PNG; the median time of each stage.
import '../src-platform.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../../src/io/decode.js';
import { encodeImage } from '../../src/io/encode.js';
import { kmeans } from '../../src/core/kmeans.js';
import type { Inputs } from '../inputs.js';
import { RESULTS_DIR, fmt, median, type Row } from '../lib.js';

const STAGES = ['decode', 'histogram', 'init', 'lloyd', 'labels+result', 'toRGBA', 'encode+write'] as const;
type Stage = typeof STAGES[number];

/** Stage times come from inside each run, so this suite times runs itself instead of through benchmark.js. */
export async function fileSuite(quick: boolean, inputs: Inputs): Promise<Row[]> {
  const { info, k, init, iterations } = inputs;
  const out = path.join(RESULTS_DIR, `segmented-${info.name}.png`);
  await fs.mkdir(RESULTS_DIR, { recursive: true });
  const once = async (): Promise<Record<Stage | 'total', number>> => {
    const t0 = performance.now();
    const img = await decodeImage(info.file, { limitInputPixels: false });
    const t1 = performance.now();
    const r = await kmeans(img, { init, maxIterations: iterations, tolerance: 0 });
    const t2 = performance.now();
    const rgba = r.toRGBA();
    const t3 = performance.now();
    await encodeImage(rgba, r.width, r.height, out, { force: true });
    const t4 = performance.now();
    const { histogram, init: i, lloyd } = r.timings;
    return {
      decode: t1 - t0, histogram, init: i, lloyd, 'labels+result': t2 - t1 - histogram - i - lloyd,
      toRGBA: t3 - t2, 'encode+write': t4 - t3, total: t4 - t0,
    };
  };
  const runs = quick ? 2 : 4;
  console.log(`  file: decode + kmeans (K=${k}, ${iterations} passes) + toRGBA + PNG encode of ${path.basename(info.file)}, ${runs} runs after 1 warm-up`);
  await once();
  const samples: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  const med = Object.fromEntries([...STAGES, 'total'].map((s) => [s, median(samples.map((x) => x[s]!))])) as Record<Stage | 'total', number>;
  const bytes = (await fs.stat(out)).size;
  const label = `${info.width}x${info.height} K=${k}`;
  return [
    ...STAGES.map((s): Row => ({
      suite: 'file', scenario: `${s}, ${label}`, seconds: med[s] / 1000, note: `${(med[s] / med.total * 100).toFixed(0)}% of total`,
    })),
    {
      suite: 'file', scenario: `total file to file, ${label}`, seconds: med.total / 1000,
      note: `${fmt(info.width * info.height / (med.total / 1000) / 1e6)} MP/s; output ${(bytes / 2 ** 20).toFixed(1)} MiB`, raw: { medians: med, samples },
    },
  ];
}
