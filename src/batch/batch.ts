/**
 * Segment many files at once: a pool of worker_threads, one file per worker at a time, each running
 * segment() (or applyPalette) on its own thread, so a batch uses every core without the per-pass
 * wake-ups of the shared-memory kernel pool. Every check that can fail for the whole batch (options,
 * patterns, output names, the palette) runs before the first worker starts; after that a failing
 * file is recorded and the batch goes on.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { glob, isDynamicPattern } from 'tinyglobby';
import { checkPalette, readPalette, type Palette, type PaletteSource } from '../palette/apply.js';
import { KMeansSegError } from '../errors.js';
import { resolveLimitInputPixels } from '../io/image-io.js';
import { defaultOptions, resolveOptions } from '../core/options.js';
import type { SegmentOptions } from '../segment.js';
import { invalidOption, checkCallbacks, checkOptionNames, checkPlainObject } from '../validate.js';

export type BatchFormat = 'png' | 'jpg' | 'jpeg' | 'webp';
export const BATCH_FORMATS: readonly BatchFormat[] = ['png', 'jpg', 'jpeg', 'webp'];

export interface BatchOptions extends Omit<SegmentOptions, 'threads' | 'onProgress' | 'signal'> {
  /** Folder for the outputs, created (with its parents) if missing. One output per input: its base name plus the format's extension. Required. */
  output: string;
  /** Output format: 'png' (default), 'jpg'/'jpeg' or 'webp' (lossless). */
  format?: BatchFormat;
  /** Redo files whose output exists. Default false: they are skipped. Inputs are never overwritten. */
  force?: boolean;
  /** Worker threads, 1-256; each works on one file with one thread. Default: every core. */
  concurrency?: number;
  /** Apply this palette (a file path, or colours as for applyPalette) instead of clustering each file; then k, seed, init, maxIterations, tolerance, attempts and histogram must be left out. */
  palette?: PaletteSource;
  /** Stop the batch: running files get a moment to finish or stop between stages, then their workers are terminated, temporary files removed, and the report (interrupted: true) returned. */
  signal?: AbortSignal;
  /** After the signal, how long (ms, 0-60000) running files get to reach a checkpoint before their workers are terminated. Default 2000. */
  stopGraceMs?: number;
  /** Called once with `file: null` when the work starts, then after every file (skipped ones included). */
  onProgress?: (progress: BatchProgress) => void;
}

export type BatchStatus = 'done' | 'skipped' | 'failed' | 'cancelled';

/** What a worker learns about one file it segmented. */
export interface BatchFileSummary {
  width: number;
  height: number;
  k: number;
  /** Assignment passes (not for a palette). */
  iterations?: number;
  converged?: boolean;
  palette: { hex: string; share: number }[];
  warnings: string[];
}

export interface BatchFileReport extends Partial<BatchFileSummary> {
  input: string;
  output: string;
  status: BatchStatus;
  /** Why it failed: the error's code (null for an unexpected error) and its one-line message. */
  error?: { code: string | null; message: string };
  /** Milliseconds in its worker. */
  ms?: number;
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
  /** Patterns that matched no file, for instance. */
  warnings: string[];
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

/** @internal The messages between batch.ts and batch-worker.ts. */
export interface WorkerData {
  stop: Int32Array;
  options: SegmentOptions;
  palette: Palette | null;
}
/** @internal */
export interface WorkerJob { id: number; input: string; output: string; force: boolean }
/** @internal */
export type WorkerReply =
  | ({ id: number; status: 'done'; ms: number } & BatchFileSummary)
  | { id: number; status: 'cancelled'; ms: number }
  | { id: number; status: 'failed'; ms: number; error: { code: string | null; message: string } };

/**
 * How long a stop waits by default for running files to reach a checkpoint (workers look at the stop
 * flag between stages and after every K-means pass) before their workers are terminated.
 */
const STOP_GRACE_MS = 2000;
const CLUSTER_OPTIONS = ['k', 'seed', 'init', 'maxIterations', 'tolerance', 'attempts', 'histogram'] as const;
/** Every option of kmeans (so options added there pass through) but the three a batch owns. */
const KMEANS_NAMES = Object.keys(defaultOptions).filter((n) => n !== 'threads' && n !== 'onProgress' && n !== 'signal');
const KNOWN = [
  ...KMEANS_NAMES, 'limitInputPixels',
  'output', 'format', 'force', 'concurrency', 'palette', 'signal', 'stopGraceMs', 'onProgress',
];

/**
 * Segment every file matched by `inputs` (glob patterns, expanded here, or paths) into the folder
 * `options.output`. Resolves with a report once every file is done, skipped or failed, or once the
 * signal stopped the batch; rejects (before any work) only when the batch as a whole cannot run.
 *
 * @example
 * const report = await batch('photos/*.jpg', { k: 8, output: 'out' });
 * if (report.failed > 0) console.log(report.files.filter((f) => f.status === 'failed'));
 */
export async function batch(inputs: string | readonly string[], options: BatchOptions): Promise<BatchReport> {
  const t0 = performance.now();
  const opts = resolveBatchOptions(options);
  const patterns = typeof inputs === 'string' ? [inputs] : inputs;
  if (!Array.isArray(patterns) || patterns.length === 0 || !patterns.every((p) => typeof p === 'string' && p !== '')) {
    throw invalidOption('inputs', "a glob pattern such as 'photos/*.jpg', or a non-empty array of patterns or paths", inputs);
  }
  const warnings: string[] = [];
  const files = await expandInputs(patterns, warnings);
  const outputs = await planOutputs(files, opts.output, `.${opts.format}`);
  const palette = opts.palette === undefined ? null
    : typeof opts.palette === 'string' ? await readPalette(opts.palette) : checkPalette(opts.palette);
  await makeFolder(opts.output);

  const reports: BatchFileReport[] = files.map((input, i) => ({ input, output: outputs[i]!, status: 'cancelled' }));
  const todo: number[] = [];
  for (let i = 0; i < files.length; i++) {
    if (!opts.force && (await exists(outputs[i]!))) reports[i]!.status = 'skipped';
    else todo.push(i);
  }
  const counts: Record<BatchStatus, number> = { done: 0, skipped: 0, failed: 0, cancelled: 0 };
  const workers = opts.signal?.aborted ? 0 : Math.min(opts.concurrency, todo.length);
  let finished = 0;
  const progress = (file: BatchFileReport | null): void => {
    if (file) { finished++; counts[file.status]++; }
    opts.onProgress?.({ total: files.length, finished, file, counts: { ...counts }, workers });
  };
  progress(null);
  for (const r of reports) if (r.status === 'skipped') progress(r);

  let interrupted = opts.signal?.aborted === true;
  if (workers > 0) {
    interrupted = await runPool(todo, reports, { ...opts, palette, workers, onFile: progress });
  } else {
    for (const i of todo) progress(reports[i]!); // stopped before it started: every file 'cancelled'
  }
  const tally = (s: BatchStatus) => reports.filter((r) => r.status === s).length;
  return {
    output: opts.output, format: opts.format, total: files.length,
    done: tally('done'), skipped: tally('skipped'), failed: tally('failed'), cancelled: tally('cancelled'),
    interrupted, workers, ms: performance.now() - t0, warnings, files: reports,
  };
}

interface ResolvedBatch {
  output: string;
  format: BatchFormat;
  force: boolean;
  concurrency: number;
  palette: PaletteSource | undefined;
  signal: AbortSignal | undefined;
  stopGraceMs: number;
  onProgress: ((progress: BatchProgress) => void) | undefined;
  /** What each worker passes to segment() (or applyPalette): plain, cloneable values. */
  segment: SegmentOptions;
}

function resolveBatchOptions(options: BatchOptions): ResolvedBatch {
  checkPlainObject(options, 'options', "an object such as { output: 'out', k: 8 }");
  checkOptionNames(options, KNOWN, 'batch');
  const { output, format = 'png', force = false, concurrency, palette, signal, stopGraceMs = STOP_GRACE_MS, onProgress, limitInputPixels, ...kmeansOptions } = options;
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
  if (palette !== undefined) {
    for (const name of CLUSTER_OPTIONS) {
      if (options[name] !== undefined) {
        throw invalidOption(name, 'no value when a palette is given', options[name], `the palette fixes the colours; leave ${name} out, or drop palette to cluster each file`);
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
    output, format, force, concurrency: concurrency ?? os.availableParallelism(), palette, signal, stopGraceMs, onProgress, segment,
  };
}

/**
 * Patterns in order, each one's matches sorted; duplicates dropped. An argument that names an
 * existing file is taken as it is (the shell may have expanded a pattern already, and file names may
 * hold glob characters); one without glob characters that names nothing is kept so that it fails as
 * "not found" in the report; a pattern that matches nothing is a warning.
 */
export async function expandInputs(patterns: readonly string[], warnings: string[] = []): Promise<string[]> {
  const seen = new Set<string>();
  const files: string[] = [];
  const add = (f: string): void => {
    const key = path.resolve(f);
    if (!seen.has(key)) { seen.add(key); files.push(f); }
  };
  for (const pattern of patterns) {
    const stat = await fs.stat(pattern).catch(() => undefined);
    if (stat?.isFile() || (!stat && !isDynamicPattern(pattern))) { add(pattern); continue; }
    if (stat?.isDirectory()) {
      throw new KMeansSegError('ERR_INPUT_NOT_FILE', `Input ${JSON.stringify(pattern)} is a folder: pass a pattern for the files inside it, e.g. ${JSON.stringify(path.posix.join(pattern.replace(/\\/g, '/'), '*.jpg'))} (quoted, so kmeans-seg expands it)`);
    }
    // tinyglobby speaks POSIX patterns; backslashes in a Windows path are separators, not escapes.
    const posix = path.sep === '\\' ? pattern.replace(/\\/g, '/') : pattern;
    const matches = await glob(posix, { onlyFiles: true, expandDirectories: false, absolute: path.isAbsolute(pattern) });
    matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (matches.length === 0) warnings.push(`the pattern ${JSON.stringify(pattern)} matched no file`);
    for (const m of matches) add(m);
  }
  if (files.length === 0) {
    throw new KMeansSegError('ERR_INPUT_NOT_FOUND',
      `No input file: ${patterns.map((p) => JSON.stringify(p)).join(', ')} matched nothing (looked from ${process.cwd()}): check the pattern, e.g. 'photos/*.jpg'`);
  }
  return files;
}

/**
 * The output path of every input (folder + base name + extension), refused before any work when two
 * inputs share an output name or an output would be an input, whatever `force` says.
 */
export async function planOutputs(files: readonly string[], folder: string, ext: string): Promise<string[]> {
  const outputs = files.map((f) => path.join(folder, path.parse(f).name + ext));
  const byName = new Map<string, number>();
  for (let i = 0; i < files.length; i++) {
    // Case-folded: on macOS and Windows "A.png" and "a.png" are one file.
    const key = path.resolve(outputs[i]!).toLowerCase();
    const j = byName.get(key);
    if (j !== undefined) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `Inputs ${JSON.stringify(files[j])} and ${JSON.stringify(files[i])} would both be written to ${JSON.stringify(outputs[i])}: ` +
        `outputs are named after the input's base name; rename one of them, or run them separately with different output folders`);
    }
    byName.set(key, i);
  }
  const inputs = new Set(files.map((f) => path.resolve(f)));
  for (let i = 0; i < files.length; i++) {
    const out = outputs[i]!;
    let same = inputs.has(path.resolve(out));
    if (!same) {
      const [a, b] = await Promise.all([fs.stat(files[i]!).catch(() => undefined), fs.stat(out).catch(() => undefined)]);
      same = a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
    }
    if (same) {
      throw new KMeansSegError('ERR_OUTPUT_EXISTS',
        `The output ${JSON.stringify(out)} would replace an input image, which a batch never does: choose an output folder other than ${JSON.stringify(folder)}, or another format`);
    }
  }
  return outputs;
}

/** Create `folder` (and its parents) unless it exists; ERR_OUTPUT_DIR when it is a file or cannot be made. */
export async function makeFolder(folder: string): Promise<void> {
  const stat = await fs.stat(folder).catch(() => undefined);
  if (stat && !stat.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_DIR', `The output folder ${JSON.stringify(folder)} is a file: choose a folder name, e.g. ${JSON.stringify(folder.replace(/\.[^./\\]*$/, '') + '-out')}`);
  }
  if (stat) return;
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    throw new KMeansSegError('ERR_OUTPUT_DIR', `Could not create the output folder ${JSON.stringify(folder)} (${(error as { code?: string }).code ?? (error as Error).message}): check the path and its permissions`, { cause: error });
  }
}

const exists = (file: string): Promise<boolean> => fs.stat(file).then(() => true, () => false);

interface PoolSettings extends Omit<ResolvedBatch, 'palette'> {
  palette: Palette | null;
  workers: number;
  onFile(file: BatchFileReport): void;
}

interface Slot { worker: Worker; job: WorkerJob | null; completed: number; lastError?: Error }

/** Run the files `todo` (indices into `reports`) on the workers; resolves true when stopped by the signal. */
async function runPool(todo: readonly number[], reports: BatchFileReport[], s: PoolSettings): Promise<boolean> {
  // sharp's libraries must stay loaded for the life of the process: a worker's exit can otherwise
  // unload them under the others (lovell/sharp#2263). Loading it here pins them.
  await import('sharp').catch(() => undefined);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const data: WorkerData = { stop, options: s.segment, palette: s.palette };
  const queue = [...todo];
  const slots: Slot[] = [];
  const started: string[] = [];
  let stopping = false;
  let startupDeaths = 0;
  let graceTimer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const allIdle = new Promise<void>((resolve) => { finish = resolve; });

  const record = (id: number, r: Partial<BatchFileReport> & { status: BatchStatus }): void => {
    const report = reports[id]!;
    Object.assign(report, r);
    s.onFile(report);
  };
  const checkDone = (): void => {
    if (slots.every((slot) => slot.job === null) && (stopping || queue.length === 0 || slots.length === 0)) finish();
  };
  const dispatch = (slot: Slot): void => {
    const id = stopping ? undefined : queue.shift();
    if (id === undefined) { slot.job = null; checkDone(); return; }
    slot.job = { id, input: reports[id]!.input, output: reports[id]!.output, force: s.force };
    started.push(reports[id]!.output);
    slot.worker.postMessage(slot.job);
  };
  const spawn = (): void => {
    const slot: Slot = { worker: startWorker(data), job: null, completed: 0 };
    slots.push(slot);
    slot.worker.on('message', (reply: WorkerReply) => {
      if (slot.job === null || slot.job.id !== reply.id) return; // a late answer after a stop
      const { id, ...rest } = reply;
      slot.job = null;
      slot.completed++;
      record(id, rest);
      dispatch(slot);
    });
    slot.worker.on('error', (error) => { slot.lastError = error; });
    slot.worker.on('exit', () => {
      slots.splice(slots.indexOf(slot), 1);
      const job = slot.job;
      slot.job = null;
      if (job) {
        const why = slot.lastError ? `: ${slot.lastError.message.split('\n')[0]}` : '';
        record(job.id, { status: 'failed', error: { code: null, message: `the worker processing it stopped unexpectedly${why}` } });
      }
      // A file that kills its worker (a crash in a native decoder, say) must not stop the batch, so
      // the worker is replaced; but workers that die before finishing any file point to a setup
      // problem, and after a few of those the remaining files are failed instead of retried forever.
      if (slot.completed === 0) startupDeaths++;
      if (!stopping && queue.length > 0 && (slot.completed > 0 || startupDeaths <= s.workers + 2)) { spawn(); dispatch(slots.at(-1)!); }
      checkDone();
    });
  };

  const onAbort = (): void => {
    if (stopping) return;
    stopping = true;
    Atomics.store(stop, 0, 1);
    // Running files stop at the next checkpoint (between stages, after every K-means pass); whatever is
    // still busy after the grace period is terminated, and its temporary file removed below.
    graceTimer = setTimeout(() => {
      for (const slot of [...slots]) {
        if (!slot.job) continue;
        const job = slot.job;
        slot.job = null;
        record(job.id, { status: 'cancelled' });
        void slot.worker.terminate();
      }
      checkDone();
    }, s.stopGraceMs);
    checkDone();
  };
  s.signal?.addEventListener('abort', onAbort, { once: true });
  if (s.signal?.aborted) onAbort(); // aborted while sharp was loading: the listener would never fire
  try {
    for (let i = 0; i < s.workers; i++) spawn();
    for (const slot of [...slots]) dispatch(slot);
    await allIdle;
  } finally {
    s.signal?.removeEventListener('abort', onAbort);
    clearTimeout(graceTimer);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    await removeTemporaryFiles(started);
  }
  // Files never started: cancelled when stopped, else failed because no worker was left to run them.
  for (const id of queue) {
    if (!stopping) record(id, { status: 'failed', error: { code: null, message: 'no worker could run it (see the failures before it)' } });
    else record(id, { status: 'cancelled' });
  }
  return stopping;
}

/** Under tsx (tests) the worker is the .ts source, started through an .mjs shim; built code starts the .js. */
function startWorker(data: WorkerData): Worker {
  const url = import.meta.url.endsWith('.ts')
    ? new URL('./worker.mjs', import.meta.url)
    : new URL('./worker.js', import.meta.url);
  // Workers inherit the process's execArgv; --input-type (node --input-type=module -e ...) is refused
  // in a worker started from a file, so it is dropped.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  return new Worker(url, { workerData: data, execArgv });
}

/**
 * writeFileAtomic names its temporary file `.<output name>.<pid>.<12 hex>.tmp` beside the output; a
 * worker terminated between open and rename leaves one. Workers share the process id, so these are
 * exactly this batch's leftovers: other processes' files are never touched.
 */
async function removeTemporaryFiles(outputs: readonly string[]): Promise<void> {
  const byFolder = new Map<string, Set<string>>();
  for (const out of outputs) {
    const dir = path.dirname(path.resolve(out));
    if (!byFolder.has(dir)) byFolder.set(dir, new Set());
    byFolder.get(dir)!.add(`.${path.basename(out).slice(0, 200)}.${process.pid}.`);
  }
  for (const [dir, prefixes] of byFolder) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const prefix = name.replace(/[0-9a-f]{12}\.tmp$/, '');
      if (prefix !== name && prefixes.has(prefix)) await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
    }
  }
}
