/**
 * One thread's share of a pass, the same code on the host and in every pool worker. The sums are
 * integers, so the bits do not depend on which thread takes which chunk.
 */
import { FILTER_JOB, HIST_COUNT_JOB, HIST_LABEL_JOB, HIST_MERGE_JOB, NEXT, OUT_STRIDE, SEED_BLOCK, SEED_BYTE, SEED_JOB, SEED_TRIAL_JOB } from '../wasm/memory.js';
import type { WasmExports } from '../wasm/module.js';

/** Checks of a shared counter before sleeping on it: some tens of microseconds. */
export const SPIN = 20_000;

/** The kernel's exports a pool thread runs. */
export type KernelCalls = Pick<WasmExports, 'assign' | 'assign5' | 'seedFlat' | 'seedFlat5' | 'filterPass' | 'labelColours' | 'countColours' | 'seedTree' | 'mergeTables'>;

/** A job's fields, in the order of thread-pool.ts's JOB_FIELDS. */
export type JobFields = ArrayLike<number>;

/**
 * Take chunks of the pass from the shared counter until none is left, and run the kernel on each.
 * The kernel adds into the thread's own sums and outcome slots, and its sums are integers: the bits
 * are the same whichever thread takes which chunk. A seeding pass's potential (an integer too) goes
 * to the fourth f64 of the thread's outcome slot; its chunks start on a block of the block sums.
 * @throws WebAssembly.RuntimeError when the kernel traps (a job outside the memory); in a pool
 *   worker it becomes FAILED, which the host reports as ERR_BACKEND.
 */
export function runChunks(ctl: Int32Array, job: JobFields, calls: KernelCalls, memory: ArrayBufferLike): void {
  const [x, y, z, w, u, v, n, c, k, labels, sums, out, dims, chunk, bounds, pass, kind, closest, blocks] = job as unknown as number[];
  const seed = kind === SEED_JOB ? new Float32Array(memory, SEED_BYTE, 5) : undefined;
  const mode = seed ? new Int32Array(memory, SEED_BYTE + 20, 1)[0]! : 0;
  let potential = 0;
  for (;;) {
    const start = Atomics.add(ctl, NEXT, 1) * chunk!;
    if (start >= n!) break;
    const m = Math.min(chunk!, n! - start);
    const at = (ptr: number) => (ptr ? ptr + start * 4 : 0);
    if (kind === FILTER_JOB) {
      calls.filterPass!(bounds!, start, m, sums!, out!, pass!);
    } else if (kind === HIST_COUNT_JOB) {
      calls.countColours!(x! + start * 4, m, c!, labels!, out!);
    } else if (kind === HIST_LABEL_JOB) {
      calls.labelColours!(x! + start * 4, m, c!, dims!, k!, labels! + start * dims!);
    } else if (kind === HIST_MERGE_JOB) {
      calls.mergeTables!(c!, w!, labels!, start, start + m);
    } else if (kind === SEED_TRIAL_JOB) {
      const t = new Float64Array(memory, x! + start * 32, 4);
      t[3] = calls.seedTree!(bounds!, t[0]!, t[1]!, t[2]!, 0); // POTENTIAL
    } else if (seed) {
      const block = blocks! + (start / SEED_BLOCK) * 8;
      potential += dims === 5
        ? calls.seedFlat5!(at(x!), at(y!), at(z!), at(u!), at(v!), m, seed[0]!, seed[1]!, seed[2]!, seed[3]!, seed[4]!, at(closest!), block, mode)
        : calls.seedFlat!(at(x!), at(y!), at(z!), at(w!), m, seed[0]!, seed[1]!, seed[2]!, at(closest!), block, mode);
    } else if (dims === 5) {
      calls.assign5(at(x!), at(y!), at(z!), at(u!), at(v!), m, c!, k!, labels! + start * 2, sums!, out!);
    } else {
      calls.assign(at(x!), at(y!), at(z!), at(w!), m, c!, k!, labels! + start * 2, sums!, out!, bounds ? bounds + start * 4 : 0, pass!);
    }
  }
  if (seed) new Float64Array(memory, out!, OUT_STRIDE / 8)[3] = potential;
}
