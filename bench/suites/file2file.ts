// Suite "file2file" (issue 12, targets 2 and 5): the 12 MP photo to a 16-colour PNG, default options,
// each tool its own process timed by wall clock: the kmeans-seg CLI, `pngquant 16 --nofs` and sharp's
// palette PNG. Runs interleave (the order rotates each round); the table quotes medians, output bytes,
// one PSNR function for all, and peak RSS against the memory budget (3 x decoded RGBA + 100 MB).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ensureImage } from '../images.js';
import { BENCH_DIR, RESULTS_DIR, fmt, mb, median, versus, type Row } from '../lib.js';
import { CLI } from '../package.js';
import { hasTime, installed, peerEnv, timed, type Timed } from '../procs.js';
import { psnr } from '../psnr.js';

const K = 16;

interface Tool { name: string; label: string; command: string; args: (input: string, output: string) => string[]; env?: NodeJS.ProcessEnv; missing?: string }

export const TOOLS: Tool[] = [
  { name: 'kmeans-seg', label: `kmeans-seg CLI -k ${K}`, command: process.execPath, args: (i, o) => [CLI, i, '-k', String(K), '-o', o, '--force'] },
  { name: 'pngquant', label: `pngquant ${K} --nofs`, command: 'pngquant', args: (i, o) => [String(K), '--nofs', '--force', '--output', o, i], env: peerEnv(2) },
  {
    name: 'sharp', label: `sharp png({ palette: true, colours: ${K}, dither: 0 })`, command: process.execPath,
    args: (i, o) => [path.join(BENCH_DIR, 'sharp-palette.mjs'), i, o, String(K)],
  },
];

/** The tools that can run; pngquant missing is a note naming its Debian package. */
export function availableTools(): Tool[] {
  return TOOLS.map((t) => (t.name === 'pngquant' && !installed('pngquant') ? { ...t, missing: 'not installed (Debian package pngquant)' } : t));
}

interface Outcome { tool: Tool; output: string; runs: Timed[]; bytes: number; psnr: number; failed?: string }

/** One timed run; a tool that fails is marked (and left out of later rounds) instead of ending the suite. */
async function attempt(o: Outcome, input: string): Promise<void> {
  if (o.failed) return;
  try { o.runs.push(await timed(o.tool.command, o.tool.args(input, o.output), o.tool.env)); } catch (e) {
    o.failed = `FAILED: ${(e as Error).message.split('\n')[0]}`;
    console.log(`    ${o.tool.name}: ${o.failed}`);
  }
}

async function measure(input: string, dir: string, tools: Tool[], rounds: number): Promise<Outcome[]> {
  const out = tools.map((tool): Outcome => ({ tool, output: path.join(dir, `${tool.name}.png`), runs: [], bytes: 0, psnr: NaN }));
  for (const o of out) { await attempt(o, input); o.runs.length = 0; } // warm-up: page cache, sharp's load
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < out.length; j++) await attempt(out[(r + j) % out.length]!, input);
    console.log(`    round ${r + 1}/${rounds}: ${out.filter((o) => !o.failed).map((o) => `${o.tool.name} ${fmt(o.runs.at(-1)!.seconds)} s`).join(', ')}`);
  }
  for (const o of out.filter((x) => !x.failed)) { o.bytes = (await fs.stat(o.output)).size; o.psnr = await psnr(input, o.output); }
  return out;
}

/** One untimed `--json` run: the CLI's own stage split (decode, histogram, init, lloyd, encode). */
async function cliStages(input: string, dir: string): Promise<Record<string, number> | undefined> {
  try {
    const r = await timed(process.execPath, [CLI, input, '-k', String(K), '-o', path.join(dir, 'kmeans-seg-json.png'), '--force', '--json']);
    return (JSON.parse(r.stdout) as { timings: Record<string, number> }).timings;
  } catch { return undefined; }
}

const times = (x: Outcome): number[] => x.runs.map((r) => r.seconds);
const sec = (x: Outcome): number => median(times(x));
const rss = (x: Outcome): number | undefined => (x.runs.every((r) => r.maxRSS !== undefined) ? Math.max(...x.runs.map((r) => r.maxRSS!)) : undefined);

function rows(all: Outcome[], label: string, budget: { rgba: number; bytes: number }, stages?: Record<string, number>): Row[] {
  const o = all.filter((x) => !x.failed);
  const seg = o.find((x) => x.tool.name === 'kmeans-seg'), pq = o.find((x) => x.tool.name === 'pngquant');
  const out: Row[] = o.map((x) => ({
    suite: 'file2file', scenario: `${x.tool.label}, ${label}`, seconds: sec(x),
    ratio: x === seg || !seg ? undefined : versus(times(x), times(seg)).text,
    note: `${(x.bytes / 1e6).toFixed(3)} MB; PSNR ${x.psnr.toFixed(2)} dB; peak RSS ${rss(x) === undefined ? `? (${hasTime() ? 'not read' : 'Debian package time'})` : mb(rss(x)!)}; ${x.runs.length} runs` +
      (x === seg && stages ? `; CLI --json: ${Object.entries(stages).map(([k, v]) => `${k} ${fmt(v)}`).join(' / ')} ms` : ''),
    raw: { tool: x.tool.name, samples: x.runs.map((r) => ({ seconds: r.seconds, maxRSS: r.maxRSS })), bytes: x.bytes, psnr: x.psnr, stages: x === seg ? stages : undefined },
  }));
  for (const x of all.filter((y) => y.failed)) out.push({ suite: 'file2file', scenario: `${x.tool.label}, ${label}`, seconds: NaN, skipped: x.failed });
  if (!seg) return out;
  if (pq) {
    const { ratio, best } = versus(times(pq), times(seg));
    out[o.indexOf(pq)]!.target = {
      id: 2, what: `file to file, ${label}, K=${K}: kmeans-seg vs pngquant (time; bytes; PSNR)`,
      measured: `${fmt(ratio)}x (best runs ${fmt(best)}x); ${(seg.bytes / pq.bytes).toFixed(2)}x the bytes; ${(seg.psnr - pq.psnr).toFixed(2)} dB`,
      goal: '>= 5x; <= 1x bytes; >= +0 dB', met: ratio >= 5 && seg.bytes <= pq.bytes && seg.psnr >= pq.psnr,
    };
  }
  const peak = rss(seg);
  out.push({
    suite: 'file2file', scenario: `kmeans-seg CLI peak RSS, ${label}`, seconds: NaN, skipped: peak === undefined ? 'no /usr/bin/time (Debian package time)' : undefined,
    ratio: peak === undefined ? undefined : `${(peak / budget.bytes).toFixed(2)}x budget`,
    note: peak === undefined ? undefined : `${mb(peak)} vs 3 x RGBA + 100 MB = ${mb(budget.bytes)} (${(peak / budget.rgba).toFixed(1)} x RGBA)`,
    target: peak === undefined ? undefined : { id: 5, what: `peak RSS, ${label} file to file`, measured: mb(peak), goal: `<= ${mb(budget.bytes)}`, met: peak <= budget.bytes },
    raw: { maxRSS: peak, ...budget },
  });
  return out;
}

export async function file2fileSuite(quick: boolean): Promise<Row[]> {
  const info = await ensureImage(quick ? '1mp' : 'photo-12mp', () => {});
  const rounds = quick ? 2 : 5;
  const dir = path.join(RESULTS_DIR, 'file2file');
  await fs.mkdir(dir, { recursive: true });
  const all = availableTools();
  const tools = all.filter((t) => !t.missing);
  const label = `${info.name} ${info.width}x${info.height}`;
  console.log(`  file2file: ${tools.map((t) => t.name).join(', ')} on ${label}, ${rounds} interleaved rounds after a warm-up`);
  const outcomes = await measure(info.file, dir, tools, rounds);
  const stages = await cliStages(info.file, dir);
  const rgba = info.width * info.height * 4;
  const out = rows(outcomes, label, { rgba, bytes: 3 * rgba + 100e6 }, stages);
  for (const t of all.filter((x) => x.missing)) out.push({ suite: 'file2file', scenario: `${t.label}, ${label}`, seconds: NaN, skipped: t.missing });
  return out;
}
