// Segment many files at once, one file per worker thread (batch(), its options and its report).
// Invariant: every check that can fail the whole batch runs before the first worker starts; after
// that a failing file is recorded and the batch goes on.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkPalette, readPalette, type PaletteSource } from '../palette/parse.js';
import { resolveLimitInputPixels } from '../io/decode.js';
import { makeFolder } from '../io/output-path.js';
import { CLUSTER_OPTION_NAMES, type OptionName } from '../core/option-table.js';
import { defaultOptions, resolveOptions } from '../core/options.js';
import type { SegmentOptions } from '../segment.js';
import { invalidOption, checkCallbacks, checkOptionNames, checkPlainObject } from '../validate.js';
import type { BatchFileSummary, FileError, FileOutcome } from './messages.js';
import { expandInputs, planOutputs } from './plan.js';
import { checkRecords, RECORD_FOLDER, recipeOf } from './record.js';
import type { BatchPlan } from './report-file.js';
import { BatchScheduler } from './scheduler.js';
import { resolveQueueOptions, type QueueOptions, type ResolvedQueue } from './queue/queue-options.js';

export type { BatchFileSummary } from './messages.js';

export type BatchFormat = 'png' | 'jpg' | 'jpeg' | 'webp';
export const BATCH_FORMATS: readonly BatchFormat[] = ['png', 'jpg', 'jpeg', 'webp'];

export interface BatchOptions extends Omit<SegmentOptions, 'threads' | 'onProgress' | 'signal'> {
  /** Folder for the outputs, created (with its parents) if missing. One output per input: its base name plus the format's extension. Required. */
  output: string;
  /** Output format: 'png' (default), 'jpg'/'jpeg' or 'webp' (lossless). */
  format?: BatchFormat;
  /**
   * Redo files whose output exists. Default false: they are skipped when the record beside them
   * (`.kmeans-seg/<output>.json`) holds this batch's settings, or has none; the batch is refused
   * (ERR_OUTPUT_EXISTS) when it holds others. Inputs are never overwritten.
   */
  force?: boolean;
  /** Worker threads, 1-256; each works on one file with one thread. Default, and at most: every core (os.availableParallelism()); more is capped, with a warning. */
  concurrency?: number;
  /** Apply this palette (a file path, or colours as for applyPalette) instead of clustering each file; then k, seed, init, maxIterations, tolerance, attempts and histogram must be left out. */
  palette?: PaletteSource;
  /** Stop the batch: running files get a moment to finish or stop between stages, then their workers are terminated, temporary files removed, and the report (interrupted: true) returned. */
  signal?: AbortSignal;
  /** After the signal, how long (ms, 0-60000) running files get to reach a checkpoint before their workers are terminated. Default 2000. */
  stopGraceMs?: number;
  /** Called once with `file: null` when the work starts, then after every file (skipped ones included). */
  onProgress?: (progress: BatchProgress) => void;
  /**
   * Run the files on a BullMQ queue on Redis instead of this machine's cores: one job per file, run
   * by `kmeans-seg worker` processes on any host that sees the same paths (see docs/distributed.md).
   * Needs the optional packages bullmq and ioredis. Leave concurrency out: the workers set theirs.
   */
  queue?: QueueOptions;
}

export type BatchStatus = 'done' | 'skipped' | 'failed' | 'cancelled';

export interface BatchFileReport extends Partial<BatchFileSummary> {
  input: string;
  output: string;
  status: BatchStatus;
  /** Why it failed: the error's code (null for an unexpected error) and its one-line message. */
  error?: FileError;
  /** Milliseconds in its worker. */
  ms?: number;
  /** With a queue: the host whose worker ran it. */
  host?: string;
  /** With a queue, for a failed file: how many times it was tried. */
  attempts?: number;
}

export interface BatchReport {
  output: string;
  format: BatchFormat;
  total: number;
  done: number;
  skipped: number;
  failed: number;
  cancelled: number;
  /** True when the signal stopped the batch. */
  interrupted: boolean;
  workers: number;
  ms: number;
  /** Patterns that matched no file or matched folders, workers capped at the core count, outputs without a record... */
  warnings: string[];
  /** Pattern matches left out because they are folders (also named in warnings). */
  folders: string[];
  /** One entry per input, in input order. */
  files: BatchFileReport[];
}

export interface BatchProgress {
  total: number;
  /** Files finished so far, whatever their status. */
  finished: number;
  /** The file just finished; null for the call that opens the batch. */
  file: BatchFileReport | null;
  counts: Record<BatchStatus, number>;
  workers: number;
}

/**
 * How long a stop waits by default for running files to reach a checkpoint (workers look at the stop
 * flag between stages and after every K-means pass) before their workers are terminated.
 */
const STOP_GRACE_MS = 2000;
/** Every option of kmeans (so options added there pass through) but the three a batch owns. */
const KMEANS_NAMES = Object.keys(defaultOptions).filter((n) => n !== 'threads' && n !== 'onProgress' && n !== 'signal');
const KNOWN = [
  ...KMEANS_NAMES, 'limitInputPixels',
  'output', 'format', 'force', 'concurrency', 'palette', 'signal', 'stopGraceMs', 'onProgress', 'queue',
];

/**
 * Segment every file matched by `inputs` (glob patterns, expanded here, or paths) into the folder
 * `options.output`. Resolves with a report once every file is done, skipped or failed, or once the
 * signal stopped the batch; rejects (before any work) only when the batch as a whole cannot run, or
 * with the error `onProgress` threw, as it is, once the batch has stopped. Each file runs with one
 * thread on a worker of its own (see BatchScheduler), so a batch uses every core without the
 * per-pass wake-ups of the shared-memory kernel pool.
 *
 * @example
 * const report = await batch('photos/*.jpg', { k: 8, output: 'out' });
 * if (report.failed > 0) console.log(report.files.filter((f) => f.status === 'failed'));
 *
 * @throws {KMeansSegError} before any work: ERR_INVALID_OPTION for a bad option or inputs;
 * ERR_INPUT_NOT_FILE, ERR_INPUT_NOT_FOUND (see expandInputs); ERR_OUTPUT_EXISTS (see planOutputs,
 * and checkRecords: an existing output made with other settings, without force); for a palette file,
 * ERR_PALETTE and ERR_INPUT_NOT_FOUND/ERR_INPUT_NOT_FILE; ERR_OUTPUT_DIR; ERR_BACKEND when no worker
 * thread can start. A file's own failure is never thrown: it is in the report.
 */
export function batch(inputs: string | readonly string[], options: BatchOptions): Promise<BatchReport> {
  return runBatch(inputs, options);
}

/**
 * @internal batch(), with `beforeWork` called once the plan is known and before anything is written
 * (the CLI checks its --report there); what it throws rejects the batch.
 */
export async function runBatch(
  inputs: string | readonly string[], options: BatchOptions, beforeWork?: (plan: BatchPlan) => Promise<void>,
): Promise<BatchReport> {
  const t0 = performance.now();
  const opts = resolveBatchOptions(options);
  const patterns = typeof inputs === 'string' ? [inputs] : inputs;
  if (!Array.isArray(patterns) || patterns.length === 0 || !patterns.every((p) => typeof p === 'string' && p !== '')) {
    throw invalidOption('inputs', "a glob pattern such as 'photos/*.jpg', or a non-empty array of patterns or paths", inputs);
  }
  const warnings: string[] = [];
  const folders: string[] = [];
  const files = await expandInputs(patterns, warnings, folders);
  const outputs = await planOutputs(files, opts.output, `.${opts.format}`);
  const palette = opts.palette === undefined ? null
    : typeof opts.palette === 'string' ? await readPalette(opts.palette) : checkPalette(opts.palette);
  await beforeWork?.({ inputs: files, outputs, palette: typeof opts.palette === 'string' ? opts.palette : undefined });
  const recipe = recipeOf(opts.segment, palette);
  const reports: BatchFileReport[] = files.map((input, i) => ({ input, output: outputs[i]!, status: 'cancelled' }));
  const todo = await filesToDo(reports, opts, recipe, warnings);
  await makeFolder(opts.output);
  // With a queue the workers are elsewhere: the report counts those that ran a job.
  let workers = opts.signal?.aborted ? 0 : opts.queue ? Math.min(todo.length, 1) : workerCount(opts.concurrency, todo.length, warnings);
  // Where the workers write each output's record; without it a file is still done, with a warning.
  if (workers > 0) await fs.mkdir(path.join(opts.output, RECORD_FOLDER), { recursive: true }).catch(() => undefined);

  const counts: Record<BatchStatus, number> = { done: 0, skipped: 0, failed: 0, cancelled: 0 };
  let finished = 0;
  const progress = (file: BatchFileReport | null): void => {
    if (file) { finished++; counts[file.status]++; }
    opts.onProgress?.({ total: files.length, finished, file, counts: { ...counts }, workers });
  };
  progress(null);
  for (const r of reports) if (r.status === 'skipped') progress(r);

  let interrupted = opts.signal?.aborted === true;
  const onFile = (id: number, outcome: FileOutcome): void => { progress(Object.assign(reports[id]!, outcome)); };
  if (workers > 0 && opts.queue) {
    // Loaded only here, so that a local batch never loads bullmq.
    const { runOnQueue } = await import('./queue/producer.js');
    const startedAt = Date.now() - (performance.now() - t0);
    ({ interrupted, workers } = await runOnQueue(todo, { ...opts, queue: opts.queue, files: reports, palette, warnings, onFile, startedAt }));
  } else if (workers > 0) {
    interrupted = await new BatchScheduler(todo, { ...opts, files: reports, palette, recipe, workers, onFile }).run();
  } else {
    for (const i of todo) progress(reports[i]!); // stopped before it started: every file 'cancelled'
  }
  const tally = (s: BatchStatus) => reports.filter((r) => r.status === s).length;
  return {
    output: opts.output, format: opts.format, total: files.length,
    done: tally('done'), skipped: tally('skipped'), failed: tally('failed'), cancelled: tally('cancelled'),
    interrupted, workers, ms: performance.now() - t0, warnings, folders, files: reports,
  };
}

/**
 * The ids of the files to run; the others, whose output exists, marked skipped (unless `force`).
 *
 * @throws {KMeansSegError} ERR_OUTPUT_EXISTS when an existing output's record holds other settings (see checkRecords).
 */
async function filesToDo(reports: BatchFileReport[], opts: ResolvedBatch, recipe: string, warnings: string[]): Promise<number[]> {
  const todo: number[] = [];
  const existing: number[] = [];
  for (let i = 0; i < reports.length; i++) {
    if (!opts.force && (await exists(reports[i]!.output))) existing.push(i);
    else todo.push(i);
  }
  const { unrecorded } = await checkRecords(existing.map((i) => reports[i]!.output), recipe, opts.output);
  if (unrecorded > 0) {
    warnings.push(`${unrecorded === 1 ? 'an existing output has' : `${unrecorded} existing outputs have`} no record of the settings that made ${unrecorded === 1 ? 'it' : 'them'} ` +
      `(an older kmeans-seg, or another tool, wrote ${unrecorded === 1 ? 'it' : 'them'}), so ${unrecorded === 1 ? 'it was' : 'they were'} skipped unchecked: --force / force: true redoes ${unrecorded === 1 ? 'it' : 'them'}`);
  }
  for (const i of existing) reports[i]!.status = 'skipped';
  return todo;
}

/** One worker per file to do, at most `concurrency`, and never more than the cores (a warning says so). */
function workerCount(concurrency: number | undefined, files: number, warnings: string[]): number {
  const cores = os.availableParallelism();
  if (concurrency !== undefined && concurrency > cores && files > cores) {
    warnings.push(`${concurrency} workers asked for (--jobs / concurrency), but this machine has ${plural(cores, 'core')}: using ${cores}; more would only share the cores, and each worker takes memory`);
  }
  return Math.min(concurrency ?? cores, cores, files);
}

interface ResolvedBatch {
  output: string;
  format: BatchFormat;
  force: boolean;
  /** As given: workerCount caps it. */
  concurrency: number | undefined;
  palette: PaletteSource | undefined;
  signal: AbortSignal | undefined;
  stopGraceMs: number;
  onProgress: ((progress: BatchProgress) => void) | undefined;
  /** What each worker passes to segment() (or applyPalette): plain, cloneable values. */
  segment: SegmentOptions;
  queue: ResolvedQueue | undefined;
}

/**
 * Every option checked, in the caller's thread, and defaults filled in.
 *
 * @throws {KMeansSegError} ERR_INVALID_OPTION naming the option (a palette given as colours included).
 */
function resolveBatchOptions(options: BatchOptions): ResolvedBatch {
  checkPlainObject(options, 'options', "an object such as { output: 'out', k: 8 }");
  checkOptionNames(options, KNOWN, 'batch');
  const { output, format = 'png', force = false, concurrency, palette, signal, stopGraceMs = STOP_GRACE_MS, onProgress, limitInputPixels, queue, ...kmeansOptions } = options;
  if (typeof output !== 'string' || output === '') throw invalidOption('output', "the output folder, e.g. 'out'", output);
  if (!BATCH_FORMATS.includes(format)) throw invalidOption('format', "'png', 'jpg', 'jpeg' or 'webp'", format);
  if (typeof force !== 'boolean') throw invalidOption('force', 'true or false', force);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)) {
    throw invalidOption('concurrency', 'an integer between 1 and 256', concurrency, 'leave it out for one worker per core');
  }
  if (!Number.isInteger(stopGraceMs) || stopGraceMs < 0 || stopGraceMs > 60000) {
    throw invalidOption('stopGraceMs', 'an integer between 0 and 60000 (milliseconds)', stopGraceMs);
  }
  checkCallbacks(onProgress, signal);
  if (queue !== undefined && concurrency !== undefined) {
    throw invalidOption('concurrency', 'no value with queue', concurrency, "each worker's --concurrency (startWorker's concurrency) sets how many files it runs at once");
  }
  if (palette !== undefined) {
    const given: Partial<Record<OptionName, unknown>> = options;
    for (const name of CLUSTER_OPTION_NAMES) {
      const value = given[name];
      if (value !== undefined) {
        throw invalidOption(name, 'no value when a palette is given', value, `the palette fixes the colours; leave ${name} out, or drop palette to cluster each file`);
      }
    }
    if (typeof palette !== 'string') checkPalette(palette);
  }
  // Checked here, in the caller's thread, so a bad option fails the batch at once rather than every file.
  resolveOptions(kmeansOptions);
  const limit = resolveLimitInputPixels(limitInputPixels);
  // Passed on as given (plain values, cloned to the workers), now that they are known to be valid.
  const segment: SegmentOptions = { ...kmeansOptions, limitInputPixels: limit };
  for (const name of Object.keys(segment) as (keyof SegmentOptions)[]) if (segment[name] === undefined) delete segment[name];
  return {
    output, format, force, concurrency, palette, signal, stopGraceMs, onProgress, segment,
    queue: queue === undefined ? undefined : resolveQueueOptions(queue),
  };
}

const exists = (file: string): Promise<boolean> => fs.stat(file).then(() => true, () => false);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
