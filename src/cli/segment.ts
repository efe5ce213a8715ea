/**
 * `kmeans-seg <input> -o <output>`: the default command. Every flag and every output path is checked
 * before the input is decoded, so a bad one fails at once and nothing is written.
 */
import path from 'node:path';
import { kmeans } from '../core/kmeans.js';
import { optionRow, type OptionName } from '../core/option-table.js';
import { resolveOptions, type ResolvedOptions } from '../core/options.js';
import { takeColours, wantColours } from '../core/colour-labels.js';
import { qualityOf, qualityOfColours, type Quality } from '../core/quality.js';
import { decodeImage, resolveLimitInputPixels, type DecodedImage } from '../io/decode.js';
import { checkEncodable, encodePixels, encodeSegmented, indexedSegmentedPNG, resolvePngColors, type PngColors } from '../io/encode.js';
import { checkOutputPath, imageFormatOf, resolveTarget } from '../io/output-path.js';
import { OutputSet } from '../io/output-set.js';
import { checkLabelDepth, labelsNeed32Bits, labelsPNG } from '../outputs/label-map.js';
import { checkMaskDir, couldBeMaskName, maskName, planMasks, stageMasks } from '../outputs/masks.js';
import { overlayBorders } from '../outputs/overlay.js';
import { overlayRegions } from '../outputs/regions-json.js';
import { paletteFileBytes } from '../palette/write.js';
import { nameInput, type SegmentOptions } from '../segment.js';
import type { KMeansResult } from '../types.js';
import { quote } from '../validate.js';
import { COMMON_FLAGS, hexColour, initColours, initFileFrom, kmeansOptionsFrom, parseCommandLine, tableFlags } from './flags.js';
import { helpLine, optionLines } from './help.js';
import { jpegAlphaWarnings } from './jpeg-alpha.js';
import { RunProgressView } from './run-progress.js';
import { checkRegionMapFits, checkRegionPaths, REGION_FLAGS, REGION_HELP, regionLines, regionsWanted, regionSummary, stageRegionOutputs } from './region-outputs.js';
import { ms, oneInput, paletteLines, paletteJSON, plural, qualityJSON, qualityLine, UsageError, warn, writeOut } from './report.js';
import { releaseKernelMemory } from './release-memory.js';
import { searchJSON, searchLines, strictMiss, TARGET_FLAGS, TARGET_HELP, targetOptionsFrom } from './quality-target.js';
import { inputSource, parseStdio, STDIO_FLAGS, STDIO_HELP, writeStdout, type Stdio } from './stdio.js';
import { keptOutside, ROI_DITHER_OPTIONS, roiDitherJSON, roiDitherLines, roiQualityImage, withRoiMask } from './roi-dither.js';

/** The table options the main command takes, in the order its help lists them. */
export const SEGMENT_OPTIONS: readonly OptionName[] = [
  'k', 'colorSpace', 'spatialWeight', 'sample', 'connectivity', 'minRegion', 'seed', 'init', 'maxIterations', 'tolerance', 'attempts', 'backend', 'threads', 'limitInputPixels',
  'pngColors', ...ROI_DITHER_OPTIONS, 'strips', 'stripRows']; // the strip flags: taken out by cli/strips.ts before parsing

export const USAGE = `Usage: kmeans-seg <input> -o <output> [-k <K>] [options]
       kmeans-seg sweep <input> -k <K,K,...> -o <sheet>   (kmeans-seg sweep --help)
       kmeans-seg apply --palette <file> <images...> -o <out>   (kmeans-seg apply --help)
       kmeans-seg batch <images...> -k <K> -o <folder>   (kmeans-seg batch --help)

Segment an image into K flat colours with K-means.

${helpLine('<input>', 'image to read: JPEG, PNG, WebP, AVIF, TIFF or GIF; - reads stdin')}
${helpLine('-o, --output <file>', 'segmented image to write: .png, .jpg, .jpeg or .webp; - writes stdout (see --format)')}

Other outputs (any of them may replace -o):
${helpLine('--labels <file.png>', 'label map: grayscale PNG, pixel value = label (8-bit, or 16-bit when K > 255)')}
${helpLine('--masks <folder>', 'one 1-bit mask per colour: mask-00.png, mask-01.png, ... (folder created if missing)')}
${helpLine('--palette <file>', 'the palette: JSON (hex, rgb, count, share, centroids), or a GIMP palette if it ends in .gpl; - writes stdout')}
${helpLine('--overlay <file>', 'the segment borders drawn over the original (.png, .jpg, .webp)')}
${helpLine('--border-color <#rrggbb>', 'colour of those borders (default #ffff00)')}
${REGION_HELP}

Pipelines (at most one output may be -; the summary then goes to stderr):
${STDIO_HELP}

K-means options:
${optionLines(SEGMENT_OPTIONS, { k: `${optionRow('k').doc} (1-65536; default 8); with --max-delta-e or --min-psnr, the largest K to try (default 256)`, init: `${optionRow('init').flag!.doc}; or a palette file (.json, .gpl) of the K starting colours (default kmeans++)` })}\n${TARGET_HELP}

Options:
${helpLine('--force', 'overwrite existing outputs, even the input')}
${helpLine('--json', 'print a JSON summary on stdout (palette, inertia, quality: PSNR and ΔE); not with an output on stdout')}
${helpLine('-q, --quiet', 'print no summary and no warnings, only errors')}
${helpLine('--verbose', 'print stack traces with errors')}
${helpLine('-h, --help', 'show this help')}
${helpLine('--version', 'print the version')}

Exit codes: 0 done, 1 failed (read, decode, write), 2 usage error.

Example:
  kmeans-seg photo.jpg -k 6 -o photo-6.png --seed 42 --palette photo-6.gpl --overlay photo-6-borders.png
  curl -s https://example.org/a.jpg | kmeans-seg - -k 8 -o - --format webp > a-8.webp
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
  ...REGION_FLAGS, ...TARGET_FLAGS,
  ...STDIO_FLAGS,
} as const;

const OUTPUTS = ['output', 'labels', 'masks', 'palette', 'overlay', 'regions', 'region-map'] as const;
type Outputs = Partial<Record<(typeof OUTPUTS)[number], string>>;
const EXAMPLE_OF = { output: 'out.png', labels: 'labels.png', masks: 'masks', palette: 'palette.json', overlay: 'borders.png', regions: 'regions.json', 'region-map': 'regions.png' };

interface SegmentCommand {
  input: string;
  outputs: Outputs;
  options: SegmentOptions;
  borderColor: [number, number, number] | undefined;
  /** --overlay-regions: the overlay outlines the regions. */
  outlineRegions: boolean;
  check: { force: boolean; inputPath: string | undefined };
  json: boolean;
  /** `-` as the input or an output (which is then not in `outputs`). */
  stdio: Stdio;
  /** `--init FILE`: a palette file of starting colours, read with the other checks. */
  initFile: string | undefined;
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
    throw new UsageError('Missing -o/--output: pass where to write the segmented image, e.g. -o out.png (or another output: --labels, --masks, --palette, --overlay, --regions, --region-map)');
  }
  const json = values.json === true;
  const stdio = parseStdio(input, outputs, values, json);
  distinctPaths(outputs);
  const init = initFileFrom(values);
  const options = targetOptionsFrom(values, kmeansOptionsFrom(init.values, SEGMENT_OPTIONS));
  if (regionsWanted(outputs, values)) options.regions = true;
  const borderColor = values['border-color'] === undefined ? undefined : hexColour('--border-color', values['border-color'] as string);
  const check = { force: values.force === true, inputPath: stdio.stdin ? undefined : input };
  return { input, outputs, options, borderColor, outlineRegions: values['overlay-regions'] === true, check, json, stdio, initFile: init.initFile };
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

/** What the checks before any work found: the pixel limit, the PNG mode and the options kmeans will run with. */
interface Checked { limit: number | false; pngColors: PngColors; resolved: ResolvedOptions }

const WHAT: Record<Exclude<keyof Outputs, 'masks'>, string> = {
  output: 'output', labels: 'label map', palette: 'palette', overlay: 'overlay', regions: 'regions file', 'region-map': 'region map',
};

/**
 * Every option (together: some contradict each other) and every output path, before any work. Each
 * file is planned in the run's OutputSet: no two outputs on one file however spelled (links, dangling
 * ones too), no output in the masks folder under a mask's name, writable folders.
 * @throws {KMeansSegError} ERR_INVALID_OPTION, or the output path's code.
 */
async function checkOutputs(cmd: SegmentCommand, set: OutputSet): Promise<Checked> {
  if (cmd.initFile !== undefined) cmd.options.init = await initColours(cmd.initFile);
  const { limitInputPixels, pngColors, ...kmeansOptions } = await withRoiMask(cmd.options); // the mask file decoded
  const resolved = resolveOptions(kmeansOptions);
  const limit = resolveLimitInputPixels(limitInputPixels);
  const { outputs, check } = cmd;
  await reserveOutputs(outputs, resolved.k, set); // two names for one file: said before "exists"
  if (outputs.output !== undefined) await checkOutputPath(outputs.output, check);
  if (outputs.labels !== undefined) await checkOutputPath(outputs.labels, { ...check, extensions: ['.png'], what: 'label map' });
  if (outputs.palette !== undefined) await checkOutputPath(outputs.palette, { ...check, what: 'palette' });
  if (outputs.overlay !== undefined) await checkOutputPath(outputs.overlay, check);
  if (outputs.masks !== undefined) await checkMaskDir(outputs.masks, undefined, check);
  await checkRegionPaths(outputs, check);
  await set.checkFolders();
  return { limit, pngColors: resolvePngColors(pngColors), resolved };
}

/** Reserve each output file in `set`, and refuse one that lies in the masks folder under a mask's name (K may still shrink). */
async function reserveOutputs(outputs: Outputs, k: number, set: OutputSet): Promise<void> {
  for (const name of ['output', 'labels', 'palette', 'overlay', 'regions', 'region-map'] as const) {
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
  if (cmd.stdio.stdout === 'output') checkEncodable(image.width, image.height, cmd.stdio.format, 'stdout');
  for (const file of [outputs.labels, outputs.masks && path.join(outputs.masks, maskName(0, resolved.k))]) {
    if (file !== undefined) checkEncodable(image.width, image.height, 'png', file);
  }
  if (outputs.labels !== undefined && labelsNeed32Bits(image, resolved.k, Array.isArray(resolved.init), resolved.spatialWeight > 0)) {
    checkLabelDepth(resolved.k, true, outputs.labels);
  }
}

/** The decoded input and its clustering. writeOutputs takes `image` out, so that it can be freed. */
interface Clustered { image: DecodedImage | undefined; result: KMeansResult; warnings: string[]; decoded: number }

async function cluster(cmd: SegmentCommand, checked: Checked, progress: RunProgressView): Promise<Clustered> {
  const source = inputSource(cmd.input, cmd.stdio);
  const image = await decodeImage(source, { limitInputPixels: checked.limit, kernel: checked.resolved });
  const decoded = performance.now();
  checkSizes(cmd, image, checked.resolved);
  const { limitInputPixels: _limit, pngColors: _png, ...kmeansOptions } = cmd.options;
  wantColours(image); // the quality figures then need no pass over the pixels (see qualityOfColours)
  const result = await kmeans(image, progress.enabled ? { ...kmeansOptions, onProgress: (p) => progress.update(p) } : kmeansOptions)
    .catch((error: unknown) => { throw nameInput(error, source); }); // as segment() does: the core's image errors name the file
  await releaseKernelMemory(image.width * image.height); // nothing after this clusters: its memory goes before the encode's peak
  const toStdout = cmd.stdio.stdout === 'output' ? `stdout.${cmd.stdio.format}` : cmd.outputs.output;
  const flattened = jpegAlphaWarnings({ '-o': toStdout, '--overlay': cmd.outputs.overlay }, result.hasAlpha);
  return { image, result, warnings: [...image.warnings, ...result.warnings, ...flattened], decoded };
}

interface Written { quality: Quality; masks: string[] | undefined }

/**
 * Every output, all or nothing: each is encoded and written to a temporary file, and only once all
 * are written are they renamed into place (see OutputSet).
 */
async function writeOutputs(cmd: SegmentCommand, clustered: Clustered, set: OutputSet, pngColors: PngColors): Promise<Written> {
  const { outputs, check } = cmd;
  const { result } = clustered;
  let image: DecodedImage | undefined = clustered.image;
  clustered.image = undefined;
  if (image === undefined) throw new Error('writeOutputs: the decoded image was taken already');
  // K is known now (it may have been reduced): the mask names are checked before the first write.
  const masks = outputs.masks === undefined ? undefined : await planMasks(result, outputs.masks, check, set);
  // An indexed PNG and the label map are deflated on libuv's threads while this one computes the
  // quality figures; a failure is reported where they are awaited, inside set.run.
  const { stdio } = cmd;
  const target = stdio.stdout === 'output' ? 'stdout' : outputs.output;
  const format = stdio.stdout === 'output' ? stdio.format : outputs.output === undefined ? undefined : imageFormatOf(outputs.output)!;
  const indexed = format === 'png' && pngColors === 'auto' && !keptOutside(result.labels) ? indexedSegmentedPNG(result, target!, image.data) : null;
  const labels = outputs.labels === undefined ? undefined : labelsPNG(result);
  for (const early of [indexed, labels]) early?.catch(() => undefined);
  // Quality before any paint, so that without --overlay a truecolour output can be painted over the
  // decoded original (no second image-sized buffer at the memory peak), which then goes.
  const colours = takeColours(result.labels);
  // Merged regions took their neighbour's label: only the pixels say what the output now is.
  const quality = colours !== undefined && result.mergedRegions === 0 ? qualityOfColours(result, colours) : qualityOf(roiQualityImage(image, cmd.options.roi), result); // over the roi's inside
  checkRegionMapFits(outputs, result); // before the first write: a PNG holds 65536 region ids
  const original = outputs.overlay === undefined ? undefined : image;
  let spare = original === undefined ? image.data : undefined;
  image = undefined;
  const { width, height } = result;
  let stdout: Uint8Array | undefined; // written once every file is in place: a failed run writes nothing there
  const stage = async (name: 'output' | 'palette', file: string, bytes: Uint8Array) => { if (stdio.stdout === name) stdout = bytes; else await set.stage(file, bytes); };
  await set.run(async () => {
    if (target !== undefined) await stage('output', target, await (indexed ?? encodeSegmented(result, format!, target, { pngColors: 'truecolour', original: spare, paintOver: true })));
    spare = undefined;
    if (labels !== undefined) await set.stage(outputs.labels!, await labels);
    if (masks !== undefined) await stageMasks(result, outputs.masks!, masks, set);
    const palette = stdio.stdout === 'palette' ? `stdout.${stdio.paletteFormat}` : outputs.palette;
    if (palette !== undefined) await stage('palette', palette, paletteFileBytes(result, palette, { ...check, colorSpace: result.colorSpace }));
    await stageRegionOutputs(outputs, result, set);
    if (original !== undefined) {
      const outline = cmd.outlineRegions ? overlayRegions : overlayBorders;
      const drawn = outline(original, result, { color: cmd.borderColor });
      await set.stage(outputs.overlay!, await encodePixels(drawn, width, height, imageFormatOf(outputs.overlay!)!, outputs.overlay!, { pngColors }));
    }
  });
  if (stdout !== undefined) await writeStdout(stdout);
  return { quality, masks };
}

interface Timings { decode: number; encode: number; total: number }

function summaryJSON(cmd: SegmentCommand, c: Clustered, w: Written, t: Timings): string {
  const { input, outputs } = cmd;
  const { result } = c;
  const summary = {
    input, output: outputs.output ?? (cmd.stdio.stdout === 'output' ? '-' : null), width: result.width, height: result.height, k: result.k,
    palette: paletteJSON(result.palette),
    inertia: result.inertia, iterations: result.iterations, converged: result.converged,
    // Which of the seeded restarts won, 0-based as result.attempt.
    attempts: cmd.options.attempts ?? 1, attempt: result.attempt,
    backend: result.backend, warnings: c.warnings, ...searchJSON(result),
    colorSpace: cmd.options.colorSpace ?? 'rgb', ...roiDitherJSON(cmd.options),
    quality: qualityJSON(w.quality),
    outputs: {
      labels: outputs.labels ?? null, masks: w.masks ?? null, palette: outputs.palette ?? null, overlay: outputs.overlay ?? null,
      regions: outputs.regions ?? null, regionMap: outputs['region-map'] ?? null,
    },
    regions: regionSummary(result),
    timings: {
      decode: ms(t.decode), histogram: ms(result.timings.histogram), init: ms(result.timings.init),
      lloyd: ms(result.timings.lloyd), ...(result.timings.regions === undefined ? {} : { regions: ms(result.timings.regions) }),
      encode: ms(t.encode), total: ms(t.total),
    },
  };
  return JSON.stringify(summary, null, 2) + '\n';
}

function summaryText(cmd: SegmentCommand, result: KMeansResult, w: Written, total: number): string {
  const { input, outputs } = cmd;
  const { masks } = w;
  const stop = result.converged ? 'converged' : 'not converged: raise --max-iter';
  const attempts = cmd.options.attempts ?? 1;
  const won = attempts > 1 ? `, attempt ${result.attempt + 1} of ${attempts} kept` : '';
  const written = [
    outputs.labels && `  labels  -> ${outputs.labels}\n`,
    masks && `  masks   -> ${path.join(outputs.masks!, path.basename(masks[0]!))} ... ${path.basename(masks.at(-1)!)} (${masks.length})\n`,
    (outputs.palette ?? (cmd.stdio.stdout === 'palette' ? 'stdout' : undefined)) && `  palette -> ${outputs.palette ?? 'stdout'}\n`,
    outputs.overlay && `  overlay -> ${outputs.overlay}\n`,
    regionLines(outputs, result),
  ].filter(Boolean).join('');
  const to = outputs.output ?? (cmd.stdio.stdout === 'output' ? 'stdout' : undefined);
  return `${cmd.stdio.stdin ? 'stdin' : input}${to !== undefined ? ` -> ${to}` : ''}: ${result.width}x${result.height}, ${plural(result.k, 'colour')}, ` +
    `${plural(result.iterations, 'iteration')} (${stop})${won}, ${result.backend}, ${Math.round(total)} ms\n` +
    paletteLines(result.palette) + `  ${qualityLine(w.quality)}\n` + searchLines(result) + roiDitherLines(cmd.options) + written;
}

/**
 * The main command: parse, check, decode and cluster, write, print. Returns the exit code 0.
 * @throws {UsageError} or a KMeansSegError of the failing step; runCommand turns them into exit codes.
 */
export async function runSegment(argv: string[]): Promise<number> {
  const strips = await (await import('./strips.js')).stripCommand(argv, parseSegmentCommand); if ('code' in strips) return strips.code; const cmd = parseSegmentCommand(strips.argv); // --strips, or above STRIP_THRESHOLD_PIXELS: the strip path (cli/strips.ts)
  const t0 = performance.now();
  const set = new OutputSet();
  const checked = await checkOutputs(cmd, set);
  const progress = new RunProgressView(process.stderr, { silent: cmd.json || cmd.stdio.quiet }); // on a terminal only
  const clustered = await progress.during('decode', () => cluster(cmd, checked, progress));
  const missed = strictMiss(cmd.options, clustered.result); if (missed !== undefined) return missed; // --strict: nothing written
  const t1 = performance.now();
  const written = await progress.during('encode', () => writeOutputs(cmd, clustered, set, checked.pngColors));
  const t2 = performance.now();
  if (cmd.stdio.quiet) return 0;
  for (const warning of clustered.warnings) warn(warning);
  const timings = { decode: clustered.decoded - t0, encode: t2 - t1, total: t2 - t0 };
  // With an output on stdout, the summary goes to stderr (--json is refused then).
  const summary = cmd.json ? summaryJSON(cmd, clustered, written, timings) : summaryText(cmd, clustered.result, written, timings.total);
  writeOut(summary, cmd.stdio.stdout === undefined ? process.stdout : process.stderr);
  return 0;
}
