// Timing other programs: one process at a time by wall clock with its peak RSS (through
// /usr/bin/time, whose wait4() figure counts the program alone), a pool of N at once, and the
// check that a peer is installed. Every Performance II peer outside Node runs through here.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TIME = '/usr/bin/time';

/**
 * The environment of a native peer (peers.py, pngquant): `threads` threads for OpenMP, BLAS and MKL,
 * and OpenMP's passive wait policy unless the caller set one. On this shared 2-core machine a
 * spinning OpenMP thread whose partner lost its core made FAISS 10-20x slower and pngquant up to
 * 3x; passive waiting was the peers' best setting under load (bench/README.md).
 */
export function peerEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
}
export const hasTime = (): boolean => existsSync(TIME);

/** Whether `command` runs at all (`--version` or the given probe), for the "not installed" notes. */
export function installed(command: string, probe: string[] = ['--version']): boolean {
  const r = spawnSync(command, probe, { stdio: 'ignore' });
  return !r.error;
}

export interface Timed {
  seconds: number;
  /** Peak RSS in bytes, from /usr/bin/time; undefined without it. */
  maxRSS?: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `command args` to the end, timed by wall clock from spawn to exit; throws when it fails, with
 * its stderr. /usr/bin/time sits between: a program forked straight from this large process would
 * carry this process's RSS over as its own starting maximum.
 */
export async function timed(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Timed> {
  const rssFile = path.join(os.tmpdir(), `kmeans-seg-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [cmd, argv] = hasTime() ? [TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  const t0 = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const seconds = (performance.now() - t0) / 1000;
  let maxRSS: number | undefined;
  if (hasTime()) {
    const kb = Number((await fs.readFile(rssFile, 'utf8').catch(() => '')).trim().split('\n').pop());
    await fs.rm(rssFile, { force: true });
    if (Number.isFinite(kb) && kb > 0) maxRSS = kb * 1024;
  }
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-500)}`);
  return { seconds, maxRSS, stdout, stderr };
}

/** Run every job with at most `width` at once; resolves when all are done (rejects on the first failure). */
export async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) { const i = next++; out[i] = await jobs[i]!(); }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, lane));
  return out;
}

/** Total size of the given files, in bytes. */
export async function totalBytes(files: string[]): Promise<number> {
  let sum = 0;
  for (const f of files) sum += (await fs.stat(f)).size;
  return sum;
}
