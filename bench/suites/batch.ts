// Suite "batch" (issue 12, target 3): the 40 small photos (0.3 MP each, bench/batch-images.ts) to
// 16-colour PNGs on the machine's 2 cores: `kmeans-seg batch` (one process, its own workers) against
// pngquant, two processes at once. Interleaved rounds, fresh output folders; images per second,
// total output bytes and the mean PSNR (one function for both).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBatch } from '../batch-images.js';
import { fmt, median, versus, type Row } from '../lib.js';
import { CLI } from '../package.js';
import { installed, peerEnv, pool, timed, totalBytes } from '../procs.js';
import { psnr } from '../psnr.js';

const K = 16;
const WIDTH = 2;

interface Side { name: string; label: string; run: (files: string[], dir: string) => Promise<unknown>; seconds: number[]; bytes: number; psnr: number; failed?: string }

const outputsOf = (files: string[], dir: string): string[] => files.map((f) => path.join(dir, path.basename(f)));

function sides(): { sides: Side[]; missing?: string } {
  const seg: Side = {
    name: 'kmeans-seg', label: `kmeans-seg batch -k ${K}`, seconds: [], bytes: 0, psnr: NaN,
    run: (files, dir) => timed(process.execPath, [CLI, 'batch', ...files, '-k', String(K), '-o', dir]),
  };
  if (!installed('pngquant')) return { sides: [seg], missing: 'not installed (Debian package pngquant)' };
  const pq: Side = {
    name: 'pngquant', label: `pngquant ${K} --nofs, ${WIDTH} processes at once (1 thread each)`, seconds: [], bytes: 0, psnr: NaN,
    // One OpenMP thread each: WIDTH processes fill the WIDTH cores (two threads each would fight for them).
    run: (files, dir) => pool(files.map((f, i) => () => timed('pngquant', [String(K), '--nofs', '--force', '--output', outputsOf(files, dir)[i]!, f], peerEnv(1))), WIDTH),
  };
  return { sides: [seg, pq] };
}

/** One timed run into a fresh folder, kept for the size and PSNR checks when asked; a failure marks the side. */
async function once(side: Side, files: string[], keep: boolean): Promise<string | undefined> {
  if (side.failed) return undefined;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `kmeans-seg-bench-batch-${side.name}-`));
  const t0 = performance.now();
  try { await side.run(files, dir); } catch (e) {
    side.failed = `FAILED: ${(e as Error).message.split('\n')[0]}`;
    console.log(`    ${side.name}: ${side.failed}`);
  }
  if (!side.failed) side.seconds.push((performance.now() - t0) / 1000);
  if (!keep || side.failed) { await fs.rm(dir, { recursive: true, force: true }); return undefined; }
  return dir;
}

async function check(side: Side, files: string[], dir: string): Promise<void> {
  const outs = outputsOf(files, dir);
  side.bytes = await totalBytes(outs);
  let sum = 0;
  for (let i = 0; i < files.length; i++) sum += await psnr(files[i]!, outs[i]!);
  side.psnr = sum / files.length;
  await fs.rm(dir, { recursive: true, force: true });
}

export async function batchSuite(quick: boolean): Promise<Row[]> {
  const set = await ensureBatch(() => {});
  const files = (quick ? set.files.slice(0, 12) : set.files).map((f) => f.file);
  const rounds = quick ? 2 : 5;
  const { sides: all, missing } = sides();
  const label = `${files.length} PNGs of ${set.width}x${set.height}`;
  console.log(`  batch: ${all.map((s) => s.label).join(' vs ')}, ${label}, ${rounds} interleaved rounds after a warm-up`);
  for (const s of all) { await once(s, files, false); s.seconds.length = 0; }
  const kept = new Map<Side, string>();
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < all.length; j++) {
      const s = all[(r + j) % all.length]!;
      const dir = await once(s, files, r === rounds - 1);
      if (dir) kept.set(s, dir);
    }
    console.log(`    round ${r + 1}/${rounds}: ${all.filter((s) => !s.failed).map((s) => `${s.name} ${fmt(s.seconds.at(-1)!)} s`).join(', ')}`);
  }
  for (const [s, dir] of kept) await check(s, files, dir);
  const out = rows(all, files.length, label);
  if (missing) out.push({ suite: 'batch', scenario: `pngquant, ${label}`, seconds: NaN, skipped: missing });
  return out;
}

function rows(all: Side[], files: number, label: string): Row[] {
  const rate = (s: Side) => files / median(s.seconds);
  const ok = all.filter((s) => !s.failed);
  const seg = ok.find((s) => s.name === 'kmeans-seg'), pq = ok.find((s) => s.name === 'pngquant');
  const out: Row[] = ok.map((s) => ({
    suite: 'batch', scenario: `${s.label}, ${label}`, seconds: median(s.seconds),
    ratio: s === seg || !seg ? undefined : versus(s.seconds, seg.seconds).text,
    note: `${fmt(rate(s))} images/s; ${(s.bytes / 1e6).toFixed(2)} MB in all; mean PSNR ${s.psnr.toFixed(2)} dB; ${s.seconds.length} runs`,
    raw: { samples: s.seconds, imagesPerSecond: rate(s), bytes: s.bytes, meanPSNR: s.psnr, files },
  }));
  for (const s of all.filter((x) => x.failed)) out.push({ suite: 'batch', scenario: `${s.label}, ${label}`, seconds: NaN, skipped: s.failed });
  if (seg && pq) {
    // Same files on both sides, so the ratio of images per second is the ratio of times.
    const { ratio, best } = versus(pq.seconds, seg.seconds);
    out[ok.indexOf(pq)]!.target = {
      id: 3, what: `batch, ${label}: kmeans-seg vs pngquant (images/s; bytes)`,
      measured: `${fmt(ratio)}x (best runs ${fmt(best)}x); ${(seg.bytes / pq.bytes).toFixed(2)}x the bytes`, goal: '>= 8x; <= 1x bytes', met: ratio >= 8 && seg.bytes <= pq.bytes,
    };
  }
  return out;
}
