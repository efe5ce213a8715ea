/**
 * The body of a pool worker, whatever starts it (src/node/pool-worker.ts, src/browser/pool-worker.ts):
 * it runs only the passes the host starts through the control block, and always checks out of each.
 */
import { CONTROL_BYTE, FAILED, GEN, JOBS, JOB_INTS, N_FIELD, PENDING, STARTED, STOP } from '../wasm/memory.js';
import { instantiateKernel } from '../wasm/module.js';
import { SPIN, runChunks } from './chunks.js';
import type { WorkerInit } from './thread-pool.js';

/** What a pool worker needs from its host environment (worker_threads' parentPort, or a Worker's self). */
export interface WorkerPort {
  postMessage(message: unknown): void;
}

/**
 * Instantiate the kernel over the host's shared memory, say ready, then sleep on the control block
 * and run this worker's share of every pass. It never returns to the event loop after the first
 * message: the host ends it with terminate() or STOP. A kernel call that throws (a trap) sets FAILED
 * for the host to report (ERR_BACKEND); this function itself throws nothing after instantiating.
 * @throws WebAssembly.LinkError if the module does not instantiate over `memory`.
 */
export function runPoolWorker(init: WorkerInit, port: WorkerPort): void {
  const { module, memory, index } = init;
  const calls = instantiateKernel(module, memory);
  // The generation is read before saying ready: passes the host starts from then on count this
  // worker, earlier ones did not. Starting from 0 instead, a worker that joins a pool whose memory
  // has run passes before (after terminate(), say) took the last pass's stale job at once, and its
  // check-out could land on the host's next pass (PENDING out by one: a pass returning early).
  let seen = Atomics.load(new Int32Array(memory.buffer, CONTROL_BYTE, JOBS), GEN);
  port.postMessage({ ready: index });
  for (;;) {
    // Views are rebuilt every pass: the host may have grown the memory since the last one.
    const ctl = new Int32Array(memory.buffer, CONTROL_BYTE, JOBS);
    // Lloyd's passes come back to back: look for the next one a little before sleeping, since a
    // wake-up from Atomics.wait can take longer than a whole pass over a small histogram.
    for (let spin = 0; spin < SPIN && Atomics.load(ctl, GEN) === seen; spin++);
    // Sleep until the generation really moves: a wait can return with it unchanged (seen in a run of
    // ~1,000 kmeans() calls on 2026-12-01: this worker checked in twice for one pass, PENDING fell to
    // -1, and the host slept forever on it, every thread asleep), and one pass must be one check-in.
    while (Atomics.load(ctl, GEN) === seen) Atomics.wait(ctl, GEN, seen);
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
