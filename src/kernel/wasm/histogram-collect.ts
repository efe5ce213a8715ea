/**
 * The histogram's colours out of the kernel's table (collectColours in assembly/histogram.ts), for
 * histogram-engine.ts: keys ascending and their counts, copied into JS arrays with no part or joined
 * copy left behind.
 */
import type { Colours } from '../../core/histogram.js';
import type { HistogramLoops } from './histogram-engine.js';
import { HISTOGRAM } from './memory.js';

/** Flag groups collected a call: at most 16 colours each, so 2^20 keys and counts, what HISTOGRAM.seen holds. */
const COLLECT_GROUPS = 1 << 16;

/**
 * collectColours through HISTOGRAM.seen, COLLECT_GROUPS at a time. How many colours there are is
 * known only at the end, so when they may not fit in one part, each part is copied straight into
 * arrays sized for the most the flags allow (see mostColours), and the colours are views of their first
 * n entries: no part is kept and no joined copy is made (they were 11 MiB of garbage at the 12 MP
 * file-to-file peak, 2026-12-02). Collecting a photo in one piece, in a region 4x larger, was 2-5 ms
 * faster but kept 10 MiB more resident (measured 2026-12-01).
 */
export function collect(memory: WebAssembly.Memory, run: NonNullable<HistogramLoops['collectColours']>, table2: number, zeroed: number): Colours {
  const { table, flags, seen, seenColours: room } = HISTOGRAM;
  const keysOut = new Uint32Array(memory.buffer, seen, room);
  const countsOut = new Uint32Array(memory.buffer, seen + room * 4, room);
  const most = mostColours(new Uint32Array(memory.buffer, flags, (1 << 20) / 4));
  if (most <= room) {
    const m = run(table, flags, 0, 1 << 20, 0, seen, seen + room * 4, table2, zeroed);
    return { keys: keysOut.slice(0, m), counts: countsOut.slice(0, m) };
  }
  // Never fewer than 2^23 + 1 entries: glibc's malloc maps arrays of over 32 MiB (its largest mmap
  // threshold) afresh, so only the pages written become resident, whatever earlier frees did to it.
  const size = Math.max(most, (1 << 23) + 1);
  const keys = new Uint32Array(size), counts = new Uint32Array(size);
  let n = 0;
  for (let g = 0; g < 1 << 20; g += COLLECT_GROUPS) {
    const m = run(table, flags, g, g + COLLECT_GROUPS, n, seen, seen + room * 4, table2, zeroed);
    keys.set(keysOut.subarray(0, m), n);
    counts.set(countsOut.subarray(0, m), n);
    n += m;
  }
  return { keys: keys.subarray(0, n), counts: counts.subarray(0, n) };
}

/** The most colours the flagged groups can hold: 16 each (the flags read four bytes at a time). */
function mostColours(flagWords: Uint32Array): number {
  let groups = 0;
  for (let i = 0; i < flagWords.length; i++) {
    const w = flagWords[i]!;
    if (w !== 0) groups += (w & 0xff ? 1 : 0) + (w & 0xff00 ? 1 : 0) + (w & 0xff0000 ? 1 : 0) + (w >>> 24 ? 1 : 0);
  }
  return groups * 16;
}
