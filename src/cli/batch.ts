/**
 * `kmeans-seg batch`: segment many files on every core. `main` gets the arguments after the word
 * `batch` and returns the exit code: 0 every file done or skipped, 1 a file failed (or the batch could
 * not start), 2 usage error, 130 stopped by Ctrl-C. Progress goes to stderr (a bar on a terminal,
 * one line per file otherwise), the summary to stdout.
 */
import path from 'node:path';
import { batch, BATCH_FORMATS, type BatchFileReport, type BatchOptions, type BatchProgress, type BatchReport } from '../batch/batch.js';
import { integerFlag, KMEANS_FLAGS, kmeansOptionsFrom, oneOf, parseCommandLine, UsageError, type FlagSpec, runCommand, stringFlag } from './main.js';
import { KMeansSegError } from '../errors.js';
import { writeFileAtomic } from '../io/image-io.js';
import { DEFAULT_LIMIT_INPUT_PIXELS, MAX_K } from '../limits.js';

const USAGE = `Usage: kmeans-seg batch <pattern|file>... -o <folder> [-k <K>] [options]

Segment many images at once, one file per core, into one folder.

  <pattern|file>...          images to segment; quote a pattern ('photos/*.jpg', 'shots/**/*.png')
                             so that kmeans-seg expands it, the same on every shell
  -o, --output <folder>      folder for the outputs, created if missing; each output is named after
                             its input (photo.jpg -> photo.png) (required)
  -k, --k <K>                number of colours, 1-${MAX_K} (default 8)

Options:
  --format <format>          png (default), jpg or webp
  --force                    redo files whose output exists (default: skip them)
  --report <file>            write a JSON report: every file's status, error, size and palette
  --jobs <n>                 files processed at once, 1-256 (default: all cores)
  --palette <file>           apply this palette to every file instead of clustering each one
                             (as kmeans-seg apply; then leave -k and the K-means options out)
  --color-space <space>      rgb (default), linear-rgb, lab or oklab
  --seed <n>                 seed, 0-4294967295 (default 0)
  --init <method>            kmeans++ (default) or random
  --max-iter <n>             at most n iterations per attempt (default 300)
  --tolerance <x>            stop when no centre moves more than x (default 0.01)
  --attempts <n>             seeded restarts, the best is kept (default 1)
  --backend <name>           auto (default), wasm or js
  --limit-input-pixels <n>   refuse larger images (default ${DEFAULT_LIMIT_INPUT_PIXELS}); 0 for no limit
  --json                     print the report on stdout instead of the summary
  --verbose                  print stack traces with errors
  -h, --help                 show this help

A file that fails is reported and the batch goes on. Ctrl-C stops it: running files are abandoned
(no partial output is ever left) and the report, if asked for, is still written.

Exit codes: 0 every file done or skipped, 1 some file failed, 2 usage error, 130 interrupted.

Example:
  kmeans-seg batch 'photos/*.jpg' -k 8 -o out/ --report out.json
`;

// Every clustering flag of the main command but --threads (each worker runs one thread: the batch's
// parallelism is --jobs) and --version.
const { threads: _threads, version: _version, ...CLUSTER_FLAGS } = KMEANS_FLAGS;
const OPTIONS: FlagSpec = {
  ...CLUSTER_FLAGS,
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  report: { type: 'string' },
  jobs: { type: 'string', short: 'j' },
  palette: { type: 'string' },
};

/** 128 + SIGINT's number, what shells report for a command stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export function main(argv: string[]): Promise<number> {
  return runCommand(argv, USAGE, run);
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, 'kmeans-seg batch');
  const text = (name: string): string | undefined => stringFlag(values, name);
  const output = text('output'), format = text('format'), jobs = text('jobs'), palette = text('palette'), k = text('k');
  if (positionals.length === 0) throw new UsageError("Missing the input files: usage: kmeans-seg batch 'photos/*.jpg' -o out/");
  if (output === undefined || output === '') {
    throw new UsageError('Missing -o/--output: pass the folder for the outputs, e.g. -o out/');
  }
  if (palette !== undefined) {
    const clash = ['k', 'seed', 'init', 'max-iter', 'tolerance', 'attempts'].find((n) => values[n] !== undefined);
    if (clash) throw new UsageError(`${clash === 'k' ? '-k/--k' : `--${clash}`} has no effect with --palette: the palette fixes the colours; drop one of the two`);
  }
  // OPTIONS has no --threads, so kmeansOptionsFrom gives no threads; neither gives callbacks.
  const { threads: _t, onProgress: _p, signal: _s, ...clustering } = kmeansOptionsFrom(values);
  const options: BatchOptions = { ...clustering, output, force: values.force === true };
  if (k !== undefined) options.k = integerFlag('-k/--k', k, 1, MAX_K, '-k 8');
  if (format !== undefined) options.format = oneOf('--format', format, BATCH_FORMATS);
  if (jobs !== undefined) options.concurrency = integerFlag('--jobs', jobs, 1, 256, '--jobs 4');
  if (palette !== undefined) options.palette = palette;
  const reportFile = text('report');
  if (reportFile !== undefined) await checkReportPath(reportFile);

  const controller = new AbortController();
  const progress = new ProgressView(process.stderr);
  const onSigint = (): void => {
    if (controller.signal.aborted) return;
    progress.interrupt();
    controller.abort();
  };
  options.signal = controller.signal;
  options.onProgress = (p) => progress.update(p);
  process.on('SIGINT', onSigint);
  let report: BatchReport;
  try {
    report = await batch(positionals, options);
  } finally {
    process.off('SIGINT', onSigint);
    progress.close();
  }

  for (const w of report.warnings) process.stderr.write(`kmeans-seg: warning: ${w}\n`);
  if (reportFile !== undefined) {
    await writeFileAtomic(reportFile, new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n'));
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const parts = [`${report.done} done`, `${report.skipped} skipped`, `${report.failed} failed`];
    if (report.cancelled > 0) parts.push(`${report.cancelled} not finished`);
    process.stdout.write(
      `batch${report.interrupted ? ' (interrupted)' : ''}: ${report.total} file${report.total === 1 ? '' : 's'}: ${parts.join(', ')} ` +
      `-> ${report.output} in ${(report.ms / 1000).toFixed(1)} s with ${report.workers} worker${report.workers === 1 ? '' : 's'}` +
      `${report.skipped > 0 ? ' (--force redoes skipped files)' : ''}\n`,
    );
  }
  if (report.interrupted) return EXIT_INTERRUPTED;
  return report.failed > 0 ? 1 : 0;
}

/** The report's folder must exist before hours of work are spent; the file itself is replaced. */
async function checkReportPath(file: string): Promise<void> {
  const { promises: fs } = await import('node:fs');
  const dir = path.dirname(path.resolve(file));
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new KMeansSegError('ERR_OUTPUT_DIR', `The folder of --report ${JSON.stringify(file)} (${dir}) does not exist: create it first, or write the report elsewhere`);
  }
  if ((await fs.stat(file).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`--report ${JSON.stringify(file)} is a folder: pass a file name, e.g. --report ${JSON.stringify(path.join(file, 'report.json'))}`);
  }
}

/**
 * Progress on stderr: a bar redrawn in place on a terminal, one plain line per file elsewhere (logs,
 * CI), so a redirected stderr never fills with carriage returns. Failures are always full lines.
 * Exported for tests, which hand it a fake terminal.
 */
export class ProgressView {
  private readonly tty: boolean;
  private drawn = false;
  private last: BatchProgress | undefined;

  constructor(private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'>) {
    this.tty = out.isTTY === true;
  }

  update(p: BatchProgress): void {
    this.last = p;
    const f = p.file;
    if (this.tty) {
      if (f?.status === 'failed') this.line(failure(f));
      this.draw(p, f?.input);
      return;
    }
    if (!f) return;
    const n = `[${p.finished}/${p.total}]`;
    if (f.status === 'failed') this.line(failure(f).replace(/^kmeans-seg: /, `kmeans-seg: ${n} `));
    else if (f.status === 'done') this.line(`kmeans-seg: ${n} ${f.input} -> ${f.output} (${Math.round(f.ms ?? 0)} ms)`);
    else if (f.status === 'skipped') this.line(`kmeans-seg: ${n} skipped ${f.input}: ${f.output} exists`);
  }

  interrupt(): void {
    this.line('kmeans-seg: interrupted: stopping (a file being written is finished, the others abandoned; no partial output is kept)');
  }

  close(): void {
    if (this.drawn) { this.out.write('\r\x1b[K'); this.drawn = false; }
  }

  /** A full line, above the bar when there is one. */
  private line(text: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.out.write(text + '\n');
    if (this.tty && this.last) this.draw(this.last);
  }

  private draw(p: BatchProgress, name?: string): void {
    const width = 24;
    const filled = p.total > 0 ? Math.round((p.finished / p.total) * width) : width;
    const bad = p.counts.failed > 0 ? `, ${p.counts.failed} failed` : '';
    const text = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.finished}/${p.total}${bad}${name ? `  ${path.basename(name)}` : ''}`;
    const columns = this.out.columns || 80;
    this.out.write(`\r\x1b[K${text.slice(0, columns - 1)}`);
    this.drawn = true;
  }
}

function failure(f: BatchFileReport): string {
  return `kmeans-seg: failed: ${f.input}: ${f.error?.message ?? 'unknown error'}`;
}
