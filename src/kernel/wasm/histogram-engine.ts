/**
 * The histogram's counting and labelling loops in wasm, over a table in the kernel's memory
 * (HISTOGRAM in memory.ts). Same counts and labels as core/histogram.ts's TS loops, in the same order.
 */
import type { ColourCounts, HistogramEngine } from '../../core/histogram.js';
import { HISTOGRAM, OUT_BYTE, ensureBytes } from './memory.js';
import type { WasmExports } from './module.js';

type Loops = Required<Pick<WasmExports, 'countColours' | 'labelColours'>>;

/**
 * The engine over `memory`'s histogram region, or null when the memory cannot grow to hold it.
 * Earlier sessions may have written below the memory's present end: that part of the region is
 * zeroed (fresh pages are zero already, and stay out of the resident set until a picture touches them).
 * One thread: a second one, with a table of its own to merge, was slower, as the loops wait on memory.
 * Both loops copy the pixels (and the labels back) a slice at a time.
 */
export function openHistogramEngine(memory: WebAssembly.Memory, { countColours, labelColours }: Loops): HistogramEngine | null {
  const { table, seen: seenPtr, slice: slicePtr, labelSlice: labelSlicePtr, slicePixels: SLICE, end } = HISTOGRAM;
  const dirty = Math.min(memory.buffer.byteLength, end) - table;
  try {
    ensureBytes(memory, end);
  } catch {
    return null;
  }
  if (dirty > 0) new Uint8Array(memory.buffer, table, dirty).fill(0);
  return {
    table: () => new Uint32Array(memory.buffer, table, 1 << 24),
    count: (words: Uint32Array, cap: number): ColourCounts => {
      const outs = new Int32Array(memory.buffer, OUT_BYTE, 2);
      outs.fill(0);
      const slice = new Uint32Array(memory.buffer, slicePtr, SLICE);
      for (let s = 0; s < words.length; s += SLICE) {
        const m = Math.min(SLICE, words.length - s);
        slice.set(words.subarray(s, s + m));
        countColours(slicePtr, m, table, seenPtr, cap, OUT_BYTE);
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
        labelColours(slicePtr, m, table, width, k, labelSlicePtr);
        out.set(labels.subarray(0, m), s);
      }
    },
  };
}
