/**
 * `kmeans-seg worker --redis <url> --root <dir>`: run the jobs of queued batches until SIGTERM or
 * Ctrl-C, then finish or hand back the running ones and exit 0. Exit 1 when it cannot start, 2 usage.
 */
import { DEFAULT_QUEUE } from '../batch/queue/payload.js';
import { DEFAULT_LOCK_MS, DEFAULT_STALLED_MS, DEFAULT_STOP_GRACE_MS, type QueueWorkerOptions } from '../batch/queue/worker-options.js';
import { COMMON_FLAGS, integerFlag, parseCommandLine, stringFlag, type FlagSpec } from './flags.js';
import { helpLine } from './help.js';
import { printable } from '../validate.js';
import { runCommand, UsageError } from './report.js';

export const USAGE = `Usage: kmeans-seg worker --redis <url> --root <dir> [--root <dir>...] [options]

Run the jobs that kmeans-seg batch --redis enqueues, on this host, until stopped (SIGTERM, Ctrl-C).

${helpLine('--redis <url>', 'the queue\'s Redis: redis://[user:password@]host:6379[/db], rediss:// for TLS; the password may come from $KMEANS_SEG_REDIS_PASSWORD instead (never printed) (required)')}
${helpLine('--root <dir>', 'a folder jobs may read and write, where this host mounts the shared files; repeatable. A job naming a file elsewhere (links followed) fails at once (required)')}
${helpLine('-c, --concurrency <n>', 'jobs at once, each on a worker thread of its own, 1-256 (default: every core)')}
${helpLine('--queue <name>', `the queue, the same as the batch's (default ${DEFAULT_QUEUE})`)}
${helpLine('--lock-duration <ms>', `how long a job's lock lasts; renewed every half of it while the job runs (default ${DEFAULT_LOCK_MS})`)}
${helpLine('--stalled-interval <ms>', `how often jobs of dead workers are looked for; a job whose worker died runs again within about lock duration + 2 x this (default ${DEFAULT_STALLED_MS})`)}
${helpLine('--stop-grace <ms>', `on SIGTERM, how long running jobs get to finish before they go back to the queue (default ${DEFAULT_STOP_GRACE_MS})`)}
${helpLine('--verbose', 'print stack traces with errors')}
${helpLine('-h, --help', 'show this help')}

Log lines on stderr carry the job id and the file. A second SIGTERM or Ctrl-C hands the running
jobs back at once. Needs the optional packages: npm install bullmq ioredis.

Exit codes: 0 stopped by a signal, its jobs finished or handed back; 1 could not start; 2 usage error.

Example:
  kmeans-seg worker --redis redis://queue-host:6379 --root /mnt/share --concurrency 2
`;

const { verbose, help } = COMMON_FLAGS;
const WORKER_FLAGS: FlagSpec = {
  verbose, help,
  redis: { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  queue: { type: 'string' },
  'lock-duration': { type: 'string' },
  'stalled-interval': { type: 'string' },
  'stop-grace': { type: 'string' },
};

/** Run `kmeans-seg worker argv...`; resolves with the exit code once the worker has stopped. Never throws. */
export function main(argv: string[]): Promise<number> {
  return runCommand(argv, USAGE, run);
}

/**
 * The --root values (the flag may repeat, which the common parser refuses for other flags), and the
 * command line without them.
 * @throws {UsageError} for a --root without a folder.
 */
export function takeRoots(argv: readonly string[]): { roots: string[]; rest: string[] } {
  const roots: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { rest.push(...argv.slice(i)); break; }
    if (arg.startsWith('--root=')) { roots.push(arg.slice(7)); continue; }
    if (arg !== '--root') { rest.push(arg); continue; }
    const value = argv[++i];
    if (value === undefined || value === '' || value.startsWith('-')) throw new UsageError('--root needs a folder, e.g. --root /mnt/share (repeat it for several)');
    roots.push(value);
  }
  return { roots, rest };
}

/** @throws {UsageError} for any mistake in the command line. */
function parseWorkerCommand(argv: string[]): QueueWorkerOptions {
  const { roots, rest } = takeRoots(argv);
  const { values, positionals } = parseCommandLine(rest, WORKER_FLAGS, 'kmeans-seg worker');
  const text = (name: string): string | undefined => stringFlag(values, name);
  if (positionals.length > 0) throw new UsageError(`kmeans-seg worker takes no files (received ${positionals.length}): the batch enqueues them; run kmeans-seg worker --help`);
  const redis = text('redis');
  if (redis === undefined) throw new UsageError('Missing --redis: pass the queue\'s Redis, e.g. --redis redis://queue-host:6379');
  if (roots.length === 0) throw new UsageError('Missing --root: pass the folder jobs may read and write, e.g. --root /mnt/share (every host mounts the share at the same path)');
  const options: QueueWorkerOptions = { connection: redis, roots };
  const ms = (flag: string, min: number, example: string): number | undefined => {
    const t = text(flag);
    return t === undefined ? undefined : integerFlag(`--${flag}`, t, min, 3_600_000, example);
  };
  const c = text('concurrency');
  if (c !== undefined) options.concurrency = integerFlag('--concurrency', c, 1, 256, '--concurrency 2');
  if (text('queue') !== undefined) options.queue = text('queue');
  const lock = ms('lock-duration', 1000, '--lock-duration 30000'), stalled = ms('stalled-interval', 500, '--stalled-interval 30000'), grace = ms('stop-grace', 0, '--stop-grace 30000');
  if (lock !== undefined) options.lockDuration = lock;
  if (stalled !== undefined) options.stalledInterval = stalled;
  if (grace !== undefined) options.stopGraceMs = grace;
  return options;
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

async function run(argv: string[]): Promise<number> {
  const options = parseWorkerCommand(argv);
  // Loaded here, after the command line is known to be right.
  const { startWorker } = await import('../batch/queue/worker.js');
  const say = (line: string): void => { process.stderr.write(`kmeans-seg worker: ${printable(line)}\n`); };
  const worker = await startWorker({ ...options, onEvent: (e) => say(e.text) });
  let onSignal: (signal: string) => void = () => {};
  await new Promise<void>((resolve) => {
    let stops = 0;
    onSignal = (signal) => {
      // A second signal: no more grace, the running jobs go back to the queue now.
      if (++stops > 1) say(`${signal} again: handing the running jobs back now`);
      void worker.close(stops > 1 ? 0 : undefined).finally(resolve);
    };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
  });
  for (const s of STOP_SIGNALS) process.off(s, onSignal);
  return 0;
}
