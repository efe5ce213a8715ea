/**
 * segmentStrips(): the strip path from the Node API, file to files (docs/huge-images.md). Invariant:
 * every option and output path is checked before the image is decoded, and the outputs appear all
 * or nothing.
 */
import { checkOption } from '../../core/option-table.js';
import { resolveOptions, type KMeansOptions } from '../../core/options.js';
import { KMeansSegError } from '../../errors.js';
import { DEFAULT_STRIP_ROWS } from '../../limits.js';
import { checkMaskDir } from '../../outputs/masks.js';
import { invalidOption, quote } from '../../validate.js';
import { resolveLimitInputPixels } from '../decode.js';
import { resolvePngColors, type PngColors } from '../encode.js';
import { checkOutputPath, imageFormatOf, type WriteOptions } from '../output-path.js';
import { checkStripOptions } from './cluster.js';
import { runStrips, type StripOutputs, type StripRun } from './pipeline.js';
import { openStripSource, readMeta, stripRefusal } from './source.js';

export type { StripOutputs, StripRun } from './pipeline.js';

export interface SegmentStripsOptions extends KMeansOptions {
  /** As segment()'s. Default 268402689. */
  limitInputPixels?: number | false;
  /** As segment()'s: 'auto' writes an opaque image of at most 256 colours indexed. */
  pngColors?: PngColors;
  /** Rows per strip, 1 to 65536. Default 256. */
  stripRows?: number;
  /** Overwrite existing outputs. Default false. */
  force?: boolean;
  /** The overlay's border colour [r, g, b]. Default [255, 255, 0]. */
  borderColor?: readonly [number, number, number];
}

/**
 * Refuse what the strip path does not write: image outputs other than PNG; then check every path
 * (as the main command does). `check` carries force and the input path.
 * @throws ERR_OUTPUT_FORMAT naming .png; the errors of checkOutputPath and checkMaskDir.
 */
export async function checkStripOutputs(outputs: StripOutputs, check: WriteOptions): Promise<void> {
  for (const file of [outputs.output, outputs.overlay]) {
    if (file !== undefined && imageFormatOf(file) !== 'png') {
      throw new KMeansSegError('ERR_OUTPUT_FORMAT', `The strip path writes PNG only, not ${quote(file)}: give it a .png name (or --strips false / segment() if the image fits in memory)`);
    }
  }
  if (outputs.output !== undefined) await checkOutputPath(outputs.output, check);
  if (outputs.labels !== undefined) await checkOutputPath(outputs.labels, { ...check, extensions: ['.png'], what: 'label map' });
  if (outputs.palette !== undefined) await checkOutputPath(outputs.palette, { ...check, what: 'palette' });
  if (outputs.overlay !== undefined) await checkOutputPath(outputs.overlay, check);
  if (outputs.masks !== undefined) await checkMaskDir(outputs.masks, undefined, check);
}

/** Refuse an image above the pixel limit, from its header. @throws ERR_TOO_LARGE with the fix. */
export function checkStripLimit(pixels: number, limit: number | false, name: string): void {
  if (limit !== false && pixels > limit) {
    throw new KMeansSegError('ERR_TOO_LARGE', `${name} has ${pixels} pixels, more than the limit of ${limit}: if you trust the file, raise the limit with --limit-input-pixels ${pixels} (CLI) or limitInputPixels: ${pixels} (API)`);
  }
}

/**
 * Segment the image file `input` strip by strip and write `outputs` (PNG; any of output, labels,
 * masks, palette, overlay), in memory bounded by the distinct colours and one strip. Resolves with
 * the clustering (palette, inertia, ...: no per-pixel labels) and the quality figures.
 *
 * @throws ERR_INVALID_OPTION for a bad option or one the strip path refuses (see checkStripOptions);
 *   ERR_OUTPUT_FORMAT for a non-PNG output; ERR_TOO_LARGE above the pixel limit, or for an input that
 *   cannot be read exactly in strips (use segment()); ERR_DECODE, ERR_READ, ERR_WRITE, ERR_ABORTED.
 *
 * @example
 * const run = await segmentStrips('mosaic.png', { output: 'mosaic-16.png', labels: 'labels.png' }, { k: 16, limitInputPixels: false });
 */
export async function segmentStrips(input: string, outputs: StripOutputs, options: SegmentStripsOptions = {}): Promise<StripRun> {
  const { limitInputPixels, pngColors, stripRows = DEFAULT_STRIP_ROWS, force, borderColor, ...kmeansOptions } = options;
  const resolved = resolveOptions(kmeansOptions);
  checkStripOptions(resolved);
  checkOption('stripRows', stripRows);
  const limit = resolveLimitInputPixels(limitInputPixels);
  const png = resolvePngColors(pngColors);
  if (borderColor !== undefined && !(Array.isArray(borderColor) && borderColor.length === 3 && borderColor.every((v) => Number.isInteger(v) && v >= 0 && v <= 255))) {
    throw invalidOption('borderColor', 'three integers 0-255, e.g. [255, 255, 0]', borderColor);
  }
  if (typeof input !== 'string' || input === '') throw new KMeansSegError('ERR_INVALID_OPTION', `Expected an image file path for input but received ${quote(String(input))}`);
  const check = { force: force === true, inputPath: input };
  await checkStripOutputs(outputs, check);
  const name = `Input file ${quote(input)}`;
  const meta = await readMeta(input, name);
  checkStripLimit((meta.width ?? 0) * (meta.height ?? 0), limit, name);
  const refusal = stripRefusal(meta);
  if (refusal !== undefined) throw new KMeansSegError('ERR_TOO_LARGE', `${name} cannot be read in strips: ${refusal}; use segment() if it fits in memory, or convert it to a non-interlaced 8-bit sRGB PNG`);
  const source = await openStripSource(input, meta, name, false);
  try {
    return await runStrips(source, resolved, outputs, { stripRows, pngColors: png, borderColor, onProgress: resolved.onProgress, ...check });
  } finally {
    await source.close();
  }
}
