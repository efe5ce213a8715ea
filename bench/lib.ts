// Shared helpers of the benchmark: paths, command-line flags, machine description, a benchmark.js
// runner that reports medians, and the result rows every suite returns. It loads no package code:
// the suites that reach into src/ import its Node entry themselves (see src-platform.ts).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';
import type { KMeansOptions } from '../src/core/options.js';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const IMAGES_DIR = path.join(BENCH_DIR, 'images');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
/** shared/ sits beside the repository, locally and in CI. */
export const SHARED_IMAGES = path.resolve(BENCH_DIR, '..', '..', 'shared', 'images');

export interface Flags {
  quick: boolean;
  /** Suites to run, all when empty. */
  only: string[];
}

/** Every suite, in the order a full run takes them: the first six on src/, the last four on dist/ and bin/. */
export const SUITES = ['kernel', 'histogram', 'peers', 'file', 'memory', 'threads', 'strongest', 'file2file', 'batch', 'default'];

export function parseFlags(argv: string[]): Flags {
  const flags: Flags = { quick: false, only: [] };
  for (const arg of argv) {
    if (arg === '--quick') flags.quick = true;
    else if (arg.startsWith('--only=')) flags.only = arg.slice(7).split(',').filter(Boolean);
    else throw new Error(`Unknown flag ${JSON.stringify(arg)}: expected --quick and/or --only=${SUITES.join(',')}`);
  }
  const unknown = flags.only.filter((s) => !SUITES.includes(s));
  if (unknown.length) throw new Error(`Unknown suite ${JSON.stringify(unknown[0])}: expected some of ${SUITES.join(',')}`);
  return flags;
}

/** One line of the final table. `rate` is in G distance evaluations per second (points x K x passes / s). */
export interface Row {
  suite: string;
  scenario: string;
  /** Median seconds per call. */
  seconds: number;
  rate?: number;
  /** e.g. '4.1x vs js' */
  ratio?: string;
  note?: string;
  /** Set when the scenario could not run (a peer not installed): why, and what to install. */
  skipped?: string;
  /** Set on the row that measures one of the Performance II targets. */
  target?: Target;
  /** Raw numbers for the JSON file. */
  raw?: Record<string, unknown>;
}

/** One of issue 12's targets as measured in this run: printed in the targets table. */
export interface Target {
  id: number;
  what: string;
  measured: string;
  goal: string;
  /** undefined when the target only asks for a report. */
  met?: boolean;
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, totalMemGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version, v8: process.versions.v8, platform: `${process.platform}-${process.arch}`,
  };
}

/**
 * Options that pin kmeans() to one thread: the algorithmic suites (histogram, peers) compare
 * single-threaded work; the threads suite measures the pool.
 */
export const oneThread = (): KMeansOptions => ({ threads: 1 });

export const loadavg = (): string => os.loadavg().map((v) => v.toFixed(2)).join(' ');

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * A peer against kmeans-seg from interleaved samples (seconds): the ratio of medians, which the
 * targets use, and of the best runs, the least disturbed by someone else's load on a shared machine.
 */
export function versus(peer: readonly number[], seg: readonly number[]): { ratio: number; best: number; text: string } {
  const ratio = median(peer) / median(seg), best = Math.min(...peer) / Math.min(...seg);
  return { ratio, best, text: `kmeans-seg ${fmt(ratio)}x (best runs ${fmt(best)}x)` };
}

export const gRate = (evals: number, seconds: number): number => evals / seconds / 1e9;
export const fmt = (v: number, digits = 3): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(digits));
export const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export interface Timing { options: { minSamples: number; maxTime: number } }

/** benchmark.js settings: a few long samples in full mode, the least that gives a median in --quick. */
export function timing(quick: boolean, heavy = false): Timing['options'] {
  if (quick) return { minSamples: 2, maxTime: heavy ? 0.3 : 0.5 };
  return { minSamples: heavy ? 3 : 5, maxTime: heavy ? 4 : 3 };
}

export interface Case {
  name: string;
  /** The timed work; may return a promise (timed until it settles). */
  fn: () => unknown;
  /** Untimed, synchronous, right before this case is clocked (e.g. open a kernel session). */
  open?: () => void;
  /** Untimed, right after this case is clocked. */
  close?: () => void;
}

export interface Measured {
  name: string;
  median: number;
  mean: number;
  rme: number;
  samples: number[];
}

/**
 * Run cases as one benchmark.js suite. Every case is deferred: the timer stops when the work's
 * promise settles, so async work (kmeans) is timed in full, and benchmark.js skips the untimed
 * "pretest" call it makes of synchronous functions, which would double the cost of multi-second
 * cases. Warm-up is the caller's job (see warmUp), done before this is called.
 */
export function runSuite(title: string, cases: Case[], options: Timing['options']): Promise<Measured[]> {
  const suite = new Benchmark.Suite(title);
  for (const c of cases) {
    suite.add(c.name, {
      defer: true,
      ...options,
      fn: (deferred: { resolve(): void }) => {
        Promise.resolve(c.fn()).then(() => deferred.resolve(), (err: unknown) => {
          console.error(`${title} / ${c.name} failed:`, err);
          process.exit(1);
        });
      },
      onStart: () => c.open?.(),
      onComplete: () => c.close?.(),
    });
  }
  return new Promise((resolve, reject) => {
    suite
      .on('cycle', (event: Benchmark.Event) => {
        const b = event.target as unknown as Benchmark;
        if (b.error) reject(b.error);
        else console.log(`    ${b.name}: median ${fmt(median(b.stats.sample) * 1000)} ms, ±${b.stats.rme.toFixed(1)}% (${b.stats.sample.length} samples)`);
      })
      .on('complete', function (this: Benchmark.Suite) {
        const out: Measured[] = [];
        this.forEach((b: Benchmark) => out.push({
          name: String(b.name), median: median(b.stats.sample), mean: b.stats.mean, rme: b.stats.rme, samples: [...b.stats.sample],
        }));
        resolve(out);
      })
      .run({ async: true });
  });
}

/** Call `fn` until it has run `minCalls` times and `minMs` have passed: V8 runs a baseline tier first (Liftoff for wasm, Sparkplug/Maglev for JS). */
export async function warmUp(fn: () => unknown, minCalls = 2, minMs = 200): Promise<number> {
  const t0 = performance.now();
  let calls = 0;
  while (calls < minCalls || performance.now() - t0 < minMs) { await fn(); calls++; }
  // Optimised code is compiled on a background thread; give it a moment to be installed.
  await new Promise((r) => setTimeout(r, 50));
  return calls;
}

/**
 * K-means inertia of a labelling in f64, over interleaved 8-bit pixels (`channels` bytes each, RGB
 * first): every cluster's centroid is the mean of its points (what one more update step would give),
 * so the figure depends on the labels alone and is comparable between implementations that return
 * their centroids before or after the last update. bench/peers.py computes the same.
 */
export function labelInertia(data: ArrayLike<number>, channels: number, labels: ArrayLike<number>, k: number): number {
  const sums = new Float64Array(k * 4);
  const n = labels.length;
  for (let i = 0, o = 0; i < n; i++, o += channels) {
    const s = labels[i]! * 4;
    sums[s] += data[o]!; sums[s + 1] += data[o + 1]!; sums[s + 2] += data[o + 2]!; sums[s + 3]++;
  }
  for (let j = 0; j < k; j++) { const w = sums[j * 4 + 3]!; if (w > 0) for (let d = 0; d < 3; d++) sums[j * 4 + d] /= w; }
  let inertia = 0;
  for (let i = 0, o = 0; i < n; i++, o += channels) {
    const s = labels[i]! * 4;
    const dx = data[o]! - sums[s]!, dy = data[o + 1]! - sums[s + 1]!, dz = data[o + 2]! - sums[s + 2]!;
    inertia += dx * dx + dy * dy + dz * dz;
  }
  return inertia;
}

export const relDiff = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
