/**
 * The histogram's loops in wasm, over a table and flags in the kernel's memory (HISTOGRAM in
 * memory.ts). Same counts, order and labels as core/histogram.ts's TS loops.
 */
import { clearColours, clearKeys, collectColours, slotOf, type Colours, type Coverage, type HistogramEngine } from '../../core/histogram.js';
import { HISTOGRAM, OUT_BYTE, ensureBytes } from './memory.js';
import type { WasmExports } from './module.js';

/** The loops the engine needs; the per-colour ones run as TS over the kernel's memory when absent. */
export type HistogramLoops = Required<Pick<WasmExports, 'countColours' | 'labelColours'>>
  & Pick<WasmExports, 'collectColours' | 'fillLabelMap' | 'clearColours'>;

/** Flag groups collected a call: at most 16 colours each, so 2^20 keys and counts, what HISTOGRAM.seen holds. */
const COLLECT_GROUPS = 1 << 16;

/**
 * The engine over `memory`'s histogram region, or null when the memory cannot grow to hold it.
 * Earlier sessions may have written below the memory's present end: that part of the region is
 * zeroed (fresh pages are zero already, and stay out of the resident set until a picture touches them).
 * One thread: a second one, with a table of its own to merge, was slower, as the loops wait on memory.
 * The per-pixel loops copy the pixels (and the labels back) a slice at a time.
 */
export function openHistogramEngine(memory: WebAssembly.Memory, loops: HistogramLoops): HistogramEngine | null {
  const { table, slice: slicePtr, labelSlice: labelSlicePtr, flags, slicePixels: SLICE, end } = HISTOGRAM;
  const dirty = Math.min(memory.buffer.byteLength, end) - table;
  try {
    ensureBytes(memory, end);
  } catch {
    return null;
  }
  if (dirty > 0) new Uint8Array(memory.buffer, table, dirty).fill(0);
  const tableView = () => new Uint32Array(memory.buffer, table, 1 << 24);
  const flagView = () => new Uint8Array(memory.buffer, flags, 1 << 20);
  /** Copy `from` into the pixel slice, s at a time, and run `each` on every slice. */
  const sliced = (from: Uint32Array, each: (s: number, m: number) => void): void => {
    const into = new Uint32Array(memory.buffer, slicePtr, SLICE);
    for (let s = 0; s < from.length; s += SLICE) {
      const m = Math.min(SLICE, from.length - s);
      into.set(from.subarray(s, s + m));
      each(s, m);
    }
  };
  return {
    table: tableView,
    count: (words: Uint32Array): Coverage => {
      const outs = new Uint32Array(memory.buffer, OUT_BYTE, 2);
      outs[0] = 0; // transparent pixels
      outs[1] = 0xffffffff; // every pixel ANDed
      sliced(words, (_, m) => loops.countColours(slicePtr, m, table, flags, OUT_BYTE));
      return { transparent: outs[0]!, translucent: outs[1]! >>> 24 !== 255 };
    },
    collect: (): Colours => (loops.collectColours ? collect(memory, loops.collectColours) : collectColours(tableView(), flagView())),
    label: (words: Uint32Array, keys: Uint32Array, colourLabels: Uint16Array, k: number, out: Uint8Array | Uint16Array): void => {
      const width = out.BYTES_PER_ELEMENT;
      const labels = width === 1 ? new Uint8Array(memory.buffer, labelSlicePtr, SLICE) : new Uint16Array(memory.buffer, labelSlicePtr, SLICE);
      fillMap(memory, loops, keys, colourLabels, width);
      sliced(words, (s, m) => {
        loops.labelColours(slicePtr, m, table, width, k, labelSlicePtr);
        out.set(labels.subarray(0, m), s);
      });
    },
    clear: (width: 0 | 1 | 2 | 4, keys?: Uint32Array): void => {
      if (loops.clearColours) loops.clearColours(table, flags, width);
      else if (keys) clearKeys(tableView(), keys, width, flagView()); // sparse colours: far fewer stores than whole groups
      else clearColours(tableView(), flagView(), width);
    },
  };
}

/**
 * collectColours through HISTOGRAM.seen, COLLECT_GROUPS at a time: each part is copied out, then
 * the parts are joined (how many colours there are is known only at the end).
 */
function collect(memory: WebAssembly.Memory, run: NonNullable<HistogramLoops['collectColours']>): Colours {
  const { table, flags, seen } = HISTOGRAM;
  const keysOut = new Uint32Array(memory.buffer, seen, COLLECT_GROUPS * 16);
  const countsOut = new Uint32Array(memory.buffer, seen + COLLECT_GROUPS * 64, COLLECT_GROUPS * 16);
  const parts: Colours[] = [];
  let n = 0;
  for (let g = 0; g < 1 << 20; g += COLLECT_GROUPS) {
    const m = run(table, flags, g, g + COLLECT_GROUPS, n, seen, seen + COLLECT_GROUPS * 64);
    if (m > 0) parts.push({ keys: keysOut.slice(0, m), counts: countsOut.slice(0, m) });
    n += m;
  }
  if (parts.length === 1) return parts[0]!;
  const keys = new Uint32Array(n), counts = new Uint32Array(n);
  for (let i = 0, at = 0; i < parts.length; at += parts[i]!.keys.length, i++) {
    keys.set(parts[i]!.keys, at);
    counts.set(parts[i]!.counts, at);
  }
  return { keys, counts };
}

/** Lay the colours' labels over the table as a u8 or u16 map at slotOf(key), through the slices. */
function fillMap(memory: WebAssembly.Memory, loops: HistogramLoops, keys: Uint32Array, colourLabels: Uint16Array, width: number): void {
  const { table, slice, labelSlice, slicePixels: SLICE } = HISTOGRAM;
  const run = loops.fillLabelMap;
  if (!run) {
    const map = width === 1 ? new Uint8Array(memory.buffer, table, 1 << 24) : new Uint16Array(memory.buffer, table, 1 << 24);
    for (let i = 0; i < keys.length; i++) map[slotOf(keys[i]!)] = colourLabels[i]!;
    return;
  }
  const keysIn = new Uint32Array(memory.buffer, slice, SLICE), labelsIn = new Uint16Array(memory.buffer, labelSlice, SLICE);
  for (let s = 0; s < keys.length; s += SLICE) {
    const m = Math.min(SLICE, keys.length - s);
    keysIn.set(keys.subarray(s, s + m));
    labelsIn.set(colourLabels.subarray(s, s + m));
    run(slice, labelSlice, m, table, width);
  }
}
