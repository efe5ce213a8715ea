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
 * even a running count of them, cost more than the flag's check; collectColours counts them instead.
 * Four pixels a step took 0.6-0.75x the time of one at a time (12 MP photo, one thread, 2026-12-01).
 */
export function countColours(pixPtr: usize, n: i32, tablePtr: usize, flagsPtr: usize, outPtr: usize): void {
  let transparent = load<i32>(outPtr), all = load<u32>(outPtr, 4);
  let p = 0;
  // Four pixels a step: their slots (slotOf) and groups in SIMD, then the four increments in order
  // (two of them may hit one entry). Any alpha 0 among them: one at a time for those four.
  const low24 = i32x4.splat(0xffffff), nibbles = i32x4.splat(0xf0);
  let all4 = i32x4.splat(-1);
  for (; p + 4 <= n; p += 4) {
    const v = v128.load(pixPtr + (<usize>p << 2));
    all4 = v128.and(all4, v);
    if (!i32x4.all_true(i32x4.shr_u(v, 24))) {
      for (let q = p; q < p + 4; q++) {
        const w = load<u32>(pixPtr + (<usize>q << 2));
        if ((w >>> 24) == 0) transparent++;
        else bump(tablePtr, flagsPtr, slotOf(w & 0xffffff) << 2, (w & 0xffffff) >>> 4);
      }
      continue;
    }
    const key = v128.and(v, low24);
    const t = v128.and(v128.xor(key, i32x4.shr_u(key, 12)), nibbles);
    const slot = i32x4.shl(v128.xor(v128.xor(key, t), i32x4.shl(t, 12)), 2);
    const group = i32x4.shr_u(key, 4);
    bump(tablePtr, flagsPtr, i32x4.extract_lane(slot, 0), i32x4.extract_lane(group, 0));
    bump(tablePtr, flagsPtr, i32x4.extract_lane(slot, 1), i32x4.extract_lane(group, 1));
    bump(tablePtr, flagsPtr, i32x4.extract_lane(slot, 2), i32x4.extract_lane(group, 2));
    bump(tablePtr, flagsPtr, i32x4.extract_lane(slot, 3), i32x4.extract_lane(group, 3));
  }
  all &= i32x4.extract_lane(all4, 0) & i32x4.extract_lane(all4, 1) & i32x4.extract_lane(all4, 2) & i32x4.extract_lane(all4, 3);
  for (; p < n; p++) {
    const v = load<u32>(pixPtr + (<usize>p << 2));
    all &= v;
    if ((v >>> 24) == 0) { transparent++; continue; }
    const key = v & 0xffffff;
    bump(tablePtr, flagsPtr, slotOf(key) << 2, key >>> 4);
  }
  store<i32>(outPtr, transparent);
  store<u32>(outPtr, all, 4);
}

/**
 * One pixel counted: its table entry (at byte `slotBytes`) and its group's flag. The flag is read
 * before it is written: one set already (nearly always) leaves its line shared, so two threads
 * counting into tables of their own do not pass the flags' lines back and forth (that made two
 * threads no faster than one, measured 2026-12-01).
 */
@inline
function bump(tablePtr: usize, flagsPtr: usize, slotBytes: u32, group: u32): void {
  const at = tablePtr + <usize>slotBytes;
  store<u32>(at, load<u32>(at) + 1);
  const flag = flagsPtr + <usize>group;
  if (!load<u8>(flag)) store<u8>(flag, 1);
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
 * Add the second table into the first in the flagged groups of [g0, g1) (multiples of 16), zeroing
 * it there: collect's merge, shared over threads by ranges of groups (each group's lines are one
 * thread's), before a collect that then reads one table.
 */
export function mergeTables(tablePtr: usize, table2Ptr: usize, flagsPtr: usize, g0: i32, g1: i32): void {
  const zero = i8x16.splat(0);
  for (let g = g0; g < g1; g += 16) {
    for (let flagged = i8x16.bitmask(i8x16.ne(v128.load(flagsPtr + <usize>g), zero)); flagged; flagged &= flagged - 1) {
      const slot = <usize>slotOf(<u32>(g + ctz(flagged)) << 4) << 2;
      mergeGroup(tablePtr + slot, table2Ptr + slot);
    }
  }
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
      j = emitGroup(at, key, j, first, keysPtr, countsPtr, zeroed);
    }
  }
  return j;
}

/**
 * One group's colours (its 16 entries at `at`, keys key..key + 15) written at j on: every entry's
 * key and count is stored, and j moves past the non-zero ones only, so later ones overwrite the
 * rest (up to 15 entries past the result are written: the caller's room is 16 a group). No branch
 * depends on the counts: the mispredicted exit of a loop over the set bits cost more than the 16
 * stores, and it stalled the next groups' reads of the table (measured 2026-12-01).
 */
@inline
function emitGroup(at: usize, key: u32, j: i32, first: i32, keysPtr: usize, countsPtr: usize, zeroed: i32): i32 {
  for (let e = 0; e < 16; e++) {
    const entry = at + (<usize>e << 2);
    const c = load<u32>(entry);
    store<u32>(keysPtr + (<usize>j << 2), key + <u32>e);
    store<u32>(countsPtr + (<usize>j << 2), c);
    if (!zeroed) store<u32>(entry, select<u32>(first + j, 0, c != 0));
    j += <i32>(c != 0);
  }
  if (zeroed) {
    const zero = i32x4.splat(0);
    v128.store(at, zero); v128.store(at, zero, 16); v128.store(at, zero, 32); v128.store(at, zero, 48);
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

/**
 * Labels of pixels [0, n) from the u8 (width 1) or u16 (width 2) map at mapPtr; alpha 0 gets k.
 * Four pixels a step: slots in SIMD, four lookups, alpha 0 replaced without a branch, and one
 * store of the four labels. A transparent pixel's own lookup reads a slot of the table whatever
 * its colour: harmless (nothing is written, and its value is dropped).
 */
export function labelColours(pixPtr: usize, n: i32, mapPtr: usize, width: i32, k: i32, outPtr: usize): void {
  const low24 = i32x4.splat(0xffffff), nibbles = i32x4.splat(0xf0), zero = i32x4.splat(0), kk = i32x4.splat(k);
  let p = 0;
  for (; p + 4 <= n; p += 4) {
    const v = v128.load(pixPtr + (<usize>p << 2));
    const key = v128.and(v, low24);
    const t = v128.and(v128.xor(key, i32x4.shr_u(key, 12)), nibbles);
    const slot = v128.xor(v128.xor(key, t), i32x4.shl(t, 12));
    let got = zero;
    if (width == 1) {
      got = i32x4.replace_lane(got, 0, load<u8>(mapPtr + <usize>i32x4.extract_lane(slot, 0)));
      got = i32x4.replace_lane(got, 1, load<u8>(mapPtr + <usize>i32x4.extract_lane(slot, 1)));
      got = i32x4.replace_lane(got, 2, load<u8>(mapPtr + <usize>i32x4.extract_lane(slot, 2)));
      got = i32x4.replace_lane(got, 3, load<u8>(mapPtr + <usize>i32x4.extract_lane(slot, 3)));
    } else {
      got = i32x4.replace_lane(got, 0, load<u16>(mapPtr + (<usize>i32x4.extract_lane(slot, 0) << 1)));
      got = i32x4.replace_lane(got, 1, load<u16>(mapPtr + (<usize>i32x4.extract_lane(slot, 1) << 1)));
      got = i32x4.replace_lane(got, 2, load<u16>(mapPtr + (<usize>i32x4.extract_lane(slot, 2) << 1)));
      got = i32x4.replace_lane(got, 3, load<u16>(mapPtr + (<usize>i32x4.extract_lane(slot, 3) << 1)));
    }
    const labels = v128.bitselect(kk, got, i32x4.eq(i32x4.shr_u(v, 24), zero));
    const halves = i16x8.narrow_i32x4_u(labels, labels); // every label fits: u8 below 256, u16 below 65536
    if (width == 1) store<u32>(outPtr + <usize>p, i32x4.extract_lane(i8x16.narrow_i16x8_u(halves, halves), 0));
    else store<u64>(outPtr + (<usize>p << 1), i64x2.extract_lane(halves, 0));
  }
  if (width == 1) {
    for (; p < n; p++) {
      const v = load<u32>(pixPtr + (<usize>p << 2));
      store<u8>(outPtr + <usize>p, (v >>> 24) == 0 ? <u8>k : load<u8>(mapPtr + <usize>slotOf(v & 0xffffff)));
    }
  } else {
    for (; p < n; p++) {
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

/**
 * The RGB clustering points of colours [0, n) (keys at keysPtr): r, g and b as f32 planes at xPtr,
 * yPtr and zPtr, four colours a step. Integers below 256: exact in f32, as core/points.ts writes them.
 */
export function rgbPlanes(keysPtr: usize, n: i32, xPtr: usize, yPtr: usize, zPtr: usize): void {
  const byte = i32x4.splat(255);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const key = v128.load(keysPtr + at);
    v128.store(xPtr + at, f32x4.convert_i32x4_u(v128.and(key, byte)));
    v128.store(yPtr + at, f32x4.convert_i32x4_u(v128.and(i32x4.shr_u(key, 8), byte)));
    v128.store(zPtr + at, f32x4.convert_i32x4_u(v128.and(i32x4.shr_u(key, 16), byte)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const key = load<u32>(keysPtr + at);
    store<f32>(xPtr + at, <f32>(key & 255));
    store<f32>(yPtr + at, <f32>((key >>> 8) & 255));
    store<f32>(zPtr + at, <f32>((key >>> 16) & 255));
  }
}
