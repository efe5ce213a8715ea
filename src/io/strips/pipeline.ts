/**
 * The strip path: pass 1 reads the image strip by strip into the histogram, K-means runs on it,
 * pass 2 reads the strips again, labels each and streams every output. Invariant: memory is the
 * histogram, one strip and the writers' buffers, never the image; outputs appear all or nothing.
 */
import path from 'node:path';
import type { Progress, ResolvedOptions } from '../../core/options.js';
import { qualityOfColours, type Quality } from '../../core/quality.js';
import { KMeansSegError } from '../../errors.js';
import { checkMaskDir, maskName } from '../../outputs/masks.js';
import type { PngColors } from '../encode.js';
import { makeFolder, type WriteOptions } from '../output-path.js';
import { paletteFileBytes } from '../../palette/write.js';
import { clusterHistogram, type StripFit } from './cluster.js';
import type { StripSource } from './source.js';
import { StreamedFiles } from './streamed-files.js';
import { StripHistogram, StripLabeller } from './strip-histogram.js';
import { labelWriter, maskWriter, overlayWriter, recolourWriter, type StripWriter } from './writers.js';

/** Where the strip path writes: every path checked beforehand (checkOutputPath, checkMaskDir without k). */
export interface StripOutputs { output?: string; labels?: string; masks?: string; palette?: string; overlay?: string }

export interface StripRunOptions extends WriteOptions {
  stripRows: number;
  pngColors: PngColors;
  /** Border colour of the overlay. Default [255, 255, 0]. */
  borderColor?: readonly number[];
  onProgress?: (progress: Progress) => void;
}

export interface StripRun extends StripFit {
  quality: Quality;
  /** The masks written, in label order. */
  masks: string[] | undefined;
  timings: { pass1: number; cluster: number; pass2: number };
  /** Rows per strip used: stripRows, or fewer for a strip within MAX_STRIP_BYTES. */
  stripRows: number;
}

/** `read`, marked handled: a strip read ahead may fail while the loop is elsewhere; it is awaited (and throws) in turn. */
function quiet(read: Promise<Uint8Array>): Promise<Uint8Array> {
  read.catch(() => undefined);
  return read;
}

/**
 * Two buffers of `rows` rows for the strips, in turn: one is read while the other is counted or
 * labelled (a strip's bytes are not kept past push(): each writer derives its own rows from them).
 */
function stripBuffers(source: StripSource, rows: number): [Uint8Array, Uint8Array] {
  const bytes = Math.min(rows, source.height) * source.width * source.channels;
  return [new Uint8Array(bytes), new Uint8Array(bytes)];
}

/** Most bytes of RGBA in one strip, whatever stripRows asks. */
export const MAX_STRIP_BYTES = 256 << 20;

/** A strip-path progress report: rows read of both passes (2 x height in all). */
function report(o: StripRunOptions, done: number, total: number): void {
  o.onProgress?.({ stage: 'strips', done, total, attempt: 0, iteration: 0, inertia: 0, changed: 0 });
}

/** Pass 1: every strip counted, each as soon as libvips has written it (the next one read meanwhile). */
async function passOne(source: StripSource, o: StripRunOptions, signal: AbortSignal | undefined): Promise<StripHistogram> {
  const hist = new StripHistogram();
  const { height, width } = source;
  const buffers = stripBuffers(source, o.stripRows);
  const read = (top: number): Promise<Uint8Array> => quiet(source.read(top, Math.min(o.stripRows, height - top), buffers[(top / o.stripRows) & 1]));
  let next = read(0); // the next strip is read while this one is counted
  for (let top = 0; top < height; top += o.stripRows) {
    if (signal?.aborted) throw new KMeansSegError('ERR_ABORTED', `Aborted at row ${top} of ${height}: the signal passed as options.signal was aborted`, { cause: signal.reason });
    const rows = Math.min(o.stripRows, height - top);
    const pixels = await next;
    if (top + rows < height) next = read(top + rows);
    hist.add(pixels, source.channels);
    report(o, top + rows, 2 * height);
  }
  if (hist.count !== width * height) throw new Error(`pass 1 counted ${hist.count} of ${width * height} pixels`);
  await source.decoded();
  return hist;
}

/** Open a writer for each output asked for, in `files`. */
async function openWriters(fit: StripFit, out: StripOutputs, o: StripRunOptions, files: StreamedFiles, wide: boolean): Promise<{ writers: StripWriter[]; masks: string[] | undefined }> {
  const { width, height, k, palette, hasAlpha } = fit.result;
  const writers: StripWriter[] = [];
  if (out.output !== undefined) writers.push(recolourWriter({ width, height, k, palette, hasAlpha, pngColors: o.pngColors }, await files.open(out.output), out.output));
  if (out.labels !== undefined) writers.push(labelWriter(width, height, wide, await files.open(out.labels)));
  let masks: string[] | undefined;
  if (out.masks !== undefined) {
    await checkMaskDir(out.masks, k, o); // k is known now: no mask may exist unless force
    await makeFolder(out.masks, 'masks folder', 'check that its parent is writable, or pass another --masks folder');
    masks = Array.from({ length: k }, (_, j) => path.join(out.masks!, maskName(j, k)));
    const sinks = [];
    for (const file of masks) sinks.push(await files.open(file));
    writers.push(maskWriter(width, height, k, sinks));
  }
  if (out.overlay !== undefined) writers.push(overlayWriter(width, height, hasAlpha, o.borderColor ?? [255, 255, 0], await files.open(out.overlay), out.overlay));
  return { writers, masks };
}

/**
 * Run the strip path on `source` with options `opts` (resolved; checkStripOptions passed) and write
 * `out`. Masks past 256 labels would hold too many files open at once, and are refused.
 *
 * @throws ERR_INVALID_OPTION for masks with k > 256 or 32-bit labels; the errors of the source, the
 *   clustering and the writers (ERR_WRITE); ERR_ABORTED.
 */
export async function runStrips(source: StripSource, opts: ResolvedOptions, out: StripOutputs, given: StripRunOptions): Promise<StripRun> {
  const t0 = performance.now();
  // A strip of a very wide image (libvips takes 10 M pixels a side) stays within MAX_STRIP_BYTES of RGBA.
  const o = { ...given, stripRows: Math.max(1, Math.min(given.stripRows, Math.floor(MAX_STRIP_BYTES / (source.width * 4)))) };
  const hist = (await passOne(source, o, opts.signal)).finish();
  const t1 = performance.now();
  const fit = await clusterHistogram(hist, source.width, source.height, opts);
  // As decodeImage says it: the strip path too reads the first frame (page) only.
  if (source.pages > 1) fit.result.warnings.unshift(`only the first of the ${source.pages} frames (or pages) of the ${source.format.toUpperCase()} was segmented`);
  const t2 = performance.now();
  const { k } = fit.result;
  const labelCount = k + (hist.opaque < source.width * source.height ? 1 : 0);
  if (labelCount > 65536) throw new KMeansSegError('ERR_INVALID_OPTION', `k = ${k} with transparent pixels needs 32-bit labels, which the strip path does not write: use k <= 65535`);
  if (out.masks !== undefined && k > 256) throw new KMeansSegError('ERR_INVALID_OPTION', `--masks with k = ${k} on the strip path would keep ${k} files open: use k <= 256, or strips: false`);
  const labeller = new StripLabeller(hist, fit.colourLabels, k, labelCount > 256);
  const files = new StreamedFiles();
  try {
    const { writers, masks } = await openWriters(fit, out, o, files, labelCount > 256);
    await passTwo(source, labeller, writers, o);
    if (out.palette !== undefined) await (await files.open(out.palette)).write(Buffer.from(paletteFileBytes(fit.result, out.palette, { ...o, colorSpace: fit.result.colorSpace })));
    await files.commit();
    const quality = qualityOfColours(fit.result, { keys: hist.keys, counts: hist.counts, labels: fit.colourLabels, n: hist.n });
    return { ...fit, quality, masks, stripRows: o.stripRows, timings: { pass1: t1 - t0, cluster: t2 - t1, pass2: performance.now() - t2 } };
  } catch (error) {
    await files.discard();
    throw error;
  }
}

/** Pass 2: each strip read with the row below it (for the overlay's borders), labelled, and pushed to every writer. */
async function passTwo(source: StripSource, labeller: StripLabeller, writers: StripWriter[], o: StripRunOptions): Promise<void> {
  const { width, height } = source;
  // Each strip with the row below it, read while the one before is labelled and written.
  const buffers = stripBuffers(source, o.stripRows + 1);
  const read = (top: number): Promise<Uint8Array> => quiet(source.read(top, Math.min(o.stripRows + 1, height - top), buffers[(top / o.stripRows) & 1]));
  let next = read(0);
  for (let top = 0; top < height; top += o.stripRows) {
    const rows = Math.min(o.stripRows, height - top);
    const extra = top + rows < height ? 1 : 0;
    const pixels = await next;
    if (extra) next = read(top + rows);
    const all = labeller.label(pixels, source.channels); // reused: the writers copy what they keep (packed rows) in push()
    const strip = { rows, pixels: pixels.subarray(0, rows * width * source.channels), channels: source.channels, labels: all.subarray(0, rows * width), below: extra ? all.subarray(rows * width) : undefined };
    await Promise.all(writers.map((w) => w.push(strip))); // each deflates on libuv's threads: together, none waits on another's parts
    report(o, height + top + rows, 2 * height);
  }
  await Promise.all(writers.map((w) => w.end())); // each its own file: one's last parts need not wait for another's
}
