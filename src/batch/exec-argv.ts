// How a batch starts its worker threads: with the Node flags of the process that a Worker accepts.
// Invariant: a flag Node refuses in a worker (V8's, and per-process ones such as --title) is left out,
// flags that load code (--import, --require, --loader, --conditions: what tsx needs) are kept.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { KMeansSegError } from '../errors.js';
import { errnoCode } from '../io/error-text.js';
import { printable, quote } from '../validate.js';

/** Flags that only mean something to the main thread, each with the value that may follow it. */
const MAIN_ONLY = new Set(['--input-type', '-e', '--eval', '-p', '--print']);

/** The flags the last worker started with, so that later workers skip the retries. */
let accepted: string[] | undefined;

/**
 * `args` as [flag, value?] groups: an element that does not start with '-' is the value of the flag
 * before it (`--title x`, `--import tsx`), as in process.execArgv, which holds only options.
 */
function groups(args: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const a of args) {
    if (a.startsWith('-') || out.length === 0) out.push([a]);
    else out.at(-1)!.push(a);
  }
  return out;
}

const flagOf = (arg: string): string => arg.split('=', 1)[0]!;

/** process.execArgv without the flags of `drop` (names, or whole `--name=value` arguments) and their values. */
function without(args: readonly string[], drop: ReadonlySet<string>): string[] {
  return groups(args).filter(([flag]) => !drop.has(flag!) && !drop.has(flagOf(flag!))).flat();
}

/** The flags named by Node's ERR_WORKER_INVALID_EXEC_ARGV ("...invalid execArgv flags: --a, --b=1"), or undefined for another error. */
function refusedFlags(error: unknown): Set<string> | undefined {
  if (errnoCode(error) !== 'ERR_WORKER_INVALID_EXEC_ARGV') return undefined;
  const message = (error as Error).message;
  return new Set(message.slice(message.indexOf(': ') + 2).split(', ').map((s) => s.trim()).filter(Boolean));
}

/**
 * A Worker for `url`, started with the process's Node flags minus those it refuses. A process started
 * as `node --max-old-space-size=4096 --expose-gc app.js` keeps those for itself (they are
 * process-wide), while `--import tsx` reaches the worker.
 *
 * @throws {KMeansSegError} ERR_BACKEND when no worker can be started, naming the flags and the cause.
 */
export function startBatchWorker(url: URL, options: Omit<WorkerOptions, 'execArgv'>, role = 'batch worker'): Worker {
  let execArgv = accepted ?? without(process.execArgv, MAIN_ONLY);
  for (;;) {
    try {
      const worker = new Worker(url, { ...options, execArgv });
      accepted = execArgv;
      return worker;
    } catch (error) {
      const refused = refusedFlags(error);
      const next = refused ? without(execArgv, refused) : execArgv;
      if (next.length === execArgv.length) {
        const message = error instanceof Error ? error.message : String(error);
        throw new KMeansSegError('ERR_BACKEND',
          `Could not start a ${role} thread (${printable(message)}) with the Node flags ${quote(execArgv.join(' '))}: ` +
          `run node without them, or use segment() on one thread per file`, { cause: error });
      }
      execArgv = next;
    }
  }
}
