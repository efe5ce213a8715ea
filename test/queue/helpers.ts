/**
 * Shared fixtures of the queue tests: the Redis to use (or why they skip), small noise images, the
 * CLI and `kmeans-seg worker` as child processes from the sources (through tsx, so no build is
 * needed), and the marker file that lets CI see that these tests ran rather than skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { inject } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REDIS_URL = inject('redisUrl');
if (!REDIS_URL && inject('redisMissing') !== 'not selected') console.warn(`test/queue: skipping the queue tests: ${inject('redisMissing')}`);

/** Record that a queue test file ran (CI fails when one is missing from the marker, see .ci/run). */
export function markRan(file: string): void {
  const marker = process.env.KMEANS_SEG_QUEUE_MARKER;
  if (marker) appendFileSync(marker, `${path.basename(file)}\n`);
}

/** A queue name of its own for each test, so that test files sharing one Redis never meet. */
export const queueName = (what: string): string => `t-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** `n` noise PNGs `prefix000.png`... of width x height, each different (seeded by its index). */
export async function noiseImages(dir: string, n: number, prefix = 'n', width = 64, height = 48, from = 0): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = from; i < from + n; i++) {
    const buf = Buffer.alloc(width * height * 3);
    let s = (i * 7919 + 1) >>> 0;
    for (let p = 0; p < buf.length; p++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; buf[p] = s >>> 24; }
    const file = path.join(dir, `${prefix}${String(i).padStart(3, '0')}.png`);
    await sharp(buf, { raw: { width, height, channels: 3 } }).png().toFile(file);
    files.push(file);
  }
  return files;
}

const MAIN = `import { main } from ${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))}; process.exitCode = await main(process.argv.slice(1));`;

/** `node <flags> -e <the CLI from the sources> args...`, its output collected as it comes. */
export class Cli {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: { seen: (text: string) => boolean; resolve: () => void }[] = [];

  /** `wrap` runs node through another command (`ip netns exec ns ...`), which must exec it last. */
  constructor(args: readonly string[], nodeFlags: readonly string[] = [], env: NodeJS.ProcessEnv = process.env, wrap: readonly string[] = []) {
    const node = [process.execPath, ...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', MAIN, ...args];
    const [command, ...rest] = [...wrap, ...node];
    this.child = spawn(command!, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child.stdout!.on('data', (d) => { this.stdout += d; });
    this.child.stderr!.on('data', (d) => { this.stderr += d; this.check(); });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  /** Resolves once stderr matches `re` (`count` times), rejects after `ms` or when the process ends first. */
  waitFor(re: RegExp, ms = 30_000, count = 1): Promise<void> {
    const g = new RegExp(re.source, 'g');
    const seen = (text: string): boolean => (text.match(g)?.length ?? 0) >= count;
    if (seen(this.stderr)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} x ${count} within ${ms} ms; stderr:\n${this.stderr}`)), ms);
      const waiter = { seen, resolve: () => { clearTimeout(timer); resolve(); } };
      this.waiters.push(waiter);
      void this.exited.then(() => { clearTimeout(timer); if (this.waiters.includes(waiter)) reject(new Error(`exited before ${re}; stderr:\n${this.stderr}`)); });
    });
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      if (w.seen(this.stderr)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(); }
    }
  }

  /** SIGTERM (or `signal`), then the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** `kmeans-seg worker` on `url` with short locks (2 s, stalled check every second), ready to take jobs. */
export async function startWorker(url: string, queue: string, roots: readonly string[], concurrency = 1, extra: readonly string[] = []): Promise<Cli> {
  const args = ['worker', '--redis', url, '--queue', queue, ...roots.flatMap((r) => ['--root', r]),
    '--lock-duration', '2000', '--stalled-interval', '1000', '--concurrency', String(concurrency), ...extra];
  const worker = new Cli(args);
  await worker.waitFor(/taking jobs/);
  return worker;
}

/** The ids of the jobs a worker's log says it finished ("<id> done <input> -> <output>"). */
export const doneIds = (log: string): string[] => [...log.matchAll(/ (ks1-[0-9a-f]{40}) done /g)].map((m) => m[1]!);
