import { CONTROL_BYTE, FAILED, GEN, JOBS, JOB_INTS, NEXT, N_FIELD, OUT_STRIDE, PENDING, SEED_BYTE, SEED_JOB, STARTED, STOP } from '../wasm/memory.js';

/** Checks of a shared counter before sleeping on it: some tens of microseconds. */
export const SPIN = 20_000;

/** What a pool worker needs from its host environment (worker_threads' parentPort, or a Worker's self). */
export interface WorkerPort {
  postMessage(message: unknown): void;
}

interface Init { module: WebAssembly.Module; memory: WebAssembly.Memory; index: number }

export type Assign = (x: number, y: number, z: number, w: number, n: number, c: number, k: number, l: number, s: number, o: number, g: number, p: number) => void;
export type Assign5 = (x: number, y: number, z: number, u: number, v: number, n: number, c: number, k: number, l: number, s: number, o: number) => void;
export type MinDist = (x: number, y: number, z: number, w: number, n: number, cx: number, cy: number, cz: number, closest: number, out: number) => number;
export type MinDist5 = (x: number, y: number, z: number, u: number, v: number, n: number, cx: number, cy: number, cz: number, cu: number, cv: number, closest: number, out: number) => number;
/** The kernel's exports a pool thread runs. */
export interface KernelCalls { assign: Assign; assign5: Assign5; mindist: MinDist; mindist5: MinDist5 }

/** A job's fields, in the order of pool.ts's JOB_FIELDS. */
export type JobFields = ArrayLike<number>;

/**
 * Take chunks of the pass from the shared counter until none is left, and run the kernel on each.
 * The kernel adds into the thread's own sums and outcome slots, and its sums are integers: the bits
 * are the same whichever thread takes which chunk. A seeding pass's potential (an integer too) goes
 * to the fourth f64 of the thread's outcome slot.
 */
export function runChunks(ctl: Int32Array, job: JobFields, calls: KernelCalls, memory: ArrayBufferLike): void {
  const [x, y, z, w, u, v, n, c, k, labels, sums, out, dims, chunk, bounds, pass, kind, closest, candidate] = job as unknown as number[];
  const seed = kind === SEED_JOB ? new Float32Array(memory, SEED_BYTE, 5) : undefined;
  let potential = 0;
  for (;;) {
    const start = Atomics.add(ctl, NEXT, 1) * chunk!;
    if (start >= n!) break;
    const m = Math.min(chunk!, n! - start);
    const at = (ptr: number) => (ptr ? ptr + start * 4 : 0);
    if (seed) {
      potential += dims === 5
        ? calls.mindist5(at(x!), at(y!), at(z!), at(u!), at(v!), m, seed[0]!, seed[1]!, seed[2]!, seed[3]!, seed[4]!, at(closest!), at(candidate!))
        : calls.mindist(at(x!), at(y!), at(z!), at(w!), m, seed[0]!, seed[1]!, seed[2]!, at(closest!), at(candidate!));
    } else if (dims === 5) {
      calls.assign5(at(x!), at(y!), at(z!), at(u!), at(v!), m, c!, k!, labels! + start * 2, sums!, out!);
    } else {
      calls.assign(at(x!), at(y!), at(z!), at(w!), m, c!, k!, labels! + start * 2, sums!, out!, bounds ? bounds + start * 4 : 0, pass!);
    }
  }
  if (seed) new Float64Array(memory, out!, OUT_STRIDE / 8)[3] = potential;
}

/**
 * The body of a pool worker: instantiate the kernel over the host's shared memory, say ready, then
 * sleep on the control block and run this worker's share of every pass. It never returns to the event
 * loop after the first message: the host ends it with terminate() or STOP.
 */
export function runPoolWorker(init: Init, port: WorkerPort): void {
  const { module, memory, index } = init;
  const instance = new WebAssembly.Instance(module, {
    env: { memory, abort: () => { throw new Error('kmeans-seg: wasm kernel aborted'); } },
  });
  const calls = instance.exports as unknown as KernelCalls;
  port.postMessage({ ready: index });
  let seen = 0;
  for (;;) {
    // Views are rebuilt every pass: the host may have grown the memory since the last one.
    const ctl = new Int32Array(memory.buffer, CONTROL_BYTE, JOBS);
    // Lloyd's passes come back to back: look for the next one a little before sleeping, since a
    // wake-up from Atomics.wait can take longer than a whole pass over a small histogram.
    for (let spin = 0; spin < SPIN && Atomics.load(ctl, GEN) === seen; spin++);
    Atomics.wait(ctl, GEN, seen);
    seen = Atomics.load(ctl, GEN);
    if (Atomics.load(ctl, STOP) !== 0) return;
    Atomics.add(ctl, STARTED, 1);
    const job = new Int32Array(memory.buffer, CONTROL_BYTE + (JOBS + index * JOB_INTS) * 4, JOB_INTS);
    try {
      if (job[N_FIELD]! > 0) runChunks(ctl, job, calls, memory.buffer);
    } catch {
      // The host is asleep on PENDING: say so there, and still check out, or it would wait forever.
      Atomics.store(ctl, FAILED, 1);
    }
    if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
  }
}
