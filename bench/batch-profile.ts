// Where a `kmeans-seg batch` spends its CPU (issue 12, target 3), in figures that hold under load: CPU
// per thread from /proc (the main thread, the two busiest threads = the batch workers, libvips' and
// the other helper threads: V8's compiler and GC helpers, libuv's pool with sharp's decodes, zlib's
// deflates and the fs calls), then a second run under --cpu-prof that splits the workers' CPU by
// stage (sample shares, scaled to the first run's worker CPU). Linux only.
//   npx tsx bench/batch-profile.ts <tree> [files=40] [runs=3]
// <tree>: a folder with bin/ and a built dist/ (this repository, or a copy in /tmp).
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBatch } from './batch-images.js';

const TICK_MS = 10; // USER_HZ on Linux

interface ThreadCpu { tid: number; name: string; ms: number }

/** utime + stime of every thread of `pid`, polled until it exits; the last figure seen per thread. */
async function runPolled(args: string[]): Promise<{ wall: number; threads: ThreadCpu[] }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d; });
  const seen = new Map<number, ThreadCpu>();
  let done = false;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { done = true; resolve(code); }));
  while (!done) {
    let tids: string[] = [];
    try { tids = readdirSync(`/proc/${child.pid}/task`); } catch { /* exiting */ }
    for (const t of tids) {
      try {
        const stat = readFileSync(`/proc/${child.pid}/task/${t}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        seen.set(Number(t), { tid: Number(t), name, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS });
      } catch { /* the thread ended */ }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`batch exited with ${code}: ${err.slice(-400)}`);
  return { wall: (performance.now() - t0) / 1000, threads: [...seen.values()] };
}

/**
 * The stage of a sample, from the nearest frame (leaf upwards) in our code or the wasm: its module
 * names the stage. Async code resumed after an await has no caller frames, so the leaf's module is
 * what holds; frames in Node's internals alone count as module loading when a loader frame is on the
 * stack, else as "Node internals".
 */
const BY_MODULE: [string, RegExp][] = [
  ['clustering: wasm kernel', /^wasm:/],
  ['clustering: JS host (core/, kernel/)', /\/dist\/(core|kernel)\//],
  ['encode (io/png-*, encode, output-set, atomic-write)', /\/dist\/io\/(png|encode|output|atomic|temp)/],
  ['decode (io/decode, read-file, load-input)', /\/dist\/io\/(decode|read-file|load-input|sniff)/],
  ['batch worker, segment() and the rest of dist/', /\/dist\//],
  ['sharp (its JS)', /node_modules\/(sharp|@img)\//],
];

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[] }

function stageOf(leaf: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): string | undefined {
  const fn = byId.get(leaf)!.callFrame.functionName;
  if (fn === '(idle)') return undefined;
  if (fn === '(garbage collector)') return 'garbage collector';
  let loader = false;
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
    const { url } = byId.get(id)!.callFrame;
    const hit = BY_MODULE.find(([, re]) => re.test(url));
    if (hit) return hit[0];
    if (/internal\/(modules|bootstrap)/.test(url)) loader = true;
  }
  if (fn === '(program)') return 'V8 (program: compiling, runtime)';
  if (/^(compress|write|processChunk|Zlib)/.test(fn)) return 'encode (io/png-*, encode, output-set, atomic-write)';
  return loader ? 'module loading (Node, our modules)' : 'Node internals (messages, fs, promises)';
}

function stageShares(profiles: Profile[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    for (const s of p.samples) {
      const stage = stageOf(s, byId, parent);
      if (stage) counts.set(stage, (counts.get(stage) ?? 0) + 1);
    }
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  return new Map([...counts].map(([k, v]) => [k, v / total]));
}

async function main(): Promise<void> {
  const [tree, countArg, runsArg] = process.argv.slice(2);
  if (!tree) throw new Error('usage: npx tsx bench/batch-profile.ts <tree> [files=40] [runs=3]');
  const files = (await ensureBatch(() => {})).files.map((f) => f.file).slice(0, Number(countArg ?? 40));
  const runs = Number(runsArg ?? 3);
  const cli = path.join(path.resolve(tree), 'bin', 'kmeans-seg.js');
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-batch-profile-'));
  const batchArgs = (out: string) => ['batch', ...files, '-k', '16', '-o', out];
  console.log(`batch profile: ${cli}, ${files.length} files, ${runs} runs; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rows: Record<string, number[]> = {};
  const add = (k: string, v: number) => (rows[k] ??= []).push(v);
  for (let r = 0; r < runs; r++) {
    const out = path.join(tmp, `out${r}`);
    const { wall, threads } = await runPolled([cli, ...batchArgs(out)]);
    await fs.rm(out, { recursive: true, force: true });
    const pidThread = threads.reduce((a, b) => (a.tid < b.tid ? a : b));
    const rest = threads.filter((t) => t !== pidThread).sort((a, b) => b.ms - a.ms);
    const workers = rest.filter((t) => t.name === 'node').slice(0, 2);
    const vips = rest.filter((t) => t.name.startsWith('libvips'));
    const others = rest.filter((t) => !workers.includes(t) && !vips.includes(t));
    const sum = (ts: ThreadCpu[]) => ts.reduce((a, t) => a + t.ms, 0);
    add('wall', wall * 1000); add('all threads', sum(threads)); add('main thread', pidThread.ms);
    add('batch workers (2 busiest)', sum(workers)); add('libvips threads', sum(vips)); add('other threads (V8 helpers, libuv pool)', sum(others));
    console.log(`  run ${r + 1}: wall ${wall.toFixed(2)} s, CPU ${(sum(threads) / 1000).toFixed(2)} s (main ${pidThread.ms}, workers ${workers.map((w) => w.ms).join(' + ')}, libvips ${sum(vips)}, others ${sum(others)} in ${others.length} threads); load ${os.loadavg()[0]!.toFixed(2)}`);
  }
  const med = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };
  console.log(`\nmedians over ${runs} runs (ms; per file = / ${files.length}):`);
  for (const [k, v] of Object.entries(rows)) console.log(`  ${k.padEnd(40)} ${med(v).toFixed(0).padStart(6)}  ${(med(v) / files.length).toFixed(1).padStart(6)} per file`);
  // The workers' CPU by stage, from one profiled run.
  const profDir = path.join(tmp, 'prof');
  await runPolled(['--cpu-prof', `--cpu-prof-dir=${profDir}`, cli, ...batchArgs(path.join(tmp, 'outp'))]);
  const profs = (await fs.readdir(profDir)).sort().map((f) => JSON.parse(readFileSync(path.join(profDir, f), 'utf8')) as Profile & { startTime: number });
  // The main thread's profile starts first; the workers' after it.
  const workerProfiles = profs.slice().sort((a, b) => a.startTime - b.startTime).slice(1);
  const workerMs = med(rows['batch workers (2 busiest)']!);
  console.log(`\nbatch workers' CPU by stage (sample shares of one --cpu-prof run, scaled to ${workerMs} ms; per file = / ${files.length}):`);
  for (const [k, share] of [...stageShares(workerProfiles)].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${k.padEnd(50)} ${(100 * share).toFixed(1).padStart(5)}%  ${(share * workerMs / files.length).toFixed(1).padStart(6)} ms per file`);
  }
  await fs.rm(tmp, { recursive: true, force: true });
}

await main();
