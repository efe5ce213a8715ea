// What a BullMQ queue costs: images per second of a local batch (1 and 2 worker threads) against
// `kmeans-seg worker` processes on Redis (1 and 2 processes, one job at a time each), on small images,
// and the queue's overhead per job in ms. Standalone (not a suite of bench/run.ts):
//   npx tsx bench/queue.ts [--files=120] [--runs=5]      (needs redis-server on the PATH, or KMEANS_SEG_BENCH_REDIS)
// Scenarios alternate within each round, and medians are quoted, as the machine is shared.
import '../src/node/platform.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { runBatch } from '../src/batch/batch.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = `import { main } from ${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))}; process.exitCode = await main(process.argv.slice(1));`;

interface Scenario { name: string; queue?: string; threads: number }

function flag(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
}

async function images(dir: string, n: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const buf = Buffer.alloc(64 * 48 * 3);
    let s = (i * 7919 + 1) >>> 0;
    for (let p = 0; p < buf.length; p++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; buf[p] = s >>> 24; }
    await sharp(buf, { raw: { width: 64, height: 48, channels: 3 } }).png().toFile(path.join(dir, `n${String(i).padStart(4, '0')}.png`));
  }
}

const freePort = (): Promise<number> => new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => { const { port } = server.address() as net.AddressInfo; server.close(() => resolve(port)); });
});

/** A private redis-server, or the one KMEANS_SEG_BENCH_REDIS names. */
async function redis(dir: string): Promise<{ url: string; child?: ChildProcess }> {
  if (process.env.KMEANS_SEG_BENCH_REDIS) return { url: process.env.KMEANS_SEG_BENCH_REDIS };
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  return { url: `redis://127.0.0.1:${port}`, child };
}

/** A `kmeans-seg worker` process (one job at a time), resolved once it takes jobs. */
function worker(url: string, queue: string, root: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', MAIN, 'worker', '--redis', url, '--queue', queue,
    '--root', root, '--concurrency', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (d) => { text += d; if (text.includes('taking jobs')) resolve(child); });
    child.on('exit', () => reject(new Error(`worker exited: ${text}`)));
  });
}

/** Seconds for the batch, and the mean milliseconds its files took in their threads. */
async function runOnce(s: Scenario, input: string, out: string, url: string): Promise<[number, number]> {
  await rm(out, { recursive: true, force: true });
  const t0 = performance.now();
  const report = await runBatch(path.join(input, '*.png'), {
    output: out, k: 4, ...(s.queue ? { queue: { connection: url, name: s.queue } } : { concurrency: s.threads }),
  });
  if (report.done !== report.total) throw new Error(`${s.name}: ${report.failed} failed`);
  return [(performance.now() - t0) / 1000, report.files.reduce((sum, f) => sum + (f.ms ?? 0), 0) / report.files.length];
}

const median = (xs: number[]): number => { const v = [...xs].sort((a, b) => a - b); return v[Math.floor(v.length / 2)]!; };

/** Seconds per scenario and input size (2 files, N files), `runs` times each, in rotating order. */
async function measure(scenarios: Scenario[], runs: number, inputs: { n: number; dir: string }[], tmp: string, url: string): Promise<Map<string, [number, number][]>> {
  const cases = scenarios.flatMap((s) => inputs.map((i) => ({ s, i, key: `${s.name}/${i.n}` })));
  const times = new Map(cases.map((c) => [c.key, [] as [number, number][]]));
  for (const c of cases) await runOnce(c.s, c.i.dir, path.join(tmp, 'out'), url); // warm-up: JIT, Redis scripts
  for (let r = 0; r < runs; r++) {
    for (const c of [...cases.slice(r % cases.length), ...cases.slice(0, r % cases.length)]) {
      times.get(c.key)!.push(await runOnce(c.s, c.i.dir, path.join(tmp, 'out'), url));
    }
  }
  return times;
}

/**
 * The table: wall time and images/s at N files, and the split of a run into a fixed part (threads
 * or connections started) and a part per image, from the 2-file and N-file medians (2 files start
 * as many threads as N do). The queue's
 * overhead per job is its part per image less the local batch's on the same number of workers.
 */
function print(scenarios: Scenario[], times: Map<string, [number, number][]>, files: number, runs: number): void {
  console.log(`\n${files} images of 64 x 48, K = 4; medians of ${runs} runs; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.availableParallelism()} cores\n`);
  console.log('scenario              wall s   images/s   fixed s   ms per image   in its thread   outside (x workers)');
  const perImage = new Map<string, number>();
  for (const s of scenarios) {
    const runsN = times.get(`${s.name}/${files}`)!;
    const big = median(runsN.map((r) => r[0])), two = median(times.get(`${s.name}/2`)!.map((r) => r[0]));
    const per = (big - two) / (files - 2), thread = median(runsN.map((r) => r[1]));
    perImage.set(s.name, per);
    console.log(`${s.name.padEnd(21)} ${big.toFixed(2).padStart(6)}   ${(files / big).toFixed(0).padStart(8)}   ${(two - 2 * per).toFixed(2).padStart(7)}   ` +
      `${(per * 1000).toFixed(2).padStart(12)}   ${thread.toFixed(2).padStart(13)}   ${(per * 1000 * s.threads - thread).toFixed(2).padStart(19)}`);
  }
  for (const n of [1, 2, 4]) {
    const q = perImage.get(`queue, ${n} worker${n > 1 ? 's' : ''}`)!, l = perImage.get(`local, ${n} thread${n > 1 ? 's' : ''}`)!;
    console.log(`queue overhead per job, ${n} worker${n > 1 ? 's' : ''}: ${((q - l) * 1000).toFixed(2)} ms of wall time per image (${((q - l) * 1000 * n).toFixed(2)} ms of worker time per job); ` +
      `images/s at ${files}: queue ${(1 / q).toFixed(0)} against local ${(1 / l).toFixed(0)} once started`);
  }
}

async function main(): Promise<void> {
  const files = flag('files', 120), runs = flag('runs', 5);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-bench-queue-'));
  const input = path.join(tmp, 'in'), single = path.join(tmp, 'one');
  await images(input, files);
  await images(single, 2);
  const { url, child } = await redis(tmp);
  const tag = `bench-${process.pid}`;
  // One process per worker, on three queues: 1, 2 and 4 workers (4 oversubscribe these 2 cores, as asked).
  const counts = [1, 2, 4];
  const workers = await Promise.all(counts.flatMap((n) => Array.from({ length: n }, () => worker(url, `${tag}-${n}`, tmp))));
  const scenarios: Scenario[] = [
    { name: 'local, 1 thread', threads: 1 }, { name: 'queue, 1 worker', queue: `${tag}-1`, threads: 1 },
    { name: 'local, 2 threads', threads: 2 }, { name: 'queue, 2 workers', queue: `${tag}-2`, threads: 2 },
    { name: 'local, 4 threads', threads: 4 }, { name: 'queue, 4 workers', queue: `${tag}-4`, threads: 4 },
  ];
  try {
    print(scenarios, await measure(scenarios, runs, [{ n: 2, dir: single }, { n: files, dir: input }], tmp, url), files, runs);
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode === null ? w.once('exit', r) : r(null)))));
    child?.kill('SIGTERM');
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
