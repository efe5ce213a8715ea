import { MAX_THREADS } from '../../limits.js';

/**
 * The control block shared by the host and the pool workers, at a fixed place in the kernel's
 * memory (below every session's data). Int32 indices into it:
 */
export const CONTROL_BYTE = 4224;
export const GEN = 0; // bumped by the host to start a pass; workers wait on it
export const PENDING = 1; // workers still running; the last one to finish notifies
export const STOP = 2; // non-zero: workers exit their loop
export const FAILED = 3; // set by a worker whose kernel call threw (a trap)
export const STARTED = 4; // workers that picked up the current pass: a dead one never does
export const NEXT = 5; // the next chunk of the pass to take: threads take chunks until none is left
export const JOBS = 8; // then one job of JOB_INTS per thread
export const JOB_INTS = 19; // x, y, z, w, u, v, n, c, k, labels, sums, out, dims, chunk, bounds, pass, kind, closest, candidate
/** Index of the point count in a job; 0 means this worker sits the pass out. */
export const N_FIELD = 6;
/**
 * Per-thread slots at [0, MAX_THREADS * 128): the outcome (f64 inertia, changed, settled, and a seeding pass's potential),
 * then the kernel's queue of points awaiting a full comparison (16 i32) at +64.
 */
export const OUT_BYTE = 0;
export const OUT_STRIDE = 128;
/** The pass's two f32 for the kernel's bounds (see assembly/assign.ts), after the outcome slots. */
export const PASS_BYTE = OUT_BYTE + MAX_THREADS * OUT_STRIDE;
/** A k-means++ candidate's coordinates (up to five f32) for a seeding pass, after the pass's f32. */
export const SEED_BYTE = PASS_BYTE + 16;
/** Job kinds: an assignment pass, or a k-means++ candidate (mindist). */
export const ASSIGN_JOB = 0;
export const SEED_JOB = 1;
/** Sessions lay out their data from here on (after the histogram's region, once a kernel has one). */
export const DATA_BYTE = CONTROL_BYTE + (JOBS + MAX_THREADS * JOB_INTS) * 4 + 64;
