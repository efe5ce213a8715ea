/**
 * The histogram's loops in wasm, over a table and flags in the kernel's memory (HISTOGRAM in
 * memory.ts). Same counts, order and labels as core/histogram.ts's TS loops.
 */
import { clearColours, clearKeys, collectColours, slotOf, type Colours, type Coverage, type HistogramEngine } from '../../core/histogram.js';
import type { Job } from '../pool/thread-pool.js';
import { collect } from './histogram-collect.js';
import { HISTOGRAM, HIST_COUNT_JOB, HIST_LABEL_JOB, HIST_MERGE_JOB, INPUT_BYTE, OUT_BYTE, OUT_STRIDE, ensureBytes } from './memory.js';
import type { WasmExports } from './module.js';

/** The loops the engine needs; the per-colour ones run as TS over the kernel's memory when absent. */
export type HistogramLoops = Required<Pick<WasmExports, 'countColours' | 'labelColours'>>
  & Pick<WasmExports, 'collectColours' | 'fillLabelMap' | 'clearColours' | 'rgbPlanes' | 'mergeTables'>;

/** How the engine reaches the kernel's threads: the kernel sets `threads` before each histogram. */
export interface EngineRunner {
  /** Threads the next histogram may use: 1 runs every loop here. */
  threads: number;
  /** Images below this many pixels run on one thread (waking the others costs more); default THREADED_MIN_PIXELS. */
  minPixels?: number;
  /**
   * Run jobs[i] on thread i (jobs[0] on this one), sharing their chunks; returns when all are done.
   * `first` runs on this thread once the others have started, before it takes chunks (the copies
   * that feed the next slice).
   */
  run(jobs: Job[], first?: () => void): void;
  /** Whether no session is open, so that the memory past the engine's end holds nothing live (see mapAt). */
  idle?(): boolean;
}

/** Below this many pixels an image's loops run on one thread: waking the others costs more. */
export const THREADED_MIN_PIXELS = 1 << 20;
/** Pixels a thread labels at a time (a multiple of 64: no two threads write one line of labels). */
const LABEL_CHUNK = 1 << 14;
/** Pixels a thread counts at a time, into its own table (so which thread takes which chunk cannot matter). */
const COUNT_CHUNK = 1 << 16;
/** Threads that count at most, each into a table of its own (HISTOGRAM has two); 1 keeps the count on this thread. */
const MAX_COUNT_THREADS = 2;

/** A histogram job: the fields its kind uses (memory.ts), every other one 0. */
function histJob(fields: Partial<Job> & Pick<Job, 'kind' | 'x' | 'n' | 'chunk' | 'c' | 'k' | 'labels' | 'out'>): Job {
  return { y: 0, z: 0, w: 0, u: 0, v: 0, sums: 0, dims: 0, bounds: 0, pass: 0, closest: 0, blocks: 0, ...fields };
}


/**
 * The engine over `memory`'s histogram region, or null when the memory cannot grow to hold it.
 * Earlier sessions may have written below the memory's present end: that part of the region is
 * zeroed (fresh pages are zero already, and stay out of the resident set until a picture touches them).
 * The per-pixel loops copy the pixels (and the labels back) a slice at a time, or read pixels a
 * caller wrote into the input area (inputArea) where they are. On the runner's
 * threads (large images), the labels are shared by chunks of pixels (lookups: the same bits on any
 * split), and the count over two threads at most, each counting the chunks it takes into a table of
 * its own: collect adds the second table into the first only in the groups the flags name (merging
 * whole tables was slower than one thread). Counts are integers: the same on any split. Splitting
 * the table into ranges that each thread counts over the whole slice was slower even on one thread
 * (measured 2026-12-01: the branch-free range test cost more than it saved).
 */
export function openHistogramEngine(memory: WebAssembly.Memory, loops: HistogramLoops, runner?: EngineRunner): WasmHistogramEngine | null {
  const { table, end } = HISTOGRAM;
  const dirty = Math.min(memory.buffer.byteLength, end) - table;
  try {
    ensureBytes(memory, end);
  } catch {
    return null;
  }
  if (dirty > 0) new Uint8Array(memory.buffer, table, dirty).fill(0);
  const state: EngineState = { memory, loops, runner, split: false, tableDirty: false, mapAway: false, input: 0, buffers: new WeakSet() };
  return {
    inputArea: (bytes: number) => inputArea(state, bytes),
    get end() { return endOf(state); },
    table: () => tableView(memory),
    indexTable: (keys: Uint32Array): Uint32Array => {
      const view = tableView(memory);
      for (let i = 0; i < keys.length; i++) view[slotOf(keys[i]!)] = i;
      state.tableDirty = true;
      return view;
    },
    count: (words: Uint32Array): Coverage => countPixels(state, words),
    collect: (): Colours => {
      if (!loops.collectColours) return collectColours(tableView(memory), flagView(memory)); // leaves the indices: the table stays dirty
      // Zeroed as read when the wasm clear follows (it then skips the table's lines; the TS one clears all).
      const zeroed = loops.clearColours ? 1 : 0;
      if (state.split && loops.mergeTables && runner && runner.threads > 1) mergeShared(state);
      const colours = collect(memory, loops.collectColours, state.split ? HISTOGRAM.table2 : 0, zeroed);
      state.split = false;
      state.tableDirty = !zeroed;
      return colours;
    },
    label: (words: Uint32Array, keys: Uint32Array, colourLabels: Uint16Array, k: number, out: Uint8Array | Uint16Array): void => {
      const map = mapAt(state, out.BYTES_PER_ELEMENT);
      fillMap(memory, loops, keys, colourLabels, out.BYTES_PER_ELEMENT, map);
      labelSlices(state, words, k, out, map);
    },
    ...(loops.rgbPlanes ? { rgbPlanes: (keys: Uint32Array, x: Float32Array, y: Float32Array, z: Float32Array) => rgbPlanes(memory, loops.rgbPlanes!, keys, x, y, z) } : {}),
    clear: (width: 0 | 1 | 2 | 4, keys?: Uint32Array): void => {
      const { flags, table2 } = HISTOGRAM;
      // A split count always has the wasm loops (countPixels checks): its second table is cleared here too.
      const mapWidth = state.mapAway ? 0 : width; // a map laid past the end (mapAt) is left there: nothing reads it
      if (loops.clearColours) loops.clearColours(table, flags, mapWidth, state.split ? table2 : 0, state.tableDirty || width === 4 ? 1 : 0);
      else if (keys) clearKeys(tableView(memory), keys, width, flagView(memory)); // sparse colours: far fewer stores than whole groups
      else clearColours(tableView(memory), flagView(memory), width);
      state.split = false;
      state.tableDirty = false;
      state.mapAway = false;
    },
  };
}

/**
 * Where the label map of `width` bytes an entry goes: over the table, or, when no session is open and
 * the memory already reaches past the engine's end by the map's size (a session lay there), over
 * that dead session's pages, which are resident already: over the table, the map's 16 MiB (u8) made
 * 4 MiB more resident at the 12 MP file-to-file peak (2026-12-02), since the count had touched only
 * some of the table's pages. Only the present colours' entries are written and read, so stale bytes
 * there do no harm; the wasm fill and clear are needed (the TS ones work over the table).
 */
function mapAt(state: EngineState, width: number): number {
  const start = endOf(state);
  state.mapAway = !!state.loops.fillLabelMap && !!state.loops.clearColours && state.runner?.idle?.() === true
    && state.memory.buffer.byteLength >= start + (1 << 24) * width;
  return state.mapAway ? start : HISTOGRAM.table;
}

/**
 * An engine's memory, loops and threads; whether its second table holds unmerged counts, and its
 * first anything but zeros and a label map; the bytes reserved at INPUT_BYTE, and the memory's
 * buffers seen so far (a shared memory's buffer is a new object after each growth: views made
 * before one still read the same bytes).
 */
interface EngineState {
  memory: WebAssembly.Memory; loops: HistogramLoops; runner: EngineRunner | undefined; split: boolean; tableDirty: boolean;
  /** The label map lies past the engine's end (mapAt), not over the table. */
  mapAway: boolean;
  input: number; buffers: WeakSet<ArrayBufferLike>;
}

/** The wasm engine: the core's HistogramEngine, and its memory's input area for callers on other threads. */
export interface WasmHistogramEngine extends HistogramEngine {
  /**
   * A view of the area at INPUT_BYTE of the kernel's memory, grown to hold `bytes` at least (it
   * never shrinks) and reserved from now on: pixels written there are counted and labelled in place,
   * with no copy into the slices. Call it only between runs (a session's data lies past the
   * reservation). Null when the memory cannot grow.
   */
  inputArea(bytes: number): Uint8Array | null;
  /** The first byte past the histogram's region and the input area: where sessions start. */
  readonly end: number;
}

/** The first byte past the histogram's region and the input area: where sessions start. */
const endOf = (state: EngineState): number => (state.input > 0 ? INPUT_BYTE + state.input : HISTOGRAM.end);

function inputArea(state: EngineState, bytes: number): Uint8Array | null {
  const want = Math.ceil(bytes / 4096) * 4096;
  try {
    ensureBytes(state.memory, INPUT_BYTE + Math.max(want, state.input));
  } catch {
    return null;
  }
  state.input = Math.max(want, state.input);
  state.buffers.add(state.memory.buffer);
  return new Uint8Array(state.memory.buffer, INPUT_BYTE, state.input);
}

/** Whether `words` are pixels in this memory's input area, which the loops then read where they are. */
function inPlace(state: EngineState, words: Uint32Array): boolean {
  state.buffers.add(state.memory.buffer);
  return state.input > 0 && words.byteOffset === INPUT_BYTE && words.byteLength <= state.input && state.buffers.has(words.buffer);
}

const tableView = (memory: WebAssembly.Memory) => new Uint32Array(memory.buffer, HISTOGRAM.table, 1 << 24);
const flagView = (memory: WebAssembly.Memory) => new Uint8Array(memory.buffer, HISTOGRAM.flags, 1 << 20);

/** Threads for an image of `pixels` (1 below the runner's threshold), and the slice size they take. */
function threadsFor(runner: EngineRunner | undefined, pixels: number): { t: number; size: number } {
  const t = runner && pixels >= (runner.minPixels ?? THREADED_MIN_PIXELS) ? runner.threads : 1;
  return { t, size: t === 1 ? HISTOGRAM.slicePixels : HISTOGRAM.threadedSlicePixels };
}

/**
 * Run `each` on `from` a slice of `size` at a time, given the slice's pixels' address: copied into
 * the pixel slice, or where they are when `from` is the input area (`inPlace`).
 */
function sliced(memory: WebAssembly.Memory, from: Uint32Array, size: number, inPlace: boolean, each: (s: number, m: number, at: number) => void): void {
  const into = new Uint32Array(memory.buffer, HISTOGRAM.slice, size);
  for (let s = 0; s < from.length; s += size) {
    const m = Math.min(size, from.length - s);
    if (!inPlace) into.set(from.subarray(s, s + m));
    each(s, m, inPlace ? INPUT_BYTE + s * 4 : HISTOGRAM.slice);
  }
}

/**
 * The threaded loops' slices, through two buffers of half a threaded slice each (pixels at `slice`,
 * output at `labelSlice`): while the other threads start on buffer b (`jobsFor(b, m)`), this one
 * copies the next slice into the other buffer and hands the previous slice's output to `drain`,
 * then takes its share of the chunks. The copies, serial before, now overlap the loops.
 */
function pipelined(state: EngineState, words: Uint32Array, jobsFor: (b: 0 | 1, m: number, at: number) => Job[], drain?: (s: number, m: number, b: 0 | 1) => void): void {
  const half = HISTOGRAM.threadedSlicePixels / 2;
  const buffers = [0, 1].map((b) => new Uint32Array(state.memory.buffer, HISTOGRAM.slice + b * half * 4, half));
  const slices = Math.ceil(words.length / half);
  const here = inPlace(state, words); // then the pixels are read where they are: nothing to copy in
  const fill = (i: number): void => { if (!here) buffers[i & 1]!.set(words.subarray(i * half, Math.min((i + 1) * half, words.length))); };
  const lastOf = (i: number): number => Math.min(half, words.length - i * half);
  const at = (i: number): number => (here ? INPUT_BYTE + i * half * 4 : HISTOGRAM.slice + (i & 1) * half * 4);
  fill(0);
  for (let i = 0; i < slices; i++) {
    state.runner!.run(jobsFor((i & 1) as 0 | 1, lastOf(i), at(i)), () => {
      if (i + 1 < slices) fill(i + 1);
      if (drain && i > 0) drain((i - 1) * half, half, ((i - 1) & 1) as 0 | 1);
    });
  }
  if (drain) drain((slices - 1) * half, lastOf(slices - 1), ((slices - 1) & 1) as 0 | 1);
}

/** The count: on this thread, or split over two (each its own table and outcome slot, summed here). */
function countPixels(state: EngineState, words: Uint32Array): Coverage {
  const { memory, loops, runner } = state;
  const { table, table2, flags, slice } = HISTOGRAM;
  const threads = threadsFor(runner, words.length);
  // Two tables at most; merging needs the wasm collect and its clear.
  const t = loops.collectColours && loops.clearColours ? Math.min(MAX_COUNT_THREADS, threads.t) : 1;
  const outs = new Uint32Array(memory.buffer, OUT_BYTE, (t * OUT_STRIDE) / 4);
  for (let i = 0; i < t; i++) {
    outs[(i * OUT_STRIDE) / 4] = 0; // transparent pixels
    outs[(i * OUT_STRIDE) / 4 + 1] = 0xffffffff; // every pixel ANDed
  }
  state.tableDirty = true;
  const here = inPlace(state, words);
  const countJobs = (x: number, n: number): Job[] => [table, table2].map((c, i) => histJob({
    kind: HIST_COUNT_JOB, x, n, chunk: COUNT_CHUNK, c, k: 0, labels: flags, out: OUT_BYTE + i * OUT_STRIDE,
  }));
  if (t === 1 && here) {
    loops.countColours(INPUT_BYTE, words.length, table, flags, OUT_BYTE); // one call: nothing to copy
  } else if (t === 1) {
    sliced(memory, words, HISTOGRAM.slicePixels, false, (_, m) => loops.countColours(slice, m, table, flags, OUT_BYTE));
  } else if (here) {
    state.split = true;
    state.runner!.run(countJobs(INPUT_BYTE, words.length)); // chunks straight over the input: no slices to wait at
  } else {
    state.split = true;
    pipelined(state, words, (_, m, at) => countJobs(at, m));
  }
  let transparent = 0, all = 0xffffffff;
  for (let i = 0; i < t; i++) { transparent += outs[(i * OUT_STRIDE) / 4]!; all &= outs[(i * OUT_STRIDE) / 4 + 1]!; }
  return { transparent, translucent: all >>> 24 !== 255 };
}

/** Each pixel's label through the map (filled already), slice by slice, on this thread or shared by chunks. */
function labelSlices(state: EngineState, words: Uint32Array, k: number, out: Uint8Array | Uint16Array, map: number): void {
  const { memory, loops, runner } = state;
  const { labelSlice } = HISTOGRAM;
  const width = out.BYTES_PER_ELEMENT;
  const { t, size } = threadsFor(runner, words.length);
  if (t === 1) {
    const labels = width === 1 ? new Uint8Array(memory.buffer, labelSlice, size) : new Uint16Array(memory.buffer, labelSlice, size);
    sliced(memory, words, size, inPlace(state, words), (s, m, at) => {
      loops.labelColours(at, m, map, width, k, labelSlice);
      out.set(labels.subarray(0, m), s);
    });
    return;
  }
  const half = HISTOGRAM.threadedSlicePixels / 2;
  const jobs = [0, 1].map((b) => Array.from({ length: t }, () => histJob({
    kind: HIST_LABEL_JOB, x: 0, n: 0, chunk: LABEL_CHUNK, c: map, dims: width, k, labels: labelSlice + b * half * width, out: 0,
  })));
  const labels = [0, 1].map((b) => width === 1 ? new Uint8Array(memory.buffer, labelSlice + b * half, half) : new Uint16Array(memory.buffer, labelSlice + b * half * 2, half));
  pipelined(state, words, (b, m, at) => { for (const j of jobs[b]!) { j.n = m; j.x = at; } return jobs[b]!; },
    (s, m, b) => out.set(labels[b]!.subarray(0, m), s));
}

/** Flag groups a thread merges at a time (64 KiB of flags' worth of table lines at most). */
const MERGE_CHUNK = 1 << 12;

/**
 * A split count's second table added into the first over the runner's threads (mergeTables by
 * ranges of groups), so that collect then reads one table: the merge done inside the one-thread
 * collect cost about as much as the collect itself.
 */
function mergeShared(state: EngineState): void {
  const { table, table2, flags } = HISTOGRAM;
  const jobs = Array.from({ length: state.runner!.threads }, () => histJob({
    kind: HIST_MERGE_JOB, x: 0, n: 1 << 20, chunk: MERGE_CHUNK, c: table, w: table2, k: 0, labels: flags, out: 0,
  }));
  state.runner!.run(jobs);
  state.split = false; // the second table is zero again
}

/** Colours rgbPlanes converts at a time, through the pixel slice (keys, then the three planes: 1 MiB, what one thread's slices touch anyway). */
const PLANE_CHUNK = HISTOGRAM.slicePixels / 4;

/** The RGB planes of `keys` (core/points.ts's loop in wasm), through the pixel slice a chunk at a time. */
function rgbPlanes(memory: WebAssembly.Memory, run: NonNullable<HistogramLoops['rgbPlanes']>, keys: Uint32Array, x: Float32Array, y: Float32Array, z: Float32Array): void {
  const at = HISTOGRAM.slice, C = PLANE_CHUNK;
  const keysIn = new Uint32Array(memory.buffer, at, C);
  const planes = [x, y, z].map((_, q) => new Float32Array(memory.buffer, at + (q + 1) * C * 4, C));
  for (let s = 0; s < keys.length; s += C) {
    const m = Math.min(C, keys.length - s);
    keysIn.set(keys.subarray(s, s + m));
    run(at, m, at + C * 4, at + 2 * C * 4, at + 3 * C * 4);
    x.set(planes[0]!.subarray(0, m), s); y.set(planes[1]!.subarray(0, m), s); z.set(planes[2]!.subarray(0, m), s);
  }
}

/** Lay the colours' labels at `map` (the table, or mapAt's) as a u8 or u16 map at slotOf(key), through the slices. */
function fillMap(memory: WebAssembly.Memory, loops: HistogramLoops, keys: Uint32Array, colourLabels: Uint16Array, width: number, map: number): void {
  const { slice, labelSlice, slicePixels: SLICE } = HISTOGRAM;
  const run = loops.fillLabelMap;
  if (!run) {
    const view = width === 1 ? new Uint8Array(memory.buffer, map, 1 << 24) : new Uint16Array(memory.buffer, map, 1 << 24);
    for (let i = 0; i < keys.length; i++) view[slotOf(keys[i]!)] = colourLabels[i]!;
    return;
  }
  const keysIn = new Uint32Array(memory.buffer, slice, SLICE), labelsIn = new Uint16Array(memory.buffer, labelSlice, SLICE);
  for (let s = 0; s < keys.length; s += SLICE) {
    const m = Math.min(SLICE, keys.length - s);
    keysIn.set(keys.subarray(s, s + m));
    labelsIn.set(colourLabels.subarray(s, s + m));
    run(slice, labelSlice, m, map, width);
  }
}
