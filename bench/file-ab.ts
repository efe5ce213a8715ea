// File to file A/B (file helper, issue 12 target 2): the CLI of two trees on the 12 MP photo, default
// options, K = 16, run alternately (A B A B ...), each its own process as the bench runs it. Prints
// each tree's median wall, peak RSS, the CLI's own stage medians (--json) and whether every output
// is byte for byte the first one. Usage:
//   npx tsx bench/file-ab.ts <treeA> <treeB> [rounds=7] [image] [-- extra CLI args]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [treeA, treeB, roundsArg, imageArg] = process.argv.slice(2);
if (treeA === undefined || treeB === undefined) throw new Error('usage: npx tsx bench/file-ab.ts <treeA> <treeB> [rounds] [image]');
const rounds = Number(roundsArg ?? 7);
const image = imageArg ?? '/work/bench-images/photo-12mp.png';
const dash = process.argv.indexOf('--');
const extra = dash < 0 ? [] : process.argv.slice(dash + 1);

interface Sample { wall: number; rss: number; cpu: number; stages: Record<string, number> }
const med = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); return s[s.length >> 1]!; };

function once(tree: string, out: string): Sample {
  const args = ['-f', '%e %M %U %S', process.execPath, path.join(tree, 'bin', 'kmeans-seg.js'), image, '-k', '16', '-o', out, '--force', '--json', ...extra];
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${tree}: exit ${r.status}: ${r.stderr}`);
  const [, maxKiB, user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wall, rss: maxKiB! / 1024, cpu: (user! + sys!) * 1000, stages: (JSON.parse(r.stdout) as { timings: Record<string, number> }).timings };
}

const trees = [treeA, treeB];
const outs = trees.map((_, i) => path.join(os.tmpdir(), `file-ab-${process.pid}-${i}.png`));
const samples: Sample[][] = [[], []];
let first: Buffer | undefined, same = true;
console.log(`load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${rounds} rounds; ${image}`);
for (const [i, t] of trees.entries()) once(t, outs[i]!); // warm-up: page cache
for (let r = 0; r < rounds; r++) {
  for (const j of r % 2 === 0 ? [0, 1] : [1, 0]) {
    samples[j]!.push(once(trees[j]!, outs[j]!));
    const bytes = readFileSync(outs[j]!);
    first ??= bytes;
    if (!bytes.equals(first)) same = false;
  }
  console.log(`  round ${r + 1}: A ${samples[0]!.at(-1)!.wall.toFixed(0)} ms, B ${samples[1]!.at(-1)!.wall.toFixed(0)} ms`);
}
for (const [j, t] of trees.entries()) {
  const s = samples[j]!;
  const stages = Object.keys(s[0]!.stages).map((k) => `${k} ${med(s.map((x) => x.stages[k]!)).toFixed(0)}`).join(' / ');
  console.log(`${'AB'[j]} ${t}: wall ${med(s.map((x) => x.wall)).toFixed(0)} ms (${s.map((x) => x.wall.toFixed(0)).join(' ')}), outside total ${med(s.map((x) => x.wall - x.stages.total!)).toFixed(0)} ms, CPU ${med(s.map((x) => x.cpu)).toFixed(0)} ms, peak RSS ${med(s.map((x) => x.rss)).toFixed(0)} MiB (${s.map((x) => x.rss.toFixed(0)).join(" ")}); ${stages}`);
}
const ratio = med(samples[1]!.map((x, i) => x.wall / samples[0]![i]!.wall));
console.log(`B/A per round: median ${ratio.toFixed(3)}; outputs ${same ? 'byte-identical' : 'DIFFER'}; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
execFileSync('rm', ['-f', ...outs]);
