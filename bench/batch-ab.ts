// A/B of `kmeans-seg batch` between two built trees (issue 12, target 3): the batch set (bench/batch-images.ts)
// run by each tree's bin/kmeans-seg.js in turn, interleaved, each run into a fresh folder. Prints wall and
// CPU (user + system, every thread of the process) medians and their ratios, and checks that B's outputs are
// byte for byte A's and that both reports hold the same figures (all but times).
//   npx tsx bench/batch-ab.ts <treeA> <treeB> [runs=7] [files=40] [extra batch flags...]
// files < 40 takes the first ones: a batch of 2 measures the fixed costs (boot, workers, exit).
// A tree is a folder with bin/ and a built dist/ (e.g. a copy of the repository in /tmp, `npm run build` there).
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBatch } from './batch-images.js';
import { TIME } from './procs.js';

interface Run { wall: number; cpu: number; rss: number; dir: string; report: string }

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

/** One batch into a fresh folder: wall from spawn to exit, CPU and peak RSS from /usr/bin/time, the JSON report. */
async function once(tree: string, files: string[], extra: string[]): Promise<Run> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-batch-ab-'));
  const timeFile = path.join(dir, '.time');
  const args = ['-f', '%e %U %S %M', '-o', timeFile, process.execPath, path.join(tree, 'bin', 'kmeans-seg.js'), 'batch', ...files, '-k', '16', '-o', path.join(dir, 'out'), '--json', ...extra];
  const t0 = performance.now();
  const report = await new Promise<string>((resolve, reject) => {
    const child = spawn(TIME, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${tree}: exit ${code}: ${err.slice(-400)}`))));
  });
  const wall = (performance.now() - t0) / 1000;
  const [, user, sys, rss] = (await fs.readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: user! + sys!, rss: rss! / 1024, dir, report };
}

/** The report without what depends on time or on the run's folder: every figure a user reads besides ms. */
function figures(report: string, dir: string): string {
  const r = JSON.parse(report) as { ms?: number; output: string; files: { ms?: number; output: string }[] };
  delete r.ms;
  r.output = path.relative(dir, r.output);
  for (const f of r.files) { delete f.ms; f.output = path.relative(dir, f.output); }
  return JSON.stringify(r);
}

/** Whether every output of `b` has the bytes of the same file in `a` (records included). */
async function sameFiles(a: string, b: string): Promise<string | undefined> {
  const list = async (d: string): Promise<string[]> => (await fs.readdir(d, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile()).map((e) => path.relative(d, path.join(e.parentPath ?? e.path, e.name))).sort();
  const [la, lb] = [await list(a), await list(b)];
  if (la.join('\n') !== lb.join('\n')) return `different file lists (${la.length} vs ${lb.length})`;
  for (const f of la) {
    const [x, y] = [await fs.readFile(path.join(a, f)), await fs.readFile(path.join(b, f))];
    // A record names the output's folder nowhere but holds the input's absolute path: the same for both.
    if (!x.equals(y)) return `${f} differs`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const [treeA, treeB, runsArg, countArg, ...extra] = process.argv.slice(2);
  if (!treeA || !treeB) throw new Error('usage: npx tsx bench/batch-ab.ts <treeA> <treeB> [runs=7] [files=40] [extra batch flags...]');
  const runs = Number(runsArg ?? 7);
  const files = (await ensureBatch(() => {})).files.map((f) => f.file).slice(0, Number(countArg ?? 40));
  const trees = { A: path.resolve(treeA), B: path.resolve(treeB) };
  console.log(`batch A/B: ${files.length} files, ${runs} interleaved runs each (+1 warm-up each); A = ${trees.A}, B = ${trees.B}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const got: Record<'A' | 'B', Run[]> = { A: [], B: [] };
  let mismatch: string | undefined;
  for (let r = -1; r < runs; r++) {
    const order: ('A' | 'B')[] = r % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    const pair: Partial<Record<'A' | 'B', Run>> = {};
    for (const side of order) pair[side] = await once(trees[side], files, extra);
    const { A, B } = pair as Record<'A' | 'B', Run>;
    mismatch ??= await sameFiles(path.join(A.dir, 'out'), path.join(B.dir, 'out'));
    if (!mismatch && figures(A.report, A.dir) !== figures(B.report, B.dir)) mismatch = 'report figures differ';
    if (r >= 0) {
      got.A.push(A); got.B.push(B);
      console.log(`  run ${r + 1}: A ${A.wall.toFixed(2)} s (cpu ${A.cpu.toFixed(2)}), B ${B.wall.toFixed(2)} s (cpu ${B.cpu.toFixed(2)}); load ${os.loadavg()[0]!.toFixed(2)}`);
    }
    for (const x of [A, B]) await fs.rm(x.dir, { recursive: true, force: true });
  }
  const m = (side: 'A' | 'B', k: 'wall' | 'cpu' | 'rss') => median(got[side].map((x) => x[k]));
  for (const side of ['A', 'B'] as const) {
    console.log(`${side}: wall median ${m(side, 'wall').toFixed(3)} s = ${(files.length / m(side, 'wall')).toFixed(2)} images/s; cpu median ${m(side, 'cpu').toFixed(2)} s; peak RSS median ${m(side, 'rss').toFixed(0)} MiB`);
  }
  console.log(`B/A: wall ${(m('B', 'wall') / m('A', 'wall')).toFixed(3)}, cpu ${(m('B', 'cpu') / m('A', 'cpu')).toFixed(3)}; bits: ${mismatch ?? 'every output and record byte-identical, same report figures, in every run'}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (mismatch) process.exitCode = 1;
}

await main();
