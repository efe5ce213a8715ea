/**
 * `kmeans-seg apply --palette <file> <images...> -o <out>`: paint images with a fixed palette. The
 * palette, the inputs and every output are checked before the first image is read.
 */
import { promises as fs } from 'node:fs';
import { expandInputs, planOutputs } from '../batch/plan.js';
import type { OptionName } from '../core/option-table.js';
import { KMeansSegError } from '../errors.js';
import { encodePixels } from '../io/encode.js';
import { checkOutputPath, imageFormatOf } from '../io/output-path.js';
import { OutputSet } from '../io/output-set.js';
import { applyPalette, type ApplyOptions } from '../palette/apply.js';
import { readPalette, type Palette } from '../palette/parse.js';
import { quote } from '../validate.js';
import { decodeImage } from '../io/decode.js';
import type { Connectivity } from '../core/options.js';
import { APPLY_OUTPUT_FLAGS, APPLY_OUTPUT_HELP, needsOriginal, parseApplyExtras, planApplyExtras, stageApplyExtras, type ApplyExtras, type ExtraPaths } from './apply-outputs.js';
import { COMMON_FLAGS, kmeansOptionsFrom, oneOf, optionValue, parseCommandLine, stringFlag, tableFlags, type FlagSpec } from './flags.js';
import { helpLine, optionLines } from './help.js';
import { ROI_DITHER_OPTIONS } from './roi-dither.js';
import { ms, paletteJSON, paletteLines, plural, reportError, runCommand, UsageError, warn, writeOut } from './report.js';

/** The table options apply takes: those of assigning pixels to fixed colours, and of reading files. */
export const APPLY_OPTIONS: readonly OptionName[] = ['colorSpace', 'backend', 'threads', 'limitInputPixels', ...ROI_DITHER_OPTIONS];

export const USAGE = `Usage: kmeans-seg apply --palette <file> <input>... -o <output> [options]

Paint images with a fixed palette: every pixel takes its nearest palette colour (exactly as K-means
assigns pixels to centroids), so a batch of photos or the frames of a video share one set of colours.

${helpLine('--palette <file>', 'the palette: JSON as "kmeans-seg <image> --palette FILE" writes, or a GIMP palette (.gpl) (required)')}
${helpLine('<input>...', "images to read: JPEG, PNG, WebP, AVIF, TIFF or GIF; a quoted pattern such as 'frames/*.png' is expanded by kmeans-seg")}
${helpLine('-o, --output <path>', 'one input: the image to write (.png, .jpg, .jpeg or .webp; its folder must exist), or a folder; several inputs: a folder, created if missing, that gets one output per input named after it (required unless another output below is given)')}
${helpLine('--format <format>', 'png (default), jpg or webp: the outputs\' format when -o (or --overlay) is a folder')}

Other outputs (any of them may replace -o):
${APPLY_OUTPUT_HELP}

Options shared with kmeans-seg:
${optionLines(APPLY_OPTIONS, {
  colorSpace: 'where "nearest" is measured: rgb, linear-rgb, lab or oklab (default: the space the palette JSON records, else rgb). In the palette\'s own space its exact centroids are used, so its source image gets the very same labels',
  roi: 'a region of interest: a grey or alpha PNG of each image\'s size; only the pixels inside (alpha, else grey, >= 128) take palette colours (default none)',
})}
${optionLines(['connectivity'])}

Options:
${helpLine('--force', 'overwrite existing outputs (checked for every output before any work)')}
${helpLine('--json', 'print a JSON summary per image on stdout')}
${helpLine('--verbose', 'print stack traces with errors')}
${helpLine('-h, --help', 'show this help')}

Exit codes: 0 done, 1 failed (palette, read, decode, write), 2 usage error.

Examples:
  kmeans-seg frame-0001.png -k 8 -o key.png --palette palette.json
  kmeans-seg apply --palette palette.json frames/*.png -o out/
`;

const { force, json, verbose, help } = COMMON_FLAGS;
export const APPLY_FLAGS: FlagSpec = {
  palette: { type: 'string' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  ...tableFlags(APPLY_OPTIONS), ...tableFlags(['connectivity']), ...APPLY_OUTPUT_FLAGS,
  force, json, verbose, help,
};

const FORMATS = ['png', 'jpg', 'jpeg', 'webp'] as const;

/** Run `kmeans-seg apply argv...`; resolves with the exit code. Never throws. */
export function main(argv: string[]): Promise<number> {
  return runCommand(argv, USAGE, run);
}

interface ApplyCommand {
  paletteFile: string;
  patterns: string[];
  /** undefined: only other outputs (--labels, --masks, ...). */
  output: string | undefined;
  extras: ApplyExtras;
  connectivity: Connectivity;
  /** undefined: --format not given (then -o decides). */
  formatText: string | undefined;
  format: (typeof FORMATS)[number];
  options: ApplyOptions;
  force: boolean;
  json: boolean;
  verbose: boolean;
}

/** @throws {UsageError} for any mistake in the command line. */
function parseApplyCommand(argv: string[]): ApplyCommand {
  const { values, positionals } = parseCommandLine(argv, APPLY_FLAGS, 'kmeans-seg apply');
  const text = (name: string): string | undefined => stringFlag(values, name);
  const paletteFile = text('palette'), output = text('output'), formatText = text('format');
  if (paletteFile === undefined || paletteFile === '') {
    throw new UsageError('Missing --palette: pass the palette to apply, e.g. --palette palette.json (kmeans-seg <image> --palette FILE writes one)');
  }
  if (positionals.length === 0) throw new UsageError('Missing the input images: usage: kmeans-seg apply --palette <file> <input>... -o <output>');
  const extras = parseApplyExtras(values);
  if (output === '' || (output === undefined && Object.keys(extras.given).length === 0)) {
    throw new UsageError('Missing -o/--output: pass the image to write for one input, or a folder, e.g. -o out/ (or another output: --labels, --masks, --overlay, --regions, --region-map)');
  }
  const options: ApplyOptions = kmeansOptionsFrom(values, APPLY_OPTIONS);
  const format = formatText === undefined ? 'png' : oneOf('--format', formatText, FORMATS);
  const connectivity = (text('connectivity') === undefined ? 8 : optionValue('connectivity', text('connectivity')!)) as Connectivity;
  return {
    paletteFile, patterns: positionals, output, extras, connectivity, formatText, format, options,
    force: values.force === true, json: values.json === true, verbose: values.verbose === true,
  };
}

/**
 * Each input's output: -o itself for one input and a file name, else one file per input in the
 * folder -o (created, and removed again when the run fails). Every one is checked, and planned in
 * `set`, before any work; so are the other outputs (apply-outputs.ts). Without -o, no painted image.
 * @throws {UsageError} an image name for several inputs, or --format with a file; the output path's codes.
 */
async function planApplyOutputs(cmd: ApplyCommand, inputs: string[], k: number, set: OutputSet): Promise<{ outputs: (string | undefined)[]; extras: ExtraPaths[] }> {
  const images = cmd.output === undefined ? inputs.map(() => undefined) : await planImages(cmd, cmd.output, inputs, set);
  return { outputs: images, extras: await planApplyExtras(cmd.extras, inputs, k, { force: cmd.force }, set, cmd.format) };
}

async function planImages(cmd: ApplyCommand, output: string, inputs: string[], set: OutputSet): Promise<string[]> {
  const outStat = await fs.stat(output).catch(() => undefined);
  const toFolder = inputs.length > 1 || /[\\/]$/.test(output) || outStat?.isDirectory() === true;
  let outputs: string[];
  if (toFolder) {
    if (inputs.length > 1 && outStat === undefined && /\.(png|jpe?g|webp)$/i.test(output)) {
      throw new UsageError(`-o ${quote(output)} names an image, but ${inputs.length} inputs need a folder: pass a folder, e.g. -o ${quote(output.replace(/\.[^.]+$/, '') + '/')}`);
    }
    outputs = await planOutputs(inputs, output, `.${cmd.format}`);
    await set.makeFolder(output);
  } else {
    if (cmd.formatText !== undefined) throw new UsageError(`--format applies when -o is a folder; for one output file the extension of -o (${quote(output)}) sets the format`);
    outputs = [output];
  }
  for (let i = 0; i < inputs.length; i++) {
    await checkOutputPath(outputs[i]!, { force: cmd.force, inputPath: inputs[i] });
    await set.plan(outputs[i]!, 'output');
  }
  return outputs;
}

/**
 * One image painted and encoded into its temporary file in `set`; its summary for --json, or its
 * lines printed. A failure is reported and counted by the caller.
 */
async function applyOne(cmd: ApplyCommand, palette: Palette, input: string, out: string | undefined, extras: ExtraPaths, set: OutputSet, many: boolean, warned: Set<string>): Promise<object | undefined> {
  const t0 = performance.now();
  // The overlay and the regions need the original after painting: decoded here, and kept.
  const { limitInputPixels, ...options } = cmd.options;
  const original = needsOriginal(cmd.extras) ? await decodeImage(input, { limitInputPixels }) : undefined;
  const result = await applyPalette(original ?? input, palette, original ? options : cmd.options);
  const warnings = [...(original?.warnings ?? []), ...result.warnings];
  if (out !== undefined) await set.stage(out, await encodePixels(result.toRGBA(), result.width, result.height, imageFormatOf(out)!, out));
  await stageApplyExtras(cmd.extras, extras, result, original, cmd.connectivity, set);
  const took = performance.now() - t0;
  for (const w of warnings) if (!warned.has(w)) { warned.add(w); warn(w); }
  const { maskFiles, ...others } = extras;
  if (cmd.json) {
    return {
      input, output: out ?? null, outputs: {
        labels: others.labels ?? null, masks: maskFiles ?? null, overlay: others.overlay ?? null, regions: others.regions ?? null, regionMap: others['region-map'] ?? null,
      },
      width: result.width, height: result.height, k: result.k,
      colorSpace: result.colorSpace, exactCentroids: result.exactCentroids,
      palette: paletteJSON(result.palette), inertia: result.inertia, backend: result.backend, ms: ms(took),
    };
  }
  writeOut(`${input}${out === undefined ? '' : ` -> ${out}`}: ${result.width}x${result.height}, ${plural(result.k, 'colour')}, ${result.backend}, ${Math.round(took)} ms\n`);
  if (!many) writeOut(paletteLines(result.palette));
  for (const [name, file] of Object.entries(others)) writeOut(`  ${name} -> ${file}${name === 'masks' ? ` (${maskFiles!.length})` : ''}\n`);
  return undefined;
}

async function run(argv: string[]): Promise<number> {
  const cmd = parseApplyCommand(argv);
  // Everything that can fail for the whole command is checked before the first image is read:
  // the palette, the inputs, every output.
  const palette = await readPalette(cmd.paletteFile);
  const inputs = await expandInputs(cmd.patterns);
  const set = new OutputSet();
  const { outputs, extras } = await planApplyOutputs(cmd, inputs, palette.palette.length, set).catch(async (error: unknown) => { await set.discard(); throw error; });

  // All or nothing: each image is written to a temporary file, and they are renamed into place only
  // when every one succeeded, so a rerun after fixing a failure needs no --force.
  let failed = 0;
  const warned = new Set<string>();
  const summaries: object[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!, output = outputs[i];
    try {
      const summary = await applyOne(cmd, palette, input, output, extras[i]!, set, inputs.length > 1, warned);
      if (summary) summaries.push(summary);
    } catch (error) {
      failed++;
      if (cmd.json) summaries.push({ input, output: output ?? null, error: { code: error instanceof KMeansSegError ? error.code : null, message: (error as Error).message } });
      reportError(error, cmd.verbose);
    }
  }
  if (failed === 0) await set.run(async () => undefined);
  else await set.discard();
  if (cmd.json) writeOut(JSON.stringify(summaries, null, 2) + '\n');
  if (failed > 0 && inputs.length > 1) {
    process.stderr.write(`kmeans-seg: error: ${failed} of ${inputs.length} images failed (see above); nothing was written\n`);
  }
  return failed > 0 ? 1 : 0;
}
