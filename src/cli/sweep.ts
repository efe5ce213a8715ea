/**
 * `kmeans-seg sweep <input> -k 1,2,3,4,10,32,64 -o sheet.png`: one image segmented for each K, written
 * as a contact sheet and two charts (SVG and PNG). Every output path is checked before any clustering.
 */
import type { OptionName } from '../core/option-table.js';
import { OPTION_RULES } from '../core/option-table.js';
import { formatNumber } from '../sweep/charts.js';
import { checkSweepFiles, saveSweep, sweep, sweepFiles, type SweepFiles, type SweepOptions, type SweepResult } from '../sweep/sweep.js';
import { quote } from '../validate.js';
import { COMMON_FLAGS, integerFlag, kmeansOptionsFrom, parseCommandLine, stringFlag, tableFlags } from './flags.js';
import { helpLine, optionLines } from './help.js';
import { ms, oneInput, qualityJSON, runCommand, UsageError, warn, writeOut } from './report.js';
import { stdinOr } from './stdio.js';
import { RunProgressView, sweepProgress } from './run-progress.js';

export const DEFAULT_KS = [1, 2, 3, 4, 10, 32, 64];
const { min: MIN_K, max: MAX_K } = OPTION_RULES.k.rule;

/** Every table option of the main command but k, which is a list here. */
export const SWEEP_OPTIONS: readonly OptionName[] = [
  'colorSpace', 'spatialWeight', 'seed', 'init', 'maxIterations', 'tolerance', 'attempts', 'backend', 'threads', 'limitInputPixels',
];

export const USAGE = `Usage: kmeans-seg sweep <input> -o <sheet> [-k <K,K,...>] [options]

Segment one image for each K and draw the classic figure: a contact sheet of the original and each
result, a chart of the distortion (inertia) against K with the knee marked, and a chart of the cost
after each iteration for every K. Each chart is written as SVG and PNG.

${helpLine('<input>', 'image to read: JPEG, PNG, WebP, AVIF, TIFF or GIF; - reads stdin')}
${helpLine('-o, --output <sheet>', 'contact sheet to write: .png, .jpg, .jpeg or .webp (required)')}
${helpLine('-k, --k <K,K,...>', `the K values, comma-separated, each ${MIN_K}-${MAX_K} (default ${DEFAULT_KS.join(',')})`)}
${helpLine('--distortion <file>', 'distortion chart, written as <file>.svg and <file>.png (default: <sheet>-distortion.svg and .png next to the sheet)')}
${helpLine('--cost <file>', 'cost-per-iteration chart, as <file>.svg and <file>.png (default <sheet>-cost.*)')}
${helpLine('--columns <n>', 'tiles per row of the sheet (default: up to 4)')}
${helpLine('--tile-width <px>', 'largest width of a tile; larger images are scaled down (default 320)')}

K-means options, the same for every K:
${optionLines(SWEEP_OPTIONS)}

Options:
${helpLine('--force', 'overwrite existing outputs, even the input')}
${helpLine('--json', 'print the numbers: per K the inertia, iterations, history, PSNR, ΔE and palette; the knee; the files')}
${helpLine('--verbose', 'print stack traces with errors')}
${helpLine('-h, --help', 'show this help')}

The knee is found by the Kneedle method: the K farthest below the straight line from the first point
to the last, with both axes scaled to [0, 1].

Exit codes: 0 done, 1 failed (read, decode, write), 2 usage error.

Example:
  kmeans-seg sweep photo.jpg -k 1,2,3,4,10,32,64 -o sheet.png
`;

export const SWEEP_FLAGS = {
  k: { type: 'string', short: 'k' },
  ...tableFlags(SWEEP_OPTIONS),
  ...COMMON_FLAGS,
  output: { type: 'string', short: 'o' },
  distortion: { type: 'string' },
  cost: { type: 'string' },
  columns: { type: 'string' },
  'tile-width': { type: 'string' },
} as const;

/** Run `kmeans-seg sweep argv...`; resolves with the exit code. Never throws. */
export function main(argv: string[]): Promise<number> {
  return runCommand(argv, USAGE, run);
}

/**
 * "1,2,3,4,10" to [1, 2, 3, 4, 10]. Every item must be plain decimal digits within k's range; empty
 * items ("1,,3"), signs, decimals and repeats are refused with the item named.
 * @throws {UsageError} naming the item.
 */
export function parseKList(text: string): number[] {
  const fail = (why: string): never => {
    throw new UsageError(`Invalid value ${quote(text)} for -k/--k: ${why}; expected a comma-separated list of integers between ${MIN_K} and ${MAX_K}, e.g. -k 2,4,8,16`);
  };
  if (text.trim() === '') fail('the list is empty');
  const items = text.split(',').map((s) => s.trim());
  const ks: number[] = [];
  items.forEach((item, i) => {
    if (item === '') fail(`item ${i + 1} is empty`);
    const k = Number(item);
    if (!/^\d+$/.test(item) || k < MIN_K || k > MAX_K) fail(`item ${i + 1} (${quote(item)}) is not an integer between ${MIN_K} and ${MAX_K}`);
    if (ks.includes(k)) fail(`${k} is listed twice`);
    ks.push(k);
  });
  return ks;
}

interface SweepCommand {
  input: string;
  sheet: string;
  options: SweepOptions;
  save: { distortion?: string; cost?: string; columns?: number; tileWidth?: number };
  check: { force: boolean; inputPath: string | undefined };
  json: boolean;
}

/** @throws {UsageError} for any mistake in the command line. */
function parseSweepCommand(argv: string[]): SweepCommand {
  const { values, positionals } = parseCommandLine(argv, SWEEP_FLAGS, 'kmeans-seg sweep');
  const input = oneInput(positionals, 'kmeans-seg sweep <input> -k 2,4,8 -o sheet.png');
  const text = (name: string): string | undefined => stringFlag(values, name);
  const sheet = text('output');
  if (sheet === undefined || sheet === '') throw new UsageError('Missing -o/--output: pass where to write the contact sheet, e.g. -o sheet.png');
  const k = text('k'), columns = text('columns'), tileWidth = text('tile-width');
  const ks = k === undefined ? DEFAULT_KS : parseKList(k);
  const save = {
    distortion: text('distortion'), cost: text('cost'),
    columns: columns === undefined ? undefined : integerFlag('--columns', columns, 1, 1000, '--columns 4'),
    tileWidth: tileWidth === undefined ? undefined : integerFlag('--tile-width', tileWidth, 8, 100000, '--tile-width 320'),
  };
  const shared = kmeansOptionsFrom(values, SWEEP_OPTIONS);
  const options: SweepOptions = { ...shared, init: shared.init as SweepOptions['init'], ks };
  return { input, sheet, options, save, check: { force: values.force === true, inputPath: input === '-' ? undefined : input }, json: values.json === true };
}

function summaryJSON(result: SweepResult, files: SweepFiles, write: number): string {
  const summary = result.toJSON();
  return JSON.stringify({
    ...summary,
    results: summary.results.map((r, i) => ({ ...r, quality: qualityJSON(result.entries[i]!.quality) })),
    outputs: files,
    timings: { decode: ms(result.timings.decode), sweep: ms(result.timings.total - result.timings.decode), write: ms(write) },
  }, null, 2) + '\n';
}

function summaryText(input: string, sheet: string, result: SweepResult, files: SweepFiles): string {
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
  return lines.join('\n') + '\n';
}

async function run(argv: string[]): Promise<number> {
  const cmd = parseSweepCommand(argv);
  const files = sweepFiles(cmd.sheet, { distortion: cmd.save.distortion, cost: cmd.save.cost });
  // Every output path is checked before the image is decoded and clustered once per K.
  await checkSweepFiles(files, cmd.check);
  const progress = new RunProgressView(process.stderr, { silent: cmd.json }); // on a terminal only
  const onProgress = progress.enabled ? sweepProgress(progress, cmd.options.ks) : undefined;
  const result = await progress.during('decode', () => sweep(stdinOr(cmd.input), { ...cmd.options, onProgress }));
  const t1 = performance.now();
  await progress.during('encode', () => saveSweep(result, cmd.sheet, { ...cmd.check, ...cmd.save }));
  const write = performance.now() - t1;

  for (const w of result.warnings) warn(w);
  for (const e of result.entries) for (const w of e.result.warnings) warn(w, `K = ${e.k}: `);
  writeOut(cmd.json ? summaryJSON(result, files, write) : summaryText(cmd.input === '-' ? 'stdin' : cmd.input, cmd.sheet, result, files));
  return 0;
}
