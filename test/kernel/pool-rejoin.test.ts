/**
 * The pool's pass accounting (PENDING, STARTED) across a worker that joins a memory which has run
 * passes before (after terminate()), and across a pass whose host share throws: in both, no check-out
 * may land outside its own pass, or the next pass could end before its workers (or never).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { getKernel, terminateWorkers } from '../../src/kernel/select.js';
import { CONTROL_BYTE, HISTOGRAM, HIST_MERGE_JOB, JOBS, PENDING, STARTED } from '../../src/kernel/wasm/memory.js';
import type { WasmKernel } from '../../src/kernel/wasm/wasm-kernel.js';
import type { Job } from '../../src/kernel/pool/thread-pool.js';

vi.setConfig({ testTimeout: 60_000 });
afterAll(async () => { await terminateWorkers(); });

/** A merge of the second histogram table into the first over every flag group: with the flags clear, it changes nothing. */
const mergeJob = (): Job => ({
  kind: HIST_MERGE_JOB, x: 0, y: 0, z: 0, w: HISTOGRAM.table2, u: 0, v: 0, n: 1 << 20, chunk: 1 << 12, c: HISTOGRAM.table, k: 0,
  labels: HISTOGRAM.flags, out: 0, sums: 0, dims: 0, bounds: 0, pass: 0, closest: 0, blocks: 0,
});

async function pooled(): Promise<WasmKernel | null> {
  const { kernel, threads } = await getKernel('wasm', 2);
  if (threads < 2 || kernel.name !== 'wasm') {
    console.warn('pool-rejoin: no second thread here; skipped');
    return null;
  }
  const k = kernel as WasmKernel;
  expect(k.histogramEngine(2)).not.toBeNull(); // the histogram region the merge jobs read
  return k;
}

const control = (k: WasmKernel) => new Int32Array(k.memory.buffer, CONTROL_BYTE, JOBS);
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe('thread pool accounting', () => {
  it('a worker started after terminate() runs no pass it was not counted in', async () => {
    const k = await pooled();
    if (!k) return;
    const pool = k.pool!;
    for (let i = 0; i < 3; i++) pool.run([mergeJob(), mergeJob()], () => {}); // GEN > 0, the job slots hold a pass
    await pool.terminate();
    const ctl = control(k);
    const started = Atomics.load(ctl, STARTED);
    await pool.ensure(2);
    await settle();
    // A worker that took the last generation as new would have checked in and out of a pass no one started.
    expect(Atomics.load(ctl, PENDING)).toBe(0);
    expect(Atomics.load(ctl, STARTED)).toBe(started);
    pool.run([mergeJob(), mergeJob()], () => {});
    expect(Atomics.load(ctl, PENDING)).toBe(0);
    expect(Atomics.load(ctl, STARTED)).toBe(1);
  });

  it('a pass whose share on this thread throws still waits for its workers', async () => {
    const k = await pooled();
    if (!k) return;
    const ctl = control(k);
    for (let i = 0; i < 5; i++) {
      expect(() => k.pool!.run([mergeJob(), mergeJob()], () => { throw new Error('host share'); })).toThrow('host share');
      expect(Atomics.load(ctl, PENDING)).toBe(0);
    }
    k.pool!.run([mergeJob(), mergeJob()], () => {});
    expect(Atomics.load(ctl, PENDING)).toBe(0);
  });
});
