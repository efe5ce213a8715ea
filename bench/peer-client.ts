// The persistent bench/peers.py child: one JSON command a line in, one JSON answer a line out, so
// that Python's start-up and imports stay out of the timings and peer runs can alternate with
// kmeans-seg's. Every threadpool of the child is pinned to the requested thread count.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import path from 'node:path';
import { BENCH_DIR } from './lib.js';
import { peerEnv } from './procs.js';

export const PYTHON = '/usr/bin/python3';

export interface Hello {
  python: string;
  /** Peer name -> what the table calls it (with its version). */
  peers: Record<string, string>;
  /** Peer name -> the Debian package that would install it. */
  missing: Record<string, string>;
  threadpools: string[];
  threads: number;
}

export interface PeerRun {
  seconds: number;
  passes: number;
  stages: Record<string, number>;
  labelInertia?: number;
  palette?: number[][];
}

export class PeerProcess {
  private readonly answers: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, lines: Interface) {
    lines.on('line', (line) => { if (this.waiting) { const w = this.waiting; this.waiting = undefined; w(line); } else this.answers.push(line); });
    lines.on('close', () => { this.closed = true; this.waiting?.(undefined); });
  }

  /** Start the child, or return why not (no Python, no numpy: the Debian package to install). */
  static async start(threads: number): Promise<{ peer: PeerProcess; hello: Hello } | { missing: string }> {
    const child = spawn(PYTHON, [path.join(BENCH_DIR, 'peers.py'), '--serve', '--threads', String(threads)], { env: peerEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const failed = new Promise<string>((resolve) => child.on('error', (e) => resolve(`${PYTHON}: ${e.message} (Debian package python3)`)));
    const peer = new PeerProcess(child, createInterface({ input: child.stdout }));
    const hello = await Promise.race([peer.ask<Hello>({ op: 'hello' }).catch((e: Error) => `${e.message} ${stderr.trim().slice(-300)}`), failed]);
    if (typeof hello === 'string') { child.kill(); return { missing: hello }; }
    return { peer, hello };
  }

  /** Send one command and wait for its answer; an `error` answer becomes a thrown Error. */
  async ask<T>(cmd: Record<string, unknown>): Promise<T> {
    if (this.closed) throw new Error('peers.py has exited');
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
    const line = this.answers.shift() ?? await new Promise<string | undefined>((resolve) => { this.waiting = resolve; });
    if (line === undefined) throw new Error('peers.py exited before it answered');
    const answer = JSON.parse(line) as T & { error?: string };
    if (answer.error) throw new Error(`peers.py: ${answer.error}`);
    return answer;
  }

  /** Ask the child to quit and wait until it has. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.on('exit', () => resolve()));
    this.child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
    await exited;
  }
}
