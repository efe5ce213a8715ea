/**
 * `kmeans-seg <input> -o <output>`: the default command. Every flag and every output path is checked
 * before the input is decoded, so a bad one fails at once and nothing is written.
 */
import path from 'node:path';
import { kmeans } from '../core/kmeans.js';
import type { OptionName } from '../core/option-table.js';
import { resolveOptions, type ResolvedOptions } from '../core/options.js';
import { qualityOf, type Quality } from '../core/quality.js';
import { paintOver } from '../core/paint.js';
import { decodeImage, resolveLimitInputPixels, type DecodedImage } from '../io/decode.js';
import { checkEncodable, encodePixels } from '../io/encode.js';
import { checkOutputPath, imageFormatOf, resolveTarget } from '../io/output-path.js';
import { OutputSet } from '../io/output-set.js';
import { checkLabelDepth, labelsNeed32Bits, labelsPNG } from '../outputs/label-map.js';
import { checkMaskDir, couldBeMaskName, maskName, planMasks, stageMasks } from '../outputs/masks.js';
import { overlayBorders } from '../outputs/overlay.js';
import { paletteFileBytes } from '../palette/write.js';
import { nameInput, type SegmentOptions } from '../segment.js';
import type { KMeansResult } from '../types.js';
import { quote } from '../validate.js';
import { COMMON_FLAGS, hexColour, kmeansOptionsFrom, parseCommandLine, tableFlags } from './flags.js';
import { helpLine, optionLines } from './help.js';
import { ms, oneInput, paletteLines, paletteJSON, plural, qualityJSON, qualityLine, UsageError, warn, writeOut } from './report.js';

/** The table options the main command takes, in the order its help lists them. */
export const SEGMENT_OPTIONS: readonly OptionName[] = [
  'k', 'colorSpace', 'spatialWeight', 'seed', 'init', 'maxIterations', 'tolerance', 'attempts', 'backend', 'threads', 'limitInputPixels',
];

export const USAGE = `Usage: kmeans-seg <input> -o <output> [-k <K>] [options]
       kmeans-seg sweep <input> -k <K,K,...> -o <sheet>   (kmeans-seg sweep --help)
       kmeans-seg apply --palette <file> <images...> -o <out>   (kmeans-seg apply --help)
       kmeans-seg batch <images...> -k <K> -o <folder>   (kmeans-seg batch --help)

Segment an image into K flat colours with K-means.

${helpLine('<input>', 'image to read: JPEG, PNG, WebP, AVIF, TIFF or GIF')}
${helpLine('-o, --output <file>', 'segmented image to write: .png, .jpg, .jpeg or .webp')}

Other outputs (any of them may replace -o):
${helpLine('--labels <file.png>', 'label map: grayscale PNG, pixel value = label (8-bit, or 16-bit when K > 255)')}
${helpLine('--masks <folder>', 'one mask per colour: mask-00.png, mask-01.png, ... (folder created if missing)')}
${helpLine('--palette <file>', 'the palette: JSON (hex, rgb, count, share), or a GIMP palette if it ends in .gpl')}
${helpLine('--overlay <file>', 'the segment borders drawn over the original (.png, .jpg, .webp)')}
${helpLine('--border-color <#rrggbb>', 'colour of those borders (default #ffff00)')}

K-means options:
${optionLines(SEGMENT_OPTIONS)}

Options:
${helpLine('--force', 'overwrite existing outputs, even the input')}
${helpLine('--json', 'print a JSON summary on stdout (palette, inertia, quality: PSNR and ΔE)')}
${helpLine('--verbose', 'print stack traces with errors')}
${helpLine('-h, --help', 'show this help')}
${helpLine('--version', 'print the version')}

Exit codes: 0 done, 1 failed (read, decode, write), 2 usage error.

Example:
  kmeans-seg photo.jpg -k 6 -o photo-6.png --seed 42 --palette photo-6.gpl --overlay photo-6-borders.png
`;

export const SEGMENT_FLAGS = {
  ...tableFlags(SEGMENT_OPTIONS),
  ...COMMON_FLAGS,
  output: { type: 'string', short: 'o' },
  labels: { type: 'string' },
  masks: { type: 'string' },
  palette: { type: 'string' },
  overlay: { type: 'string' },
  'border-color': { type: 'string' },
} as const;

const OUTPUTS = ['output', 'labels', 'masks', 'palette', 'overlay'] as const;
type Outputs = Partial<Record<(typeof OUTPUTS)[number], string>>;
const EXAMPLE_OF = { output: 'out.png', labels: 'labels.png', masks: 'masks', palette: 'palette.json', overlay: 'borders.png' };

interface SegmentCommand {
  input: string;
  outputs: Outputs;
  options: SegmentOptions;
  borderColor: [number, number, number] | undefined;
  check: { force: boolean; inputPath: string };
  json: boolean;
}

/** The command line to a command. @throws {UsageError} for any mistake in it. */
export function parseSegmentCommand(argv: string[]): SegmentCommand {
  const { values, positionals } = parseCommandLine(argv, SEGMENT_FLAGS, 'kmeans-seg');
  const input = oneInput(positionals, 'kmeans-seg <input> -o <output> [-k <K>]');
  const outputs: Outputs = {};
  for (const name of OUTPUTS) {
    const v = values[name];
    if (v === '') throw new UsageError(`Empty value for --${name}: pass a path, e.g. --${name} ${EXAMPLE_OF[name]}`);
    if (typeof v === 'string') outputs[name] = v;
  }
  if (Object.keys(outputs).length === 0) {
    throw new UsageError('Missing -o/--output: pass where to write the segmented image, e.g. -o out.png (or another output: --labels, --masks, --palette, --overlay)');
  }
  distinctPaths(outputs);
  const options = kmeansOptionsFrom(values, SEGMENT_OPTIONS);
  const borderColor = values['border-color'] === undefined ? undefined : hexColour('--border-color', values['border-color'] as string);
  return { input, outputs, options, borderColor, check: { force: values.force === true, inputPath: input }, json: values.json === true };
}

/** Two outputs naming one file would overwrite each other: refuse it up front. */
function distinctPaths(outputs: Outputs): void {
  const seen = new Map<string, string>();
  for (const [name, file] of Object.entries(outputs)) {
    const key = path.resolve(file);
    const other = seen.get(key);
    if (other !== undefined) {
      throw new UsageError(`--${other} and --${name} both name ${quote(file)}: give each output its own path`);
    }
    seen.set(key, name);
  }
}

/** What the checks before any work found: the pixel limit and the options kmeans will run with. */
interface Checked { limit: number | false; resolved: ResolvedOptions }

const WHAT: Record<Exclude<keyof Outputs, 'masks'>, string> = { output: 'output', labels: 'label map', palette: 'palette', overlay: 'overlay' };

/**
 * Every option (together: some contradict each other) and every output path, before any work. Each
 * file is planned in the run's OutputSet: no two outputs on one file however spelled (links, dangling
 * ones too), no output in the masks folder under a mask's name, writable folders.
 * @throws {KMeansSegError} ERR_INVALID_OPTION, or the output path's code.
 */
async function checkOutputs(cmd: SegmentCommand, set: OutputSet): Promise<Checked> {
  const { limitInputPixels, ...kmeansOptions } = cmd.options;
  const resolved = resolveOptions(kmeansOptions);
  const limit = resolveLimitInputPixels(limitInputPixels);
  const { outputs, check } = cmd;
  await reserveOutputs(outputs, resolved.k, set); // two names for one file: said before "exists"
  if (outputs.output !== undefined) await checkOutputPath(outputs.output, check);
  if (outputs.labels !== undefined) await checkOutputPath(outputs.labels, { ...check, extensions: ['.png'], what: 'label map' });
  if (outputs.palette !== undefined) await checkOutputPath(outputs.palette, { ...check, what: 'palette' });
  if (outputs.overlay !== undefined) await checkOutputPath(outputs.overlay, check);
  if (outputs.masks !== undefined) await checkMaskDir(outputs.masks, undefined, check);
  await set.checkFolders();
  return { limit, resolved };
}

/** Reserve each output file in `set`, and refuse one that lies in the masks folder under a mask's name (K may still shrink). */
async function reserveOutputs(outputs: Outputs, k: number, set: OutputSet): Promise<void> {
  for (const name of ['output', 'labels', 'palette', 'overlay'] as const) {
    const file = outputs[name];
    if (file === undefined) continue;
    if (outputs.masks !== undefined && couldBeMaskName(path.basename(file), k) &&
        (await resolveTarget(path.dirname(path.resolve(file)))) === (await resolveTarget(outputs.masks))) {
      throw new UsageError(`--${name} ${quote(file)} lies in the --masks folder under the name of a mask: give it another name or folder`);
    }
    await set.reserve(file, WHAT[name]);
  }
}

/**
 * What the decoded image decides, before clustering: each image output's size against its format,
 * and whether the label map can hold the labels.
 * @throws {KMeansSegError} ERR_OUTPUT_FORMAT naming the output.
 */
function checkSizes(cmd: SegmentCommand, image: DecodedImage, resolved: ResolvedOptions): void {
  const { outputs } = cmd;
  for (const file of [outputs.output, outputs.overlay]) {
    if (file !== undefined) checkEncodable(image.width, image.height, imageFormatOf(file)!, file);
  }
  for (const file of [outputs.labels, outputs.masks && path.join(outputs.masks, maskName(0, resolved.k))]) {
    if (file !== undefined) checkEncodable(image.width, image.height, 'png', file);
  }
  if (outputs.labels !== undefined && labelsNeed32Bits(image, resolved.k, Array.isArray(resolved.init), resolved.spatialWeight > 0)) {
    checkLabelDepth(resolved.k, true, outputs.labels);
  }
}

/** The decoded input and its clustering. writeOutputs takes `image` out, so that it can be freed. */
interface Clustered { image: DecodedImage | undefined; result: KMeansResult; warnings: string[]; decoded: number }

async function cluster(cmd: SegmentCommand, checked: Checked): Promise<Clustered> {
  const image = await decodeImage(cmd.input, { limitInputPixels: checked.limit });
  const decoded = performance.now();
  checkSizes(cmd, image, checked.resolved);
  const { limitInputPixels: _limit, ...kmeansOptions } = cmd.options;
  let result;
  try {
    result = await kmeans(image, kmeansOptions);
  } catch (error) {
    throw nameInput(error, cmd.input); // as segment() does: the core's image errors name the file
  }
  return { image, result, warnings: [...image.warnings, ...result.warnings], decoded };
}

interface Written { quality: Quality; masks: string[] | undefined }

/**
 * Every output, all or nothing: each is encoded and written to a temporary file, and only once all
 * are written are they renamed into place (see OutputSet).
 */
async function writeOutputs(cmd: SegmentCommand, clustered: Clustered, set: OutputSet): Promise<Written> {
  const { outputs, check } = cmd;
  const { result } = clustered;
  let image: DecodedImage | undefined = clustered.image;
  clustered.image = undefined;
  if (image === undefined) throw new Error('writeOutputs: the decoded image was taken already');
  // K is known now (it may have been reduced): the mask names are checked before the first write.
  const masks = outputs.masks === undefined ? undefined : await planMasks(result, outputs.masks, check, set);
  // Quality first, so that without --overlay the output can be painted over the decoded original
  // (no second image-sized buffer at the memory peak), which then goes.
  const quality = qualityOf(image, result);
  const original = outputs.overlay === undefined ? undefined : image;
  let spare = original === undefined ? image.data : undefined;
  image = undefined;
  const { width, height } = result;
  await set.run(async () => {
    if (outputs.output !== undefined) {
      const painted = spare !== undefined ? paintOver(result, spare) : result.hasAlpha ? result.toRGBA() : result.toRGB();
      await set.stage(outputs.output, await encodePixels(painted, width, height, imageFormatOf(outputs.output)!, outputs.output));
    }
    spare = undefined;
    if (outputs.labels !== undefined) await set.stage(outputs.labels, await labelsPNG(result));
    if (masks !== undefined) await stageMasks(result, outputs.masks!, masks, set);
    if (outputs.palette !== undefined) {
      await set.stage(outputs.palette, paletteFileBytes(result, outputs.palette, { ...check, colorSpace: cmd.options.colorSpace ?? 'rgb' }));
    }
    if (original !== undefined) {
      const drawn = overlayBorders(original, result, { color: cmd.borderColor });
      await set.stage(outputs.overlay!, await encodePixels(drawn, width, height, imageFormatOf(outputs.overlay!)!, outputs.overlay!));
    }
  });
  return { quality, masks };
}

interface Timings { decode: number; encode: number; total: number }

function summaryJSON(cmd: SegmentCommand, c: Clustered, w: Written, t: Timings): string {
  const { input, outputs } = cmd;
  const { result } = c;
  const summary = {
    input, output: outputs.output ?? null, width: result.width, height: result.height, k: result.k,
    palette: paletteJSON(result.palette),
    inertia: result.inertia, iterations: result.iterations, converged: result.converged,
    backend: result.backend, warnings: c.warnings,
    colorSpace: cmd.options.colorSpace ?? 'rgb',
    quality: qualityJSON(w.quality),
    outputs: { labels: outputs.labels ?? null, masks: w.masks ?? null, palette: outputs.palette ?? null, overlay: outputs.overlay ?? null },
    timings: {
      decode: ms(t.decode), histogram: ms(result.timings.histogram), init: ms(result.timings.init),
      lloyd: ms(result.timings.lloyd), encode: ms(t.encode), total: ms(t.total),
    },
  };
  return JSON.stringify(summary, null, 2) + '\n';
}

function summaryText(cmd: SegmentCommand, result: KMeansResult, w: Written, total: number): string {
  const { input, outputs } = cmd;
  const { masks } = w;
  const stop = result.converged ? 'converged' : 'not converged: raise --max-iter';
  const written = [
    outputs.labels && `  labels  -> ${outputs.labels}\n`,
    masks && `  masks   -> ${path.join(outputs.masks!, path.basename(masks[0]!))} ... ${path.basename(masks.at(-1)!)} (${masks.length})\n`,
    outputs.palette && `  palette -> ${outputs.palette}\n`,
    outputs.overlay && `  overlay -> ${outputs.overlay}\n`,
  ].filter(Boolean).join('');
  return `${input}${outputs.output !== undefined ? ` -> ${outputs.output}` : ''}: ${result.width}x${result.height}, ${plural(result.k, 'colour')}, ` +
    `${plural(result.iterations, 'iteration')} (${stop}), ${result.backend}, ${Math.round(total)} ms\n` +
    paletteLines(result.palette) + `  ${qualityLine(w.quality)}\n` + written;
}

/**
 * The main command: parse, check, decode and cluster, write, print. Returns the exit code 0.
 * @throws {UsageError} or a KMeansSegError of the failing step; runCommand turns them into exit codes.
 */
export async function runSegment(argv: string[]): Promise<number> {
  const cmd = parseSegmentCommand(argv);
  const t0 = performance.now();
  const set = new OutputSet();
  const checked = await checkOutputs(cmd, set);
  const clustered = await cluster(cmd, checked);
  const t1 = performance.now();
  const written = await writeOutputs(cmd, clustered, set);
  const t2 = performance.now();
  for (const warning of clustered.warnings) warn(warning);
  const timings = { decode: clustered.decoded - t0, encode: t2 - t1, total: t2 - t0 };
  writeOut(cmd.json ? summaryJSON(cmd, clustered, written, timings) : summaryText(cmd, clustered.result, written, timings.total));
  return 0;
}
