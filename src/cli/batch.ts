/**
 * `kmeans-seg batch <patterns...> -o <folder>`: segment many files on every core. Exit 0 every file done
 * or skipped, 1 a file failed, 2 usage, 128 + the signal's number (130 Ctrl-C) when stopped by a signal.
 */
import os from 'node:os';
import { BATCH_FORMATS, runBatch, type BatchOptions, type BatchReport } from '../batch/batch.js';
import type { QueueOptions } from '../batch/queue/queue-options.js';
import { checkReportFile } from '../batch/report-file.js';
import { CLUSTER_OPTION_NAMES, type OptionName } from '../core/option-table.js';
import { ROI_DITHER_OPTIONS } from './roi-dither.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { COMMON_FLAGS, flagLabel, flagName, integerFlag, kmeansOptionsFrom, oneOf, parseCommandLine, stringFlag, tableFlags, type FlagSpec, type FlagValues } from './flags.js';
import { helpLine, optionLines } from './help.js';
import { ProgressView } from './progress.js';
import { plural, runCommand, UsageError, warn, writeOut } from './report.js';

/**
 * Every table option of the main command but threads: each worker runs one thread, and the batch's
 * parallelism is --jobs.
 */
export const BATCH_OPTIONS: readonly OptionName[] = [
  'k', 'colorSpace', 'spatialWeight', 'seed', 'init', 'maxIterations', 'tolerance', 'attempts', 'backend', 'limitInputPixels',
  ...ROI_DITHER_OPTIONS, // one mask for every file: each must have its size
];

export const USAGE = `Usage: kmeans-seg batch <pattern|file>... -o <folder> [-k <K>] [options]

Segment many images at once, one file per core, into one folder.

${helpLine('<pattern|file>...', "images to segment; quote a pattern ('photos/*.jpg', 'shots/**/*.png') so that kmeans-seg expands it, the same on every shell")}
${helpLine('-o, --output <folder>', 'folder for the outputs, created if missing; each output is named after its input (photo.jpg -> photo.png) (required)')}
${helpLine('--format <format>', 'png (default), jpg or webp')}
${helpLine('--report <file>', "write a JSON report: every file's status, error, size and palette (never over an input, an output or the palette)")}
${helpLine('-j, --jobs <n>', 'files processed at once, 1-256, at most one per core (default: all cores)')}
${helpLine('--palette <file>', 'apply this palette to every file instead of clustering each one (as kmeans-seg apply; then leave -k and the K-means options out)')}

K-means options, the same for every file:
${optionLines(BATCH_OPTIONS)}

On a queue (BullMQ on Redis; workers: kmeans-seg worker, see docs/distributed.md):
${helpLine('--redis <url>', 'enqueue one job per file on this Redis (redis://[user:password@]host:6379[/db]; the password may come from $KMEANS_SEG_REDIS_PASSWORD instead) and wait for the workers; needs npm install bullmq ioredis')}
${helpLine('--queue <name>', 'the queue, the same as the workers\' (default kmeans-seg)')}
${helpLine('--job-attempts <n>', 'times a job is tried before it fails, 1-100 (default 3; bad files fail at the first)')}
${helpLine('--retry-delay <ms>', 'before the first retry, doubled for each next one (default 1000)')}
${helpLine('--cancel-on-exit', 'on Ctrl-C, remove the jobs no worker has started (default: leave them queued)')}

Options:
${helpLine('--force', 'redo files whose output exists (default: skip those made with the same settings, refuse others)')}
${helpLine('--json', 'print the report on stdout instead of the summary')}
${helpLine('--verbose', 'print stack traces with errors')}
${helpLine('-h, --help', 'show this help')}

A file that fails is reported and the batch goes on. Ctrl-C (or SIGTERM, SIGHUP) stops it: running
files are abandoned (no partial output is ever left) and the report, if asked for, is still written.

Exit codes: 0 every file done or skipped, 1 some file failed, 2 usage error, 130 Ctrl-C (SIGINT),
143 SIGTERM, 129 SIGHUP (128 + the signal's number, as shells report).

Example:
  kmeans-seg batch 'photos/*.jpg' -k 8 -o out/ --report out.json
`;

const { force, json, verbose, help } = COMMON_FLAGS;
export const BATCH_FLAGS: FlagSpec = {
  ...tableFlags(BATCH_OPTIONS),
  force, json, verbose, help,
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  report: { type: 'string' },
  jobs: { type: 'string', short: 'j' },
  palette: { type: 'string' },
  redis: { type: 'string' },
  queue: { type: 'string' },
  'job-attempts': { type: 'string' },
  'retry-delay': { type: 'string' },
  'cancel-on-exit': { type: 'boolean' },
};

/** 128 + SIGINT's number, what shells report for a command stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** The signals that stop a batch cleanly (the report written); each exits with 128 + its number. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
export const exitCodeOf = (signal: StopSignal): number => 128 + os.constants.signals[signal];

/** Run `kmeans-seg batch argv...`; resolves with the exit code. Never throws. */
export function main(argv: string[]): Promise<number> {
  return runCommand(argv, USAGE, run);
}

interface BatchCommand {
  patterns: string[];
  options: BatchOptions;
  reportFile: string | undefined;
  json: boolean;
}

/** @throws {UsageError} for any mistake in the command line. */
function parseBatchCommand(argv: string[]): BatchCommand {
  const { values, positionals } = parseCommandLine(argv, BATCH_FLAGS, 'kmeans-seg batch');
  const text = (name: string): string | undefined => stringFlag(values, name);
  const output = text('output'), format = text('format'), jobs = text('jobs'), palette = text('palette');
  if (positionals.length === 0) throw new UsageError("Missing the input files: usage: kmeans-seg batch 'photos/*.jpg' -o out/");
  if (output === undefined || output === '') {
    throw new UsageError('Missing -o/--output: pass the folder for the outputs, e.g. -o out/');
  }
  if (palette !== undefined) refuseClusterFlags(values);
  if (text('report') === '') throw new UsageError('--report needs a file name, e.g. --report report.json (or --json to print the report on stdout)');
  const options: BatchOptions = { ...kmeansOptionsFrom(values, BATCH_OPTIONS), output, force: values.force === true };
  if (format !== undefined) options.format = oneOf('--format', format, BATCH_FORMATS);
  if (jobs !== undefined) options.concurrency = integerFlag('--jobs', jobs, 1, 256, '--jobs 4');
  if (palette !== undefined) options.palette = palette;
  const queue = queueFlags(values);
  if (queue) {
    if (jobs !== undefined) throw new UsageError("--jobs has no effect with --redis: each worker's --concurrency sets how many files it runs at once");
    options.queue = queue;
  }
  return { patterns: positionals, options, reportFile: text('report'), json: values.json === true };
}

/** The queue's flags, or undefined without --redis (then none of them may be given). @throws {UsageError} */
function queueFlags(values: FlagValues): QueueOptions | undefined {
  const redis = stringFlag(values, 'redis');
  const name = stringFlag(values, 'queue'), attempts = stringFlag(values, 'job-attempts'), delay = stringFlag(values, 'retry-delay');
  if (redis === undefined) {
    const stray = ['queue', 'job-attempts', 'retry-delay', 'cancel-on-exit'].find((f) => values[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} goes with --redis <url>, which runs the batch on a queue: add --redis, or drop --${stray}`);
    return undefined;
  }
  const queue: QueueOptions = { connection: redis, cancelOnExit: values['cancel-on-exit'] === true };
  if (name !== undefined) queue.name = name;
  if (attempts !== undefined) queue.attempts = integerFlag('--job-attempts', attempts, 1, 100, '--job-attempts 3');
  if (delay !== undefined) queue.retryDelayMs = integerFlag('--retry-delay', delay, 0, 3_600_000, '--retry-delay 1000');
  return queue;
}

/** A palette fixes the colours: the flags that shape clusters would do nothing. @throws {UsageError} */
function refuseClusterFlags(values: FlagValues): void {
  const clash = CLUSTER_OPTION_NAMES.find((n) => BATCH_OPTIONS.includes(n) && values[flagName(n)] !== undefined);
  if (clash) throw new UsageError(`${flagLabel(clash)} has no effect with --palette: the palette fixes the colours; drop one of the two`);
}

/**
 * The batch with its progress on stderr; SIGINT (Ctrl-C), SIGTERM and SIGHUP stop it (the report says
 * interrupted), and `signal` says which one did. After SIGHUP the terminal is gone: no more progress.
 */
async function runWithProgress(cmd: BatchCommand): Promise<{ report: BatchReport; signal: StopSignal | undefined }> {
  const controller = new AbortController();
  const progress = new ProgressView(process.stderr);
  let stoppedBy: StopSignal | undefined;
  const onSignal = (signal: StopSignal): void => {
    if (controller.signal.aborted) return;
    stoppedBy = signal;
    if (signal === 'SIGHUP') progress.mute();
    progress.interrupt(signal);
    controller.abort();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    const { reportFile } = cmd;
    const report = await runBatch(cmd.patterns, { ...cmd.options, signal: controller.signal, onProgress: (p) => progress.update(p) },
      reportFile === undefined ? undefined : (plan) => checkReportFile(reportFile, plan));
    return { report, signal: stoppedBy };
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    progress.close();
  }
}

function summaryText(report: BatchReport): string {
  const parts = [`${report.done} done`, `${report.skipped} skipped`, `${report.failed} failed`];
  if (report.cancelled > 0) parts.push(`${report.cancelled} not finished`);
  return `batch${report.interrupted ? ' (interrupted)' : ''}: ${plural(report.total, 'file')}: ${parts.join(', ')} ` +
    `-> ${report.output} in ${(report.ms / 1000).toFixed(1)} s with ${plural(report.workers, 'worker')}` +
    `${report.skipped > 0 ? ' (--force redoes skipped files)' : ''}\n`;
}

async function run(argv: string[]): Promise<number> {
  const cmd = parseBatchCommand(argv);
  const { report, signal } = await runWithProgress(cmd);
  // The report first: after SIGHUP, writing to the terminal that is gone may fail.
  if (cmd.reportFile !== undefined) {
    await writeFileAtomic(cmd.reportFile, new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n'));
  }
  for (const w of report.warnings) warn(w);
  writeOut(cmd.json ? JSON.stringify(report, null, 2) + '\n' : summaryText(report));
  if (report.interrupted) return signal === undefined ? EXIT_INTERRUPTED : exitCodeOf(signal);
  return report.failed > 0 ? 1 : 0;
}
