/**
 * `kmeans-seg sweep <input> -k 1,2,3,4,10,32,64 -o sheet.png`: one image segmented for each K, written
 * as a contact sheet, a distortion-vs-K chart with its knee, and the cost-per-iteration chart (each
 * chart as SVG and PNG). Run through `kmeans-seg`'s main, which returns this main's exit code.
 */
import { formatNumber } from '../sweep/charts.js';
import { KMEANS_FLAGS, UsageError, integerFlag, kmeansOptionsFrom, parseCommandLine, qualityJSON, runCommand } from './main.js';
import { checkSweepFiles, saveSweep, sweep, sweepFiles, type SweepOptions } from '../sweep/sweep.js';
import { MAX_K } from '../limits.js';

export const DEFAULT_KS = [1, 2, 3, 4, 10, 32, 64];

const USAGE = `Usage: kmeans-seg sweep <input> -o <sheet> [-k <K,K,...>] [options]

Segment one image for each K and draw the classic figure: a contact sheet of the original and each
result, a chart of the distortion (inertia) against K with the knee marked, and a chart of the cost
after each iteration for every K. Each chart is written as SVG and PNG.

  <input>                    image to read: JPEG, PNG, WebP, AVIF, TIFF or GIF
  -o, --output <sheet>       contact sheet to write: .png, .jpg, .jpeg or .webp (required)
  -k, --k <K,K,...>          the K values, comma-separated, each 1-${MAX_K} (default ${DEFAULT_KS.join(',')})
  --distortion <file>        distortion chart, written as <file>.svg and <file>.png
                             (default: <sheet>-distortion.svg and .png next to the sheet)
  --cost <file>              cost-per-iteration chart, as <file>.svg and <file>.png (default <sheet>-cost.*)
  --columns <n>              tiles per row of the sheet (default: up to 4)
  --tile-width <px>          largest width of a tile; larger images are scaled down (default 320)

Options shared with kmeans-seg: --color-space, --seed, --init, --max-iter, --tolerance, --attempts,
--backend, --threads, --limit-input-pixels, --force, --json (print the numbers), --verbose, -h/--help.
The knee is found by the Kneedle method: the K farthest below the straight line from the first point
to the last, with both axes scaled to [0, 1].

Exit codes: 0 done, 1 failed (read, decode, write), 2 usage error.

Example:
  kmeans-seg sweep photo.jpg -k 1,2,3,4,10,32,64 -o sheet.png
`;

const OPTIONS = {
  ...KMEANS_FLAGS,
  output: { type: 'string', short: 'o' },
  distortion: { type: 'string' },
  cost: { type: 'string' },
  columns: { type: 'string' },
  'tile-width': { type: 'string' },
} as const;

export function main(argv: string[]): Promise<number> {
  return runCommand(argv, USAGE, run);
}

/**
 * "1,2,3,4,10" to [1, 2, 3, 4, 10]. Every item must be plain decimal digits in [1, MAX_K]; empty
 * items ("1,,3"), signs, decimals and repeats are refused with the item named.
 */
export function parseKList(text: string): number[] {
  const fail = (why: string): never => {
    throw new UsageError(`Invalid value ${JSON.stringify(text)} for -k/--k: ${why}; expected a comma-separated list of integers between 1 and ${MAX_K}, e.g. -k 2,4,8,16`);
  };
  if (text.trim() === '') fail('the list is empty');
  const items = text.split(',').map((s) => s.trim());
  const ks: number[] = [];
  items.forEach((item, i) => {
    if (item === '') fail(`item ${i + 1} is empty`);
    const k = Number(item);
    if (!/^\d+$/.test(item) || k < 1 || k > MAX_K) fail(`item ${i + 1} (${JSON.stringify(item)}) is not an integer between 1 and ${MAX_K}`);
    if (ks.includes(k)) fail(`${k} is listed twice`);
    ks.push(k);
  });
  return ks;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, 'kmeans-seg sweep');
  if (positionals.length === 0) throw new UsageError('Missing the input image: usage: kmeans-seg sweep <input> -k 2,4,8 -o sheet.png');
  if (positionals.length > 1) {
    throw new UsageError(`Expected one input image but received ${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(', ')}; quote a path that contains spaces, and put options before "--"`);
  }
  const input = positionals[0]!;
  const sheet = values.output as string | undefined;
  if (sheet === undefined || sheet === '') throw new UsageError('Missing -o/--output: pass where to write the contact sheet, e.g. -o sheet.png');
  const ks = values.k === undefined ? DEFAULT_KS : parseKList(values.k as string);
  const columns = values.columns === undefined ? undefined : integerFlag('--columns', values.columns as string, 1, 1000, '--columns 4');
  const tileWidth = values['tile-width'] === undefined ? undefined : integerFlag('--tile-width', values['tile-width'] as string, 8, 100000, '--tile-width 320');
  const shared = kmeansOptionsFrom(values);
  const options: SweepOptions = { ...shared, init: shared.init as SweepOptions['init'], ks };
  const force = values.force === true;

  const files = sweepFiles(sheet, { distortion: values.distortion as string | undefined, cost: values.cost as string | undefined });
  // Every output path is checked before the image is decoded and clustered once per K.
  const check = { force, inputPath: input };
  await checkSweepFiles(files, check);

  const result = await sweep(input, options);
  const t1 = performance.now();
  await saveSweep(result, sheet, { ...check, distortion: values.distortion as string | undefined, cost: values.cost as string | undefined, columns, tileWidth });
  const write = performance.now() - t1;

  for (const w of result.warnings) process.stderr.write(`kmeans-seg: warning: ${w}\n`);
  for (const e of result.entries) for (const w of e.result.warnings) process.stderr.write(`kmeans-seg: warning: K = ${e.k}: ${w}\n`);
  if (values.json) {
    const summary = result.toJSON();
    process.stdout.write(JSON.stringify({
      ...summary,
      results: summary.results.map((r, i) => ({ ...r, quality: qualityJSON(result.entries[i]!.quality) })),
      outputs: files,
      timings: { decode: round(result.timings.decode), sweep: round(result.timings.total - result.timings.decode), write: round(write) },
    }, null, 2) + '\n');
  } else {
    const lines = [
      `${input}: ${result.width}x${result.height}, K = ${result.entries.map((e) => e.k).join(', ')}; knee at ${result.knee ? `K = ${result.knee.k}` : 'none (fewer than 3 Ks, or no bend)'}`,
      '       K   inertia  iterations  PSNR dB  ΔE mean  ΔE p95',
      ...result.entries.map((e) => [
        String(e.k).padStart(8), formatNumber(e.result.inertia).padStart(9), String(e.result.iterations).padStart(11),
        (Number.isFinite(e.quality.psnr) ? e.quality.psnr.toFixed(2) : 'inf').padStart(8),
        e.quality.deltaE.mean.toFixed(2).padStart(8), e.quality.deltaE.p95.toFixed(2).padStart(7),
      ].join(' ')),
      '  (ΔE: distance in OKLab x 100, below about 2 is hard to see; --json gives every figure)',
      `  sheet      -> ${sheet}`,
      `  distortion -> ${files.distortionSvg}, ${files.distortionPng}`,
      `  cost       -> ${files.costSvg}, ${files.costPng}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}

const round = (x: number): number => Math.round(x * 100) / 100;
