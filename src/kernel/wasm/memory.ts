/**
 * The wasm kernel's memory map: every byte offset the host and the pool workers use. The kernel
 * allocates nothing; this file decides every offset, and no two regions of the map overlap.
 */
import { KMeansSegError } from '../../errors.js';
import { MAX_THREADS, WASM_MAX_BYTES, WASM_PAGE_BYTES } from '../../limits.js';

/*
 * From the bottom up (bytes; every region 16-aligned):
 *   [0, MAX_THREADS * 128)     each thread's outcome slot and the kernel's queue (OUT_BYTE)
 *   PASS_BYTE, SEED_BYTE       the pass's two f32 for the bounds; a k-means++ candidate's coordinates
 *   [CONTROL_BYTE, DATA_BYTE)  the pool's control block: counters, then one job per thread
 *   [DATA_BYTE, HISTOGRAM.end) the histogram's table and slices, once a kernel has built them
 *   [INPUT_BYTE, +reserved)    an image's pixels, written by a job worker's caller (none unless asked)
 *   then one session (layoutSession): header | centroids | sums | planes | weights | closest | labels |
 *   block sums, and for a box tree: versions | centres | candidate list | scratch | perm | inv | caller labels | nodes | leaves
 */

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
export const JOB_INTS = 19; // x, y, z, w, u, v, n, c, k, labels, sums, out, dims, chunk, bounds, pass, kind, closest, blocks
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
/** A k-means++ candidate's coordinates (up to five f32) for a seeding pass, after the pass's f32, then its mode (i32 at +20). */
export const SEED_BYTE = PASS_BYTE + 16;
/** Where gridOf (assembly/build.ts) writes a plane's lowest and highest value (two f32), after the seed's. */
export const GRID_BYTE = SEED_BYTE + 32;
/**
 * Job kinds: an assignment pass; a k-means++ candidate (seedFlat); a filtering pass over the box tree
 * (filterPass: its n counts the tree's units, `bounds` holds the header and `pass` the thread's scratch).
 */
export const ASSIGN_JOB = 0;
export const SEED_JOB = 1;
export const FILTER_JOB = 2;
/**
 * The histogram's label loop over a slice of n pixels at `x`: through the map at `c`, `dims` bytes
 * an entry, into the labels at `labels` (labelColours); alpha 0 gets `k`.
 */
export const HIST_LABEL_JOB = 3;
/** The histogram's count over a slice of n pixels at `x` into the table at `c` (the thread's own), flags at `labels` (countColours). */
export const HIST_COUNT_JOB = 4;
/**
 * k-means++ candidates over the box tree (seedTree, POTENTIAL), one a chunk: candidate i's f64 x, y, z
 * at x + 32 i, its potential to + 24; the session's header at `bounds`.
 */
export const SEED_TRIAL_JOB = 6;
/** The histogram's merge of the second table (at `w`) into the first (at `c`) over n flag groups, flags at `labels` (mergeTables). */
export const HIST_MERGE_JOB = 7;
/** Sessions lay out their data from here on (after the histogram's region, once a kernel has one). */
export const DATA_BYTE = CONTROL_BYTE + (JOBS + MAX_THREADS * JOB_INTS) * 4 + 64;

/**
 * Pixels the histogram engine copies through wasm memory at a time on one thread; and when the
 * labels are shared over threads, where every slice waits for the slowest thread (and a sleeping
 * worker's wake-up): fewer, larger ones.
 */
const SLICE = 1 << 18;
const THREADED_SLICE = 1 << 21;
/** Colours the histogram's `seen` region holds (keys, then as many counts): what one call of collectColours may write. */
const SEEN_COLOURS = 1 << 20;
/**
 * The histogram's region, laid out once, below every later session's data: the table (2^24 u32;
 * only the pages a picture touches become resident), the colours seen as the table hands them over
 * (up to seenColours u32 keys, then as many counts), slices of pixels (u32) and labels (up to u16) that the
 * host copies through (room for a threaded slice; one thread uses the first slicePixels of it), one
 * flag byte per group of 16 keys that a picture touched, and last a second table that a second
 * thread counts into (untouched, so never resident, while counts run on one thread).
 */
export const HISTOGRAM = (() => {
  const table = DATA_BYTE, seen = table + (1 << 26), slice = seen + SEEN_COLOURS * 8, labelSlice = slice + THREADED_SLICE * 4;
  const flags = labelSlice + THREADED_SLICE * 2, table2 = flags + (1 << 20);
  return {
    table, seen, seenColours: SEEN_COLOURS, slice, labelSlice, flags, table2, slicePixels: SLICE, threadedSlicePixels: THREADED_SLICE,
    end: table2 + (1 << 26),
  } as const;
})();

/**
 * Where a job worker's callers may write an image's pixels for the histogram's loops to read in place
 * (histogram-engine.ts's inputArea): right after the histogram's region, page-aligned. Sessions then
 * start past the bytes reserved there; nothing is reserved (and nothing resident) until asked.
 */
export const INPUT_BYTE = Math.ceil(HISTOGRAM.end / 4096) * 4096;

/**
 * What a session holds: n points of `dims` coordinates (3, or 5 with positions), weighted or not, k
 * clusters, on `threads` threads; and for a box tree (src/kernel/wasm/tree.ts), its node and leaf counts.
 */
export interface SessionShape { n: number; k: number; threads: number; dims: number; weighted: boolean; tree?: TreeShape }
export interface TreeShape { nodes: number; leaves: number; levels: number }

/** Byte offsets of one session's regions (0 for weights when there are none), and its end. */
export interface SessionLayout {
  /** Centroids, pre-splatted: centroidFloats each (16 for 3 dims: x, y, z and the index j as i32; 4 a dimension for 5). */
  centroids: number;
  centroidFloats: number;
  /** f64 sums per cluster: dims + 1 (w * each coordinate, then w). */
  sumStride: number;
  /** Thread i's two banks of k * sumStride f64 at sums + i * sumBytes; sumBytes is a multiple of 128. */
  sums: number;
  sumBytes: number;
  /** The coordinate planes (f32 each): x, y, z and, for 5 dims, u, v. */
  planes: number[];
  /** u32 weights, or 0. */
  weights: number;
  /** The session's header (u32 fields, assembly/tree.ts), HEADER_BYTES. */
  header: number;
  /** k-means++'s closest distances (f32; the bounds once the passes start). */
  closest: number;
  /** u16 labels. */
  labels: number;
  /** f64 per block of 256 points: k-means++'s block sums, running sums at block ends, sums of weights. */
  blocks: number;
  checks: number;
  blockWeights: number;
  blockCount: number;
  /** A box tree's regions (0 without one): centroid versions (u32), the centroids in f64 (x, y, z, |c|^2), the list 0..k-1 (u16), each thread's scratch. */
  versions: number;
  centres: number;
  list: number;
  scratch: number;
  scratchBytes: number;
  /** Node and leaf records; the session order of points to the caller's (perm) and back (inv), u32 each. */
  nodes: number;
  leaves: number;
  perm: number;
  inv: number;
  /** A box tree's labels in the caller's order (u16), gathered there from `labels` when the host asks for them; 0 without a tree. */
  callerLabels: number;
  /** The first byte past the session: what the memory must hold. */
  end: number;
}

const align = (v: number, to = 16): number => Math.ceil(v / to) * to;

/** The session header's bytes (assembly/tree.ts's fields). */
export const HEADER_BYTES = 128;
/** Points per block of k-means++'s block sums. */
export const SEED_BLOCK = 256;
/** Bytes read past a region's end by the tree's SIMD loops (a leaf's last group of eight), kept in the map. */
const OVERREAD = 64;

/**
 * One session's memory from `start` up (pure: no memory is touched). Planes, weights, the k-means++
 * plane and labels are 16-aligned for v128 loads. The sums are two banks per thread (see
 * assembly/assign.ts), each thread's on its own cache lines: threads that wrote to one line (or a
 * prefetched pair) would pass it back and forth on every add, so the banks start 128 bytes apart.
 */
export function layoutSession({ n, k, threads, dims, weighted, tree }: SessionShape, start = DATA_BYTE): SessionLayout {
  const header = start;
  const centroids = header + HEADER_BYTES;
  const centroidFloats = dims === 3 ? 16 : dims * 4;
  const sumStride = dims + 1;
  const sumBytes = align(2 * k * sumStride * 8, 128);
  const sums = align(centroids + k * centroidFloats * 4, 128);
  let end = sums + threads * sumBytes;
  const next = (bytes: number): number => { const p = align(end); end = p + bytes; return p; };
  const planes: number[] = [];
  for (let q = 0; q < dims; q++) planes.push(next(n * 4));
  const weights = weighted ? next(n * 4) : 0;
  const closest = next(n * 4);
  const labels = next(n * 2);
  const blockCount = Math.ceil(n / SEED_BLOCK);
  const blocks = next(blockCount * 8), checks = next(blockCount * 8), blockWeights = next(blockCount * 8);
  const scratchBytes = tree ? 16 + tree.levels * align(2 * k) : 0;
  const t = tree ?? { nodes: 0, leaves: 0 };
  const versions = tree ? next(k * 4) : 0, centres = tree ? next(k * 32) : 0, list = tree ? next(k * 2) : 0;
  const scratch = tree ? next(threads * scratchBytes) : 0;
  const perm = tree ? next(n * 4) : 0, inv = tree ? next(n * 4) : 0;
  const callerLabels = tree ? next(n * 2) : 0;
  // Last, as their size is known only once the points are sorted (every offset before stays put).
  const nodes = tree ? next(t.nodes * 64) : 0, leaves = tree ? next(t.leaves * 64) : 0;
  return {
    header, centroids, centroidFloats, sumStride, sums, sumBytes, planes, weights, closest, labels,
    blocks, checks, blockWeights, blockCount, versions, centres, list, scratch, scratchBytes, nodes, leaves, perm, inv, callerLabels,
    end: align(end) + OVERREAD,
  };
}

/** Bytes of memory a point takes in a session: its planes, weight, k-means++ plane, label and block sums (and a tree's two u32 and caller-order label). */
export function wasmBytesPerPoint(dims: number, weighted: boolean, tree = false): number {
  return dims * 4 + (weighted ? 4 : 0) + 4 + 2 + (3 * 8) / SEED_BLOCK + (tree ? 10 : 0);
}

/**
 * Grow `memory` to hold at least `bytes`. Growth detaches a plain memory's buffer (a shared one keeps
 * its bytes, but old views keep their length): make views after this.
 * @throws KMeansSegError ERR_TOO_LARGE above wasm32's 4 GiB.
 */
export function ensureBytes(memory: WebAssembly.Memory, bytes: number): void {
  if (bytes > WASM_MAX_BYTES) {
    throw new KMeansSegError(
      'ERR_TOO_LARGE',
      `The image needs ${(bytes / 2 ** 30).toFixed(2)} GiB of wasm memory, above wasm32's 4 GiB: downscale it or use backend: 'js'`,
    );
  }
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / WASM_PAGE_BYTES));
}
