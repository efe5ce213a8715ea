/**
 * The host's side of the pool: workers sharing the kernel's memory, each pass started and awaited
 * through the control block. A pass finishes on every thread or throws: a dead worker never hangs it.
 */
import { KMeansSegError } from '../../errors.js';
import { SPIN } from './chunks.js';
import { CONTROL_BYTE, FAILED, GEN, JOBS, JOB_INTS, NEXT, N_FIELD, PENDING, STARTED, STOP } from '../wasm/memory.js';
import { MAX_THREADS } from '../../limits.js';
import type { Platform } from '../../platform.js';

/** How long the workers get to pick up a pass before the pool is declared broken. */
const START_TIMEOUT_MS = 30_000;

export interface WorkerHandle { terminate(): unknown }
/** A pool worker's first and only message: the kernel's module, the host's shared memory, its slot. */
export interface WorkerInit { module: WebAssembly.Module; memory: WebAssembly.Memory; index: number }
/** Start a worker running runPoolWorker (worker.ts) and resolve once it says ready. */
export type SpawnWorker = (init: WorkerInit) => Promise<WorkerHandle>;

/**
 * One thread's part in a pass: byte offsets of the points [0, n) and their labels, the thread's own
 * sums and outcome slots, and 3 or 5 dimensions. The points are cut into chunks of `chunk` that the
 * threads take in turn (see runChunks), so a thread slowed by a neighbour on the machine takes fewer.
 */
export interface Job {
  x: number; y: number; z: number; w: number; u: number; v: number; n: number;
  c: number; k: number; labels: number; sums: number; out: number; dims: number; chunk: number;
  /** The points' bounds (f32 each; 0 for none) and the pass's two f32 (see assembly/assign.ts). */
  bounds: number; pass: number;
  /**
   * ASSIGN_JOB; SEED_JOB: a k-means++ candidate (at SEED_BYTE) against `closest`, with the block sums
   * at `blocks`; or FILTER_JOB: a pass over the box tree whose header is at `bounds` (see memory.ts).
   */
  kind: number; closest: number; blocks: number;
}
export const JOB_FIELDS = ['x', 'y', 'z', 'w', 'u', 'v', 'n', 'c', 'k', 'labels', 'sums', 'out', 'dims', 'chunk', 'bounds', 'pass', 'kind', 'closest', 'blocks'] as const;

/**
 * A pool of workers that share the kernel's WebAssembly.Memory. A pass is started by bumping a
 * generation counter in the control block and woken with Atomics.notify; the host thread takes the
 * first share itself and sleeps on a pending counter until the workers are done. No message is
 * posted per pass: the wake-up costs microseconds, not a structured clone.
 */
export class ThreadPool {
  private readonly workers: WorkerHandle[] = [];
  private growing: Promise<void> = Promise.resolve();

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly spawn: SpawnWorker,
  ) {}

  get size(): number { return this.workers.length; }

  /**
   * Make sure `threads - 1` workers run (the host thread is the other one).
   * Rejects with the spawner's error when a worker cannot start; the workers started so far stay.
   */
  ensure(threads: number): Promise<void> {
    this.growing = this.growing.then(async () => {
      const want = Math.min(threads, MAX_THREADS) - 1;
      while (this.workers.length < want) {
        const index = this.workers.length;
        this.workers.push(await this.spawn({ module: this.module, memory: this.memory, index }));
      }
    });
    return this.growing;
  }

  /**
   * Run jobs[0] on this thread and jobs[i] on worker i - 1 (chunks shared), and return when all are done.
   * @throws KMeansSegError ERR_BACKEND when a worker never picks up the pass (the pool is then broken)
   *   or a kernel call failed in a worker.
   */
  run(jobs: Job[], runHere: (job: Job) => void): void {
    const buf = this.memory.buffer;
    const ctl = new Int32Array(buf, CONTROL_BYTE, JOBS + MAX_THREADS * JOB_INTS);
    for (let i = 0; i < this.workers.length; i++) {
      const j = jobs[i + 1];
      const o = JOBS + i * JOB_INTS;
      if (!j) { ctl[o + N_FIELD] = 0; continue; }
      for (let f = 0; f < JOB_FIELDS.length; f++) ctl[o + f] = j[JOB_FIELDS[f]!];
    }
    // Every worker wakes and checks in, busy or idle, so the count is simply the pool's size.
    Atomics.store(ctl, PENDING, this.workers.length);
    Atomics.store(ctl, STARTED, 0);
    Atomics.store(ctl, NEXT, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    // Even when this thread's share throws, the workers' check-outs are awaited first: one landing
    // after this returns would count toward the next pass, which could then end before its workers.
    try {
      runHere(jobs[0]!);
    } finally {
      this.awaitWorkers(ctl);
    }
    if (Atomics.exchange(ctl, FAILED, 0) !== 0) {
      throw new KMeansSegError('ERR_BACKEND', 'the wasm kernel failed in a worker thread: retry with threads: 1 or backend: \'js\', and report it');
    }
  }

  /** Sleep until every worker has checked out of the pass. @throws ERR_BACKEND when one never started it (the pool is then broken). */
  private awaitWorkers(ctl: Int32Array): void {
    // A worker that died never starts: rather than sleep forever, give up once the others are done
    // waiting for it. (Event handlers cannot run while this thread sleeps, so liveness is counted.)
    const since = Date.now();
    for (let spin = 0; spin < SPIN && Atomics.load(ctl, PENDING) !== 0; spin++);
    for (let p = Atomics.load(ctl, PENDING); p !== 0; p = Atomics.load(ctl, PENDING)) {
      if (p < 0) {
        // More check-outs than workers: the accounting is broken, and waiting for 0 would never end.
        this.broken = true;
        throw new KMeansSegError('ERR_BACKEND', 'a kernel worker ran a pass twice: retry with threads: 1, and report it');
      }
      Atomics.wait(ctl, PENDING, p, 1000);
      if (Atomics.load(ctl, STARTED) < this.workers.length && Date.now() - since > START_TIMEOUT_MS) {
        this.broken = true;
        throw new KMeansSegError('ERR_BACKEND', `a kernel worker stopped answering (${Atomics.load(ctl, STARTED)} of ${this.workers.length} started a pass): retry with threads: 1`);
      }
    }
  }

  /** Set when a worker stopped answering: the kernel then runs on one thread. */
  broken = false;

  async terminate(): Promise<void> {
    await this.growing;
    const ctl = new Int32Array(this.memory.buffer, CONTROL_BYTE, JOBS);
    Atomics.store(ctl, STOP, 1);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
    Atomics.store(ctl, STOP, 0);
  }
}

/** The platform's startPool for an entry whose workers `spawn` starts (node/platform.ts, browser/worker.ts). */
export function poolStarter(spawn: SpawnWorker): NonNullable<Platform['startPool']> {
  return (module, memory) => new ThreadPool(module, memory, spawn);
}
