import { KMeansSegError } from '../../errors.js';
import type { AssignOutcome, Kernel, KernelSession, Points } from '../kernel.js';
import { UNASSIGNED, planesOf } from '../kernel.js';
import { platform } from '../../platform.js';
import { ASSIGN_JOB, CONTROL_BYTE, DATA_BYTE, JOBS, NEXT, OUT_BYTE, OUT_STRIDE, PASS_BYTE, SEED_BYTE, SEED_JOB } from './memory.js';
import type { ColourCounts, HistogramEngine } from '../../core/histogram.js';
import { runChunks, type KernelCalls } from '../pool/chunks.js';
import { JOB_FIELDS, type Job, type ThreadPool } from '../pool/thread-pool.js';
import { PARALLEL_MIN_WORK, WASM_MAX_PAGES, WASM_PAGE_BYTES } from '../../limits.js';

/**
 * Host side of the SIMD kernel: compiles build/kmeans.wasm once, owns one shared WebAssembly.Memory
 * and lays it out for each session. The kernel allocates nothing; this file decides every offset.
 *
 * Layout (bytes, 16-aligned): outcome slots and the pool's control block (pool-layout.ts) |
 *   the histogram's region, once used (see histogramEngine) | then for each session:
 *   centroids, pre-splatted: k * 64 for 3 dims (x, y, z and the index j as i32), k * 80 for 5 |
 *   sums, 2 banks of k * (dims + 1) f64 per thread, each thread's on its own cache lines |
 *   x, y, z (and u, v) planes | weights (u32) | k-means++ closest distances (f32; the bounds
 *   once the passes start) and candidate distances (f32) | labels (u16)
 */
/** wasm32 addresses 4 GiB; the module is built with this maximum (asconfig.json). */
const PAGE = WASM_PAGE_BYTES;
const MAX_PAGES = WASM_MAX_PAGES;

interface WasmExports {
  countColours?(pix: number, n: number, table: number, seen: number, cap: number, out: number): void;
  labelColours?(pix: number, n: number, map: number, width: number, k: number, out: number): void;
  assign(x: number, y: number, z: number, w: number, n: number, c: number, k: number, labels: number, sums: number, out: number, bounds: number, pass: number): void;
  mindist(x: number, y: number, z: number, w: number, n: number, cx: number, cy: number, cz: number, closest: number, out: number): number;
  assign5(x: number, y: number, z: number, u: number, v: number, n: number, c: number, k: number, labels: number, sums: number, out: number): void;
  mindist5(x: number, y: number, z: number, u: number, v: number, n: number, cx: number, cy: number, cz: number, cu: number, cv: number, closest: number, out: number): number;
}

export type WasmSource = WebAssembly.Module | URL | string | ArrayBuffer | Uint8Array;

/**
 * Two builds of one kernel: 'shared' imports a shared memory (threads possible); 'single' a plain
 * one, for engines that refuse shared memory outside cross-origin isolation (Firefox, Safari).
 */
export type WasmVariant = 'shared' | 'single';

const modulePromises = new Map<WasmVariant, Promise<WebAssembly.Module>>();

/**
 * Where the wasm lives, relative to this file both in src/ and in dist/ (siblings of build/). Each
 * URL is a literal `new URL(..., import.meta.url)` so that bundlers find and copy both files.
 */
export const defaultWasmURL = (variant: WasmVariant = 'shared'): URL => variant === 'shared'
  ? new URL('../../../build/kmeans.wasm', import.meta.url)
  : new URL('../../../build/kmeans-single.wasm', import.meta.url);

/** Whether this engine creates shared wasm memory (Chromium does even without isolation). */
export function sharedMemoryWorks(): boolean {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

async function readBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    if (!platform.readFile) throw new Error(`cannot read ${url.href} here: import kmeans-seg's Node entry, or pass the wasm as a URL or Module`);
    return platform.readFile(url);
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} fetching ${url.href}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Compile once per process (the package's own builds are memoised); a failed compile is not cached,
 * so a later call may retry. Without a source, the build this engine can instantiate.
 */
export function compileKernel(source?: WasmSource, variant: WasmVariant = sharedMemoryWorks() ? 'shared' : 'single'): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  const memoised = source === undefined ? modulePromises.get(variant) : undefined;
  if (memoised) return memoised;
  const p = (async () => {
    let bytes: Uint8Array | ArrayBuffer;
    if (source === undefined || source instanceof URL || typeof source === 'string') {
      bytes = await readBytes(source === undefined ? defaultWasmURL(variant) : new URL(source, import.meta.url));
    } else {
      bytes = source;
    }
    return WebAssembly.compile(bytes as BufferSource);
  })();
  if (source === undefined) {
    modulePromises.set(variant, p);
    p.catch(() => modulePromises.delete(variant));
  }
  return p;
}

/**
 * One memory and one instance on this thread, plus an optional pool of workers over the same
 * memory when it is shared. The memory grows only when a session opens, and every view is made
 * after that (growth detaches a plain buffer; a shared one keeps its bytes but old views their length).
 */
export class WasmKernel implements Kernel {
  readonly name = 'wasm' as const;
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  pool: ThreadPool | null = null;
  private readonly exports: WasmExports;
  private busy = false;
  /** Where sessions lay out their data: after the histogram's region once there is one. */
  private dataStart = DATA_BYTE;
  private engine: HistogramEngine | null | undefined;

  /** Whether the memory is shared, so that a pool of workers may use it. */
  readonly shared: boolean;

  /** Instantiates either build: a shared memory first, a plain one when the module imports that. */
  constructor(module: WebAssembly.Module) {
    this.module = module;
    const env = { abort: () => { throw new Error('kmeans-seg: wasm kernel aborted'); } };
    let instance: WebAssembly.Instance | undefined;
    let memory: WebAssembly.Memory | undefined;
    let shared = sharedMemoryWorks();
    if (shared) {
      memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
      try {
        instance = new WebAssembly.Instance(module, { env: { ...env, memory } });
      } catch (err) {
        if (!(err instanceof WebAssembly.LinkError)) throw err;
      }
    }
    if (!instance) {
      shared = false;
      memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
      instance = new WebAssembly.Instance(module, { env: { ...env, memory } });
    }
    this.memory = memory!;
    this.shared = shared;
    this.exports = instance.exports as unknown as WasmExports;
  }

  /**
   * The histogram's counting and labelling loops in wasm (about 1.5x and 2x the TS loops at 12 MP),
   * over a table in this kernel's memory, or null where that cannot work: a build without them, or a
   * plain memory (whose views a session's growth would detach). One thread: a second one, with a table
   * of its own to merge, was slower here, as the loops wait on memory, not arithmetic. The region is
   * laid out once, below every later session's data: the table (2^24 u32; only the pages a picture
   * touches become resident), the list of new colours, and slices of pixels and labels that the host
   * copies through.
   */
  histogramEngine(): HistogramEngine | null {
    if (this.engine !== undefined) return this.engine;
    const ex = this.exports;
    if (!this.shared || !ex.countColours || !ex.labelColours || this.busy) return (this.engine = null);
    const count = ex.countColours, label = ex.labelColours;
    const TABLE = 1 << 26, SEEN = 1 << 23, SLICE = 1 << 18;
    const tablePtr = DATA_BYTE, seenPtr = DATA_BYTE + TABLE, slicePtr = seenPtr + SEEN, labelSlicePtr = slicePtr + SLICE * 4;
    const end = labelSlicePtr + SLICE * 2;
    // Earlier sessions may have written below the memory's present end: zero that part of the region
    // (fresh pages are zero already, and stay out of the resident set until a picture touches them).
    const dirty = Math.min(this.memory.buffer.byteLength, end) - DATA_BYTE;
    try {
      ensureBytes(this.memory, end);
    } catch {
      return (this.engine = null);
    }
    if (dirty > 0) new Uint8Array(this.memory.buffer, DATA_BYTE, dirty).fill(0);
    this.dataStart = end;
    const memory = this.memory;
    return (this.engine = {
      table: () => new Uint32Array(memory.buffer, tablePtr, 1 << 24),
      count: (words: Uint32Array, cap: number): ColourCounts => {
        const outs = new Int32Array(memory.buffer, OUT_BYTE, 2);
        outs.fill(0);
        const slice = new Uint32Array(memory.buffer, slicePtr, SLICE);
        for (let s = 0; s < words.length; s += SLICE) {
          const m = Math.min(SLICE, words.length - s);
          slice.set(words.subarray(s, s + m));
          count(slicePtr, m, tablePtr, seenPtr, cap, OUT_BYTE);
        }
        const seen = outs[0]!, transparent = outs[1]!;
        return { seen: seen > cap ? null : new Uint32Array(memory.buffer, seenPtr, seen).slice(), n: seen, transparent };
      },
      label: (words: Uint32Array, k: number, out: Uint8Array | Uint16Array): void => {
        const width = out.BYTES_PER_ELEMENT;
        const slice = new Uint32Array(memory.buffer, slicePtr, SLICE);
        const labels = width === 1 ? new Uint8Array(memory.buffer, labelSlicePtr, SLICE) : new Uint16Array(memory.buffer, labelSlicePtr, SLICE);
        for (let s = 0; s < words.length; s += SLICE) {
          const m = Math.min(SLICE, words.length - s);
          slice.set(words.subarray(s, s + m));
          label(slicePtr, m, tablePtr, width, k, labelSlicePtr);
          out.set(labels.subarray(0, m), s);
        }
      },
    });
  }

  /** `bounds: false` makes every pass compare every centroid (for benchmarks of the plain pass). */
  open(points: Points, k: number, threads = 1, { bounds = true }: { bounds?: boolean } = {}): KernelSession {
    if (this.busy) throw new Error('kmeans-seg: wasm kernel session already open');
    if (points.u && points.w) throw new Error('kmeans-seg: spatial points take no weights');
    const { n } = points;
    const planes = planesOf(points);
    const dims = planes.length;
    // Waking workers costs tens of microseconds a pass: below this much work one thread is faster.
    const t = this.pool && !this.pool.broken && n * k >= PARALLEL_MIN_WORK ? Math.max(1, Math.min(threads, this.pool.size + 1, Math.ceil(n / 4096))) : 1;
    const align = (v: number, to = 16) => Math.ceil(v / to) * to;
    const cPtr = this.dataStart;
    const centroidFloats = dims === 3 ? 16 : dims * 4;
    const sumStride = dims + 1; // f64 per cluster
    // Two banks (see assembly/assign.ts). Threads that wrote to one cache line (or a prefetched
    // pair) would pass it back and forth on every add: each thread's banks start 128 bytes apart.
    const sumBytes = align(2 * k * sumStride * 8, 128);
    const sumPtr = align(cPtr + k * centroidFloats * 4, 128);
    let end = sumPtr + t * sumBytes;
    const planePtrs = planes.map(() => { const p = align(end); end = p + n * 4; return p; });
    const wPtr = points.w ? align(end) : 0;
    if (points.w) end = wPtr + n * 4;
    const closestPtr = align(end);
    const candidatePtr = align(closestPtr + n * 4);
    const labelPtr = align(candidatePtr + n * 4);
    ensureBytes(this.memory, labelPtr + n * 2);
    const buf = this.memory.buffer;
    planes.forEach((plane, q) => new Float32Array(buf, planePtrs[q]!, n).set(plane.subarray(0, n)));
    if (points.w) new Uint32Array(buf, wPtr, n).set(points.w.subarray(0, n));
    const labels = new Uint16Array(buf, labelPtr, n);
    labels.fill(UNASSIGNED);
    const allSums = new Float64Array(buf, sumPtr, t * sumBytes / 8);
    // The kernel hands back each pass's changes; the running totals live here.
    const sums = new Float64Array(k * sumStride);
    const splat = new Float32Array(buf, cPtr, k * centroidFloats);
    if (dims === 3) {
      const index = new Int32Array(buf, cPtr, k * 16);
      for (let j = 0; j < k; j++) index.fill(j, j * 16 + 12, j * 16 + 16);
    }
    const outs = new Float64Array(buf, OUT_BYTE, t * OUT_STRIDE / 8);
    const [xPtr, yPtr, zPtr, uPtr = 0, vPtr = 0] = planePtrs as [number, number, number, number?, number?];

    // Bounds that let a pass skip the points whose label is proven (see assembly/assign.ts), one f32
    // a point over k-means++'s plane of closest distances: seeding is over before the passes start,
    // and its use, a reset or labels changed by the caller make the next pass check every point.
    const boundPtr = dims === 3 && bounds ? closestPtr : 0;
    const pass = new Float32Array(buf, PASS_BYTE, 2);
    let boundsValid = false;
    let drift = 0; // total of the largest centroid move of each pass, as an upper bound
    const previous = new Float32Array(k * dims);
    const forgetBounds = () => { boundsValid = false; drift = 0; };
    let settled = 0;

    // Chunks of a multiple of 64 points (the SIMD step is 8), so that no two threads write labels to
    // one cache line; 32 per thread or more, so that a thread held up by another process on the
    // machine leaves its chunks to the others. Each thread sums into its own area.
    const chunk = t === 1 ? Math.max(n, 1) : Math.max(8192, Math.ceil(n / (t * 32) / 64) * 64);
    const jobs: Job[] = [];
    for (let i = 0; i < t; i++) {
      jobs.push({
        x: xPtr, y: yPtr, z: zPtr, w: wPtr, u: uPtr, v: vPtr, n, c: cPtr, k, labels: labelPtr,
        sums: sumPtr + i * sumBytes, out: OUT_BYTE + i * OUT_STRIDE, dims, chunk, bounds: boundPtr, pass: PASS_BYTE,
        kind: ASSIGN_JOB, closest: closestPtr, candidate: candidatePtr,
      });
    }
    // k-means++ candidates: one pass over the points each, split like an assignment pass when the
    // points alone are enough work.
    const seedJobs = jobs.map((j) => ({ ...j, kind: SEED_JOB }));
    const seedThreads = n >= PARALLEL_MIN_WORK ? t : 1;
    const seed = new Float32Array(buf, SEED_BYTE, 5);
    const ex = this.exports;
    const control = new Int32Array(buf, CONTROL_BYTE, JOBS);
    const runHere = (j: Job) => runChunks(control, JOB_FIELDS.map((f) => j[f]), ex as KernelCalls, buf);
    const pool = this.pool;
    /** One pass of `passJobs`: on this thread alone, or over the pool. */
    const runPass = (passJobs: Job[], threads: number) => {
      outs.fill(0);
      if (threads === 1) {
        Atomics.store(control, NEXT, 0);
        runHere(passJobs[0]!);
      } else {
        pool!.run(passJobs, runHere);
      }
    };
    /** candidate = min(closest, d(point c)); returns the potential. */
    const seedPass = (c: number): number => {
      forgetBounds(); // the bounds live in the closest plane
      for (let d = 0; d < dims; d++) seed[d] = planes[d]![c]!;
      runPass(seedJobs, seedThreads);
      // Integers (floor(d * 256) * w), so the threads' order cannot change the sum.
      let potential = 0;
      for (let i = 0; i < t; i++) potential += outs[i * OUT_STRIDE / 8 + 3]!;
      return potential;
    };
    this.busy = true;
    return {
      labels,
      sums,
      threads: t,
      get settled() { return settled; },
      seeding: {
        closest: new Float32Array(buf, closestPtr, n),
        candidate: new Float32Array(buf, candidatePtr, n),
        minDistances: (c) => seedPass(c),
      },
      assign(centroids: Float32Array): AssignOutcome {
        // Centroid j as `dims` splatted vectors, so the kernel's inner loop loads without shuffles.
        for (let j = 0; j < k; j++) {
          for (let d = 0; d < dims; d++) splat.fill(centroids[j * dims + d]!, j * centroidFloats + d * 4, j * centroidFloats + d * 4 + 4);
        }
        if (boundPtr) {
          if (boundsValid) {
            let most = 0;
            for (let j = 0; j < k * 3; j += 3) {
              const dx = centroids[j]! - previous[j]!, dy = centroids[j + 1]! - previous[j + 1]!, dz = centroids[j + 2]! - previous[j + 2]!;
              most = Math.max(most, dx * dx + dy * dy + dz * dz);
            }
            // Rounded up a little: the bound must never be below the true total.
            drift = (drift + Math.sqrt(most)) * (1 + 2 ** -45);
          }
          // The kernel's f32: the drift a pass checks against rounded up, the one it writes down.
          pass[0] = boundsValid ? f32Up(drift) : Infinity;
          pass[1] = f32Down(drift);
        }
        allSums.fill(0);
        runPass(jobs, t);
        // Reduce in thread order. The partial sums are integers (integer colours times integer
        // weights, or values on a 1/256 grid), so every order and thread count gives the same bits.
        let inertiaQ = 0, changed = 0;
        settled = 0;
        for (let i = 0; i < t; i++) {
          const o = i * OUT_STRIDE / 8;
          inertiaQ += outs[o]!;
          changed += outs[o + 1]!;
          settled += outs[o + 2]!;
          const from = i * sumBytes / 8;
          for (let q = 0; q < k * sumStride; q++) sums[q] += allSums[from + q]!;
        }
        if (boundPtr) { previous.set(centroids.subarray(0, k * 3)); boundsValid = true; }
        return { inertiaQ, changed };
      },
      reset() {
        labels.fill(UNASSIGNED);
        sums.fill(0);
        forgetBounds();
      },
      labelsChanged: forgetBounds,
      dispose: () => { this.busy = false; },
    };
  }
}


const f32Bits = new Float32Array(1);
const f32Int = new Int32Array(f32Bits.buffer);
/** The least f32 at or above v (v >= 0, finite). */
function f32Up(v: number): number {
  f32Bits[0] = v;
  if (f32Bits[0]! < v) f32Int[0]!++;
  return f32Bits[0]!;
}
/** The greatest f32 at or below v (v >= 0, finite). */
function f32Down(v: number): number {
  f32Bits[0] = v;
  if (f32Bits[0]! > v) f32Int[0]!--;
  return f32Bits[0]!;
}

/** Bytes of memory a point takes in a session: its planes, weight, two k-means++ planes, a label. */
export function wasmBytesPerPoint(dims: number, weighted: boolean): number {
  return dims * 4 + (weighted ? 4 : 0) + 8 + 2;
}


function ensureBytes(memory: WebAssembly.Memory, bytes: number): void {
  if (bytes > MAX_PAGES * PAGE) {
    throw new KMeansSegError(
      'ERR_TOO_LARGE',
      `The image needs ${(bytes / 2 ** 30).toFixed(2)} GiB of wasm memory, above wasm32's 4 GiB: downscale it or use backend: 'js'`,
    );
  }
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}
