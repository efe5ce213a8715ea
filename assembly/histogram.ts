// The colour histogram's loops for src/core/histogram.ts (its TS twin): count pixels into a table of
// 2^24 u32, marking each touched group of 16 keys in a u8 flag; collect the colours in ascending key
// order from the flagged groups; label pixels through a u8 or u16 map laid over the same bytes; clear
// what the flags say was written. A colour's slot is the host's slotOf(key), or the host would read
// other colours' counts.
//
// Pixels are RGBA words (r lowest); a colour's key is its low 24 bits; slotOf swaps r's high nibble
// with b's low nibble, for locality. The 16 keys of a group (key >>> 4) share one 64-byte line of
// the table, since slotOf keeps the low nibble.

@inline
function slotOf(key: u32): u32 {
  const t = (key ^ (key >>> 12)) & 0xf0;
  return key ^ t ^ (t << 12);
}

/**
 * Count pixels [0, n) at pixPtr into the table and set the flag (one byte per key >>> 4) of each
 * colour's group. Adds the fully transparent pixels (alpha 0, not counted) to the i32 at outPtr, and
 * ANDs every pixel into the u32 at outPtr + 4 (its alpha byte stays 255 while every pixel is opaque).
 * Nothing depends on whether a colour is new: a branch on it (mispredicted once per new colour), or
 * even a running count of them, cost more than the flag's store; collectColours counts them instead.
 */
export function countColours(pixPtr: usize, n: i32, tablePtr: usize, flagsPtr: usize, outPtr: usize): void {
  let transparent = load<i32>(outPtr), all = load<u32>(outPtr, 4);
  for (let p = 0; p < n; p++) {
    const v = load<u32>(pixPtr + (<usize>p << 2));
    all &= v;
    if ((v >>> 24) == 0) { transparent++; continue; }
    const key = v & 0xffffff;
    const at = tablePtr + (<usize>slotOf(key) << 2);
    store<u32>(at, load<u32>(at) + 1);
    store<u8>(flagsPtr + <usize>(key >>> 4), 1);
  }
  store<i32>(outPtr, transparent);
  store<u32>(outPtr, all, 4);
}

/** Which of a group's 16 table entries (64 bytes at `at`) are non-zero, as a 16-bit mask. */
@inline
function nonZero16(at: usize): i32 {
  const zero = i32x4.splat(0);
  return i32x4.bitmask(i32x4.ne(v128.load(at), zero))
    | (i32x4.bitmask(i32x4.ne(v128.load(at, 16), zero)) << 4)
    | (i32x4.bitmask(i32x4.ne(v128.load(at, 32), zero)) << 8)
    | (i32x4.bitmask(i32x4.ne(v128.load(at, 48), zero)) << 12);
}

/** Add a group's 16 entries of a second table (at `from`) into the first (at `at`), and zero them there. */
@inline
function mergeGroup(at: usize, from: usize): void {
  const zero = i32x4.splat(0);
  v128.store(at, i32x4.add(v128.load(at), v128.load(from)));
  v128.store(at, i32x4.add(v128.load(at, 16), v128.load(from, 16)), 16);
  v128.store(at, i32x4.add(v128.load(at, 32), v128.load(from, 32)), 32);
  v128.store(at, i32x4.add(v128.load(at, 48), v128.load(from, 48)), 48);
  v128.store(from, zero); v128.store(from, zero, 16); v128.store(from, zero, 32); v128.store(from, zero, 48);
}

/**
 * The colours of groups [g0, g1) (a multiple of 16 each) in ascending key order: each one's key and
 * count go to keysPtr and countsPtr, and its table entry becomes its index (first + its place).
 * With a second table (table2Ptr, 0 for none: a second thread counted into it), each flagged
 * group's entries there are added in first and zeroed, so only the groups a picture touched merge.
 * With `zeroed` set, the entries become 0 instead (while their lines are in the cache), so that
 * clearColours need not come back to them. Returns how many were written (at most 16 per flagged
 * group). The flags stay, for clearColours.
 */
export function collectColours(tablePtr: usize, flagsPtr: usize, g0: i32, g1: i32, first: i32, keysPtr: usize, countsPtr: usize, table2Ptr: usize, zeroed: i32): i32 {
  let j = 0;
  const zero = i8x16.splat(0);
  for (let g = g0; g < g1; g += 16) {
    let flagged = i8x16.bitmask(i8x16.ne(v128.load(flagsPtr + <usize>g), zero));
    while (flagged) {
      const key = <u32>(g + ctz(flagged)) << 4;
      flagged &= flagged - 1;
      const at = tablePtr + (<usize>slotOf(key) << 2);
      if (table2Ptr) mergeGroup(at, table2Ptr + (<usize>slotOf(key) << 2));
      for (let m = nonZero16(at); m; m &= m - 1) {
        const e = ctz(m);
        const entry = at + (<usize>e << 2);
        store<u32>(keysPtr + (<usize>j << 2), key + <u32>e);
        store<u32>(countsPtr + (<usize>j << 2), load<u32>(entry));
        store<u32>(entry, zeroed ? 0 : first + j);
        j++;
      }
    }
  }
  return j;
}

/** Write labels [0, n) (u16 at labelsPtr) of the colours keysPtr holds into the u8 (width 1) or u16 map. */
export function fillLabelMap(keysPtr: usize, labelsPtr: usize, n: i32, mapPtr: usize, width: i32): void {
  if (width == 1) {
    for (let i = 0; i < n; i++) {
      store<u8>(mapPtr + <usize>slotOf(load<u32>(keysPtr + (<usize>i << 2))), load<u16>(labelsPtr + (<usize>i << 1)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      store<u16>(mapPtr + (<usize>slotOf(load<u32>(keysPtr + (<usize>i << 2))) << 1), load<u16>(labelsPtr + (<usize>i << 1)));
    }
  }
}

/** Labels of pixels [0, n) from the u8 (width 1) or u16 (width 2) map at mapPtr; alpha 0 gets k. */
export function labelColours(pixPtr: usize, n: i32, mapPtr: usize, width: i32, k: i32, outPtr: usize): void {
  if (width == 1) {
    for (let p = 0; p < n; p++) {
      const v = load<u32>(pixPtr + (<usize>p << 2));
      store<u8>(outPtr + <usize>p, (v >>> 24) == 0 ? <u8>k : load<u8>(mapPtr + <usize>slotOf(v & 0xffffff)));
    }
  } else {
    for (let p = 0; p < n; p++) {
      const v = load<u32>(pixPtr + (<usize>p << 2));
      store<u16>(outPtr + (<usize>p << 1), (v >>> 24) == 0 ? <u16>k : load<u16>(mapPtr + (<usize>slotOf(v & 0xffffff) << 1)));
    }
  }
}

/**
 * Zero what a histogram wrote, as its flags tell: each flagged group's 16 table entries and, for a
 * label map of `width` bytes an entry (0: none), the same slots' map bytes, and (table2Ptr, 0 for
 * none) a second table's that no collectColours merged; then the flags. The table's own entries
 * only with `tableToo` (collectColours may have zeroed them; a label map of u32 entries is the table).
 */
export function clearColours(tablePtr: usize, flagsPtr: usize, width: i32, table2Ptr: usize, tableToo: i32): void {
  const zero = i8x16.splat(0);
  for (let g = 0; g < (1 << 20); g += 16) {
    const f = v128.load(flagsPtr + <usize>g);
    if (!v128.any_true(f)) continue;
    v128.store(flagsPtr + <usize>g, zero);
    for (let flagged = i8x16.bitmask(i8x16.ne(f, zero)); flagged; flagged &= flagged - 1) {
      const slot = <usize>slotOf(<u32>(g + ctz(flagged)) << 4);
      const at = tablePtr + (slot << 2);
      if (tableToo) {
        v128.store(at, zero);
        v128.store(at, zero, 16);
        v128.store(at, zero, 32);
        v128.store(at, zero, 48);
      }
      if (table2Ptr) {
        const at2 = table2Ptr + (slot << 2);
        v128.store(at2, zero); v128.store(at2, zero, 16); v128.store(at2, zero, 32); v128.store(at2, zero, 48);
      }
      if (width == 1 || width == 2) {
        const map = tablePtr + slot * <usize>width;
        v128.store(map, zero);
        if (width == 2) v128.store(map, zero, 16);
      }
    }
  }
}
