/**
 * The SIMD kernel's host side: one memory and instance on this thread (and an optional pool over the
 * same memory), one session at a time. Its answers are the TS twin's bit for bit, on any thread count.
 */
import { PARALLEL_MIN_WORK } from '../../limits.js';
import type { AssignOutcome, Kernel, KernelSession, Points } from '../kernel.js';
import { UNASSIGNED, dimsOf } from '../kernel.js';
import { runChunks } from '../pool/chunks.js';
import { JOB_FIELDS, type Job, type ThreadPool } from '../pool/thread-pool.js';
import { BoundsTracker } from './bounds.js';
import { openHistogramEngine, type EngineRunner, type WasmHistogramEngine } from './histogram-engine.js';
import {
  ASSIGN_JOB, CONTROL_BYTE, DATA_BYTE, FILTER_JOB, HEADER_BYTES, JOBS, NEXT, OUT_BYTE, OUT_STRIDE, PASS_BYTE,
  SEED_BLOCK, SEED_BYTE, SEED_JOB, SEED_TRIAL_JOB, ensureBytes, layoutSession, type SessionLayout,
} from './memory.js';
import { instantiateOwnMemory, type WasmExports } from './module.js';
import { scanPoints, wasmSeeding } from './seeding.js';
import { H, TREE_THREADS_MIN_POINTS, bitsFor, cellCountBytes, levelBases, sortIntoCells, unitsOf, writeTreeRecords, type TreePlan } from './tree.js';
import { CentroidVersions, TreeLabels } from './tree-session.js';
import { splatCentroids, writePoints, zero } from './pass-host.js';

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
  /** Where sessions lay out their data: after the histogram's region (and its input area) once there is one. */
  private get dataStart(): number { return this.engine?.end ?? DATA_BYTE; }
  private engine: WasmHistogramEngine | null | undefined;

  /** Whether the memory is shared, so that a pool of workers may use it. */
  readonly shared: boolean;

  /**
   * The most threads the histogram's count and label loops take (same bits on any number). 1: on
   * the shared 2-core machine of 2026-12-01 (load 5-13) two threads were as often slower as faster,
   * in interleaved A/B runs (bench/kern-ab.ts); set 2 once an idle machine measures them faster.
   */
  histogramThreads = 1;

  /**
   * Fewest points for which a box tree's passes take the pool (besides threadsFor's work threshold).
   * 0 by default: on 2026-12-01, for 0.09-0.35 M colours at K = 16, 2 threads took 0.6-0.8x one
   * thread's time a pass at load 2, but 1.6-2x at load 10 (other processes on both cores).
   */
  treeThreadsMinPoints = TREE_THREADS_MIN_POINTS;

  /**
   * Whether a box tree's k-means++ candidates (2 + ln k a centre) run side by side on the pool, one
   * candidate a chunk (same bits either way). On 2026-12-01 (bench/tree-ab.ts, 1.4 M colours) k-means++
   * took 0.89x (K = 16) and 0.80x (K = 64) of one thread's time at load 1.5, but 1.1-1.2x at load 7-9.
   */
  treeSeedThreads = true;

  /**
   * Instantiates either build: a shared memory first, a plain one when the module imports that.
   * @throws WebAssembly.LinkError when the module's imports are not a kmeans-seg kernel's.
   */
  constructor(module: WebAssembly.Module) {
    this.module = module;
    const { exports, memory, shared } = instantiateOwnMemory(module);
    this.memory = memory;
    this.shared = shared;
    this.exports = exports;
  }

  /**
   * The histogram's counting and labelling loops in wasm (about 1.5x and 2x the TS loops at 12 MP),
   * or null where that cannot work: a build without them, or a plain memory (whose views a session's
   * growth would detach). Its region sits below every later session's data. Its loops may use up to
   * `threads` of the pool's threads (and at most histogramThreads) for the next histogram, for images
   * of `minPixels` or more (tests lower it).
   */
  histogramEngine(threads = 1, minPixels?: number): WasmHistogramEngine | null {
    const pool = this.pool;
    this.runner.threads = pool && !pool.broken ? Math.max(1, Math.min(threads, this.histogramThreads, pool.size + 1)) : 1;
    this.runner.minPixels = minPixels;
    if (this.engine !== undefined) return this.engine;
    const { countColours, labelColours } = this.exports;
    if (!this.shared || !countColours || !labelColours || this.busy) return (this.engine = null);
    this.engine = openHistogramEngine(this.memory, { ...this.exports, countColours, labelColours }, this.runner);
    return this.engine;
  }

  /** The histogram engine's way to the threads: jobs over the pool, or here alone. */
  private readonly runner: EngineRunner = {
    threads: 1,
    idle: () => !this.busy,
    run: (jobs: Job[], first?: () => void): void => {
      const buf = this.memory.buffer;
      const control = new Int32Array(buf, CONTROL_BYTE, JOBS);
      const runHere = (j: Job) => { first?.(); runChunks(control, JOB_FIELDS.map((f) => j[f]), this.exports, buf); };
      if (jobs.length > 1 && this.pool && !this.pool.broken) { this.pool.run(jobs, runHere); return; }
      Atomics.store(control, NEXT, 0);
      runHere(jobs[0]!);
    },
  };

  /**
   * A session over `points`, on up to `threads` threads (the pool's, above the work threshold).
   * Weighted colour points (the histogram) go into a box tree, whose passes settle whole boxes
   * (assembly/filter.ts); other 3-D points keep bounds per point (assembly/assign.ts). `bounds: false`
   * makes every pass compare every centroid (for benchmarks of the plain pass); `tree` forces the
   * tree on or off (tests).
   * @throws Error when a session is already open, or spatial points carry weights (caller bugs).
   * @throws KMeansSegError ERR_TOO_LARGE when the session does not fit in wasm32's 4 GiB; its passes
   *   throw ERR_BACKEND when a pool worker stops answering or fails.
   */
  open(points: Points, k: number, threads = 1, { bounds = true, tree }: { bounds?: boolean; tree?: boolean } = {}): KernelSession {
    if (this.busy) throw new Error('kmeans-seg: wasm kernel session already open');
    if (points.u && points.w) throw new Error('kmeans-seg: spatial points take no weights');
    const { n } = points;
    const dims = dimsOf(points);
    const e = this.exports;
    const useTree = (tree ?? (bounds && n >= TREE_MIN_POINTS)) && dims === 3 && !!points.w && n > 0 && !!e.filterPass;
    const t = useTree && n < this.treeThreadsMinPoints ? 1 : this.threadsFor(n, k, threads);
    const { layout, plan, scan } = this.place(points, dims, k, t, useTree);
    const buf = this.memory.buffer;
    const units = plan ? unitsOf(plan, t) : null;
    writeHeader(buf, layout, { n, k, plan, ...(units ? { unitLevel: units.level, unitFirst: units.first } : {}) });
    const { splat, allSums, outs, sums } = sessionArrays(buf, layout, k, t);
    const jobs = makeJobs(layout, n, k, t, bounds && !plan, units);
    const tracker = jobs.assign[0]!.bounds ? new BoundsTracker(new Float32Array(buf, PASS_BYTE, 2), k) : null;
    const passes = this.passes(buf, outs, jobs, t, n);
    const labelsOf = plan ? new TreeLabels(buf, layout.labels, layout.perm, layout.leaves, plan.leaves, n, { calls: e, spare: layout.callerLabels }) : null;
    const flatLabels = plan ? null : new Uint16Array(buf, layout.labels, n).fill(UNASSIGNED);
    const versions = plan ? new CentroidVersions(buf, layout, k, Math.max(...scan.bounds.flat().map(Math.abs))) : null;
    const seeding = wasmSeeding({
      exports: e, header: layout.header, points, limit: scan.limit, weightTotal: scan.weightTotal,
      closest: new Float32Array(buf, layout.closest, n),
      flat: plan ? null : (centre, mode) => { tracker?.forget(); return passes.seed(centre, mode); },
      ...(plan && this.treeSeedThreads && t > 1 && n >= PARALLEL_MIN_WORK ? { trials: { table: new Float64Array(buf, layout.centres, k * 4), run: passes.trials } } : {}),
    });
    let settled = 0;
    this.busy = true;
    return {
      get labels() { return labelsOf ? labelsOf.labels : flatLabels!; },
      // A tree's caller-order labels are a JS array of its own; a flat session's live in wasm memory.
      takeLabels: () => (labelsOf ? labelsOf.labels : flatLabels!.slice()),
      sums,
      threads: t,
      get settled() { return settled; },
      seeding,
      assign(centroids: Float32Array): AssignOutcome {
        splatCentroids(splat, centroids, k, dims, layout.centroidFloats);
        tracker?.beforePass(centroids);
        versions?.update(centroids);
        zero(allSums);
        if (plan) passes.filter(); else passes.assign();
        const outcome = reducePass(outs, allSums, sums, t, layout.sumBytes);
        settled = outcome.settled;
        tracker?.afterPass(centroids);
        labelsOf?.passed();
        return { inertiaQ: outcome.inertiaQ, changed: outcome.changed };
      },
      reset() {
        if (labelsOf) labelsOf.reset(); else flatLabels!.fill(UNASSIGNED);
        sums.fill(0);
        tracker?.forget();
      },
      labelsChanged: () => { tracker?.forget(); labelsOf?.changed(); },
      dispose: () => { this.busy = false; },
    };
  }

  /**
   * Lay out the session and write its points: in the caller's order, or (with a tree) sorted into
   * the tree's order with its records. The memory grows here, twice for a tree (its records' size is
   * known once its points are sorted).
   */
  private place(points: Points, dims: number, k: number, t: number, useTree: boolean): { layout: SessionLayout; plan: TreePlan | null; scan: PointScan } {
    const e = this.exports;
    const base = { n: points.n, k, threads: t, dims, weighted: !!points.w };
    const levels = bitsFor(points.n, k) + 1;
    let layout = layoutSession(useTree ? { ...base, tree: { nodes: 0, leaves: 0, levels } } : base, this.dataStart);
    ensureBytes(this.memory, useTree ? Math.max(layout.end, layout.nodes + cellCountBytes(levels - 1)) : layout.end);
    writePoints(this.memory.buffer, layout, points, e.rgbPlanes);
    // The scalar build (benchmarks only) has none of these loops, and no k-means++.
    const scan = e.gridOf && e.weightBlocks ? scanPoints({ gridOf: e.gridOf, weightBlocks: e.weightBlocks }, this.memory.buffer, layout, points.n) : { bounds: [], limit: 0, weightTotal: 0 };
    if (!useTree) return { layout, plan: null, scan };
    const calls = e as Required<WasmExports>;
    const plan = sortIntoCells(calls, this.memory.buffer, layout, points.n, levels - 1, scan.bounds);
    layout = { ...layoutSession({ ...base, tree: { nodes: plan.nodes, leaves: plan.leaves, levels } }, this.dataStart), ...plan.moved };
    ensureBytes(this.memory, layout.end);
    writeTreeRecords(calls, this.memory.buffer, layout, plan);
    return { layout, plan, scan };
  }

  /** Waking workers costs tens of microseconds a pass: below this much work one thread is faster. */
  private threadsFor(n: number, k: number, threads: number): number {
    const pool = this.pool;
    return pool && !pool.broken && n * k >= PARALLEL_MIN_WORK ? Math.max(1, Math.min(threads, pool.size + 1, Math.ceil(n / 4096))) : 1;
  }

  /**
   * The session's passes, each on this thread alone or over the pool (as it is when the session
   * opens): an assignment pass, a pass over the box tree, and a k-means++ pass for a candidate at
   * `centre` in a mode of assembly/seed.ts, which returns the potential.
   */
  private passes(buf: ArrayBufferLike, outs: Float64Array, jobs: SessionJobs, t: number, n: number): SessionPasses {
    const calls = this.exports;
    const pool = this.pool;
    const control = new Int32Array(buf, CONTROL_BYTE, JOBS);
    const runHere = (j: Job) => runChunks(control, JOB_FIELDS.map((f) => j[f]), calls, buf);
    const run = (passJobs: Job[], threads: number) => {
      zero(outs);
      if (threads === 1) {
        Atomics.store(control, NEXT, 0);
        runHere(passJobs[0]!);
      } else {
        pool!.run(passJobs, runHere);
      }
    };
    // k-means++ candidates: one pass over the points each, split like an assignment pass when the
    // points alone are enough work.
    const seedThreads = n >= PARALLEL_MIN_WORK ? t : 1;
    const seed = new Float32Array(buf, SEED_BYTE, 5);
    const seedMode = new Int32Array(buf, SEED_BYTE + 20, 1);
    return {
      assign: () => run(jobs.assign, t),
      filter: () => run(jobs.filter, t),
      seed: (centre, mode) => {
        seed.set(centre);
        seedMode[0] = mode;
        run(jobs.seed, seedThreads);
        return potentialOf(outs, t);
      },
      trials: (count) => {
        for (const j of jobs.trial) j.n = count;
        run(jobs.trial, seedThreads);
      },
    };
  }
}

type PointScan = ReturnType<typeof scanPoints>;
interface SessionPasses { assign(): void; filter(): void; seed(centre: number[], mode: number): number; trials(count: number): void }

/** Below this many weighted colours a session keeps per-point bounds: building a tree would cost more than it saves. */
export const TREE_MIN_POINTS = 4096;

/** The header the kernel reads (assembly/tree.ts's fields): every region of the session, 0 where absent. */
function writeHeader(buf: ArrayBufferLike, layout: SessionLayout, s: { n: number; k: number; plan: TreePlan | null; unitLevel?: number; unitFirst?: number }): void {
  const h = new Uint32Array(buf, layout.header, HEADER_BYTES / 4).fill(0);
  const [x, y, z, u = 0, v = 0] = layout.planes as [number, number, number, number?, number?];
  Object.assign(h, {
    [H.X]: x, [H.Y]: y, [H.Z]: z, [H.U]: u, [H.V]: v, [H.W]: layout.weights, [H.LABELS]: layout.labels, [H.CENTROIDS]: layout.centroids,
    [H.K]: s.k, [H.N]: s.n, [H.CLOSEST]: layout.closest, [H.BLOCKS]: layout.blocks, [H.CHECKS]: layout.checks,
    [H.BLOCK_W]: layout.blockWeights, [H.BLOCK_COUNT]: layout.blockCount,
  });
  if (!s.plan) return;
  Object.assign(h, {
    [H.NODES]: layout.nodes, [H.LEAVES]: layout.leaves, [H.LEAF_BASE]: levelBases(s.plan.levelNodes)[0]!, [H.TOP]: s.plan.bits,
    [H.VERSIONS]: layout.versions, [H.LIST]: layout.list, [H.LIST_STRIDE]: (layout.scratchBytes - 16) / (s.plan.bits + 1),
    [H.UNIT_LEVEL]: s.unitLevel, [H.UNIT_FIRST]: s.unitFirst, [H.PERM]: layout.perm, [H.INV]: layout.inv, [H.CENTRES]: layout.centres,
  });
  const list = new Uint16Array(buf, layout.list, s.k);
  for (let j = 0; j < s.k; j++) list[j] = j;
}

/**
 * Views of the centroid block (its index lanes written once), every thread's sums and outcome slots,
 * and the running sums: the kernel hands back each pass's changes, and the totals live here.
 */
function sessionArrays(buf: ArrayBufferLike, layout: SessionLayout, k: number, t: number): { splat: Float32Array; allSums: Float64Array; outs: Float64Array; sums: Float64Array } {
  const splat = new Float32Array(buf, layout.centroids, k * layout.centroidFloats);
  if (layout.planes.length === 3) {
    const index = new Int32Array(buf, layout.centroids, k * 16);
    for (let j = 0; j < k; j++) index.fill(j, j * 16 + 12, j * 16 + 16);
  }
  const allSums = new Float64Array(buf, layout.sums, t * layout.sumBytes / 8);
  const outs = new Float64Array(buf, OUT_BYTE, t * OUT_STRIDE / 8);
  return { splat, allSums, outs, sums: new Float64Array(k * layout.sumStride) };
}

/** Each thread's job for an assignment pass, a k-means++ pass, a pass over the box tree, and k-means++ candidates over it. */
interface SessionJobs { assign: Job[]; seed: Job[]; filter: Job[]; trial: Job[] }

/**
 * Each thread's job for an assignment pass, the same for a k-means++ pass, and for a pass over the
 * box tree (its units, a few per chunk). Chunks of a multiple of 256 points (the SIMD step is 8, a
 * k-means++ block 256), so that no two threads write labels to one cache line nor to one block; 32 per
 * thread or more, so that a thread held up by another process on the machine leaves its chunks to
 * the others. Each thread sums into its own area. The bounds (3 dims only) use the closest plane.
 */
function makeJobs(layout: SessionLayout, n: number, k: number, t: number, bounds: boolean, units: { count: number; chunk: number } | null): SessionJobs {
  const dims = layout.planes.length;
  const chunk = t === 1 ? Math.max(n, 1) : Math.max(8192, Math.ceil(n / (t * 32) / SEED_BLOCK) * SEED_BLOCK);
  const [x, y, z, u = 0, v = 0] = layout.planes as [number, number, number, number?, number?];
  const boundPtr = dims === 3 && bounds ? layout.closest : 0;
  const assign: Job[] = [];
  for (let i = 0; i < t; i++) {
    assign.push({
      x, y, z, w: layout.weights, u, v, n, c: layout.centroids, k, labels: layout.labels,
      sums: layout.sums + i * layout.sumBytes, out: OUT_BYTE + i * OUT_STRIDE, dims, chunk, bounds: boundPtr, pass: PASS_BYTE,
      kind: ASSIGN_JOB, closest: layout.closest, blocks: layout.blocks,
    });
  }
  const filter = assign.map((j, i) => ({
    ...j, kind: FILTER_JOB, n: units?.count ?? 0, chunk: units?.chunk ?? 1, bounds: layout.header, pass: layout.scratch + i * layout.scratchBytes,
  }));
  // A tree's k-means++ candidates, one a chunk (n, their count, set for each call): their table is the centres', free until Lloyd starts.
  const trial = assign.map((j) => ({ ...j, kind: SEED_TRIAL_JOB, x: layout.centres, n: 0, chunk: 1, bounds: layout.header }));
  return { assign, seed: assign.map((j) => ({ ...j, kind: SEED_JOB })), filter, trial };
}

/**
 * Reduce a pass in thread order into the running sums. The partial sums are integers (integer colours
 * times integer weights, or values on a 1/256 grid), so every order and thread count gives the same bits.
 */
function reducePass(outs: Float64Array, allSums: Float64Array, sums: Float64Array, t: number, sumBytes: number): AssignOutcome & { settled: number } {
  let inertiaQ = 0, changed = 0, settled = 0;
  for (let i = 0; i < t; i++) {
    const o = i * OUT_STRIDE / 8;
    inertiaQ += outs[o]!;
    changed += outs[o + 1]!;
    settled += outs[o + 2]!;
    const from = i * sumBytes / 8;
    for (let q = 0; q < sums.length; q++) sums[q] += allSums[from + q]!;
  }
  return { inertiaQ, changed, settled };
}

/** A k-means++ pass's potential: integers (floor(d * 256) * w), so the threads' order cannot change the sum. */
function potentialOf(outs: Float64Array, t: number): number {
  let potential = 0;
  for (let i = 0; i < t; i++) potential += outs[i * OUT_STRIDE / 8 + 3]!;
  return potential;
}
