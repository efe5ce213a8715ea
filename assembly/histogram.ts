// The colour histogram's per-pixel loops for src/core/histogram.ts: count pixels into a table of 2^24
// u32, and label pixels through a u8 or u16 map laid over the same bytes. A colour's slot is the host's
// slotOf(key), or the host would read other colours' counts.
//
// Pixels are RGBA words (r lowest); a colour's key is its low 24 bits; slotOf swaps r's high nibble
// with b's low nibble, for locality.

@inline
function slotOf(key: u32): u32 {
  const t = (key ^ (key >>> 12)) & 0xf0;
  return key ^ t ^ (t << 12);
}

/**
 * Count pixels [0, n) at pixPtr into the table; a colour seen for the first time has its key appended
 * to the list at seenPtr (while fewer than `cap` are there). Adds to two i32 at outPtr: colours
 * appended (counting those past `cap`) and fully transparent pixels (alpha 0, not counted).
 */
export function countColours(pixPtr: usize, n: i32, tablePtr: usize, seenPtr: usize, cap: i32, outPtr: usize): void {
  let seen = load<i32>(outPtr), transparent = load<i32>(outPtr, 4);
  for (let p = 0; p < n; p++) {
    const v = load<u32>(pixPtr + (<usize>p << 2));
    if ((v >>> 24) == 0) { transparent++; continue; }
    const key = v & 0xffffff;
    const at = tablePtr + (<usize>slotOf(key) << 2);
    const c = load<u32>(at);
    store<u32>(at, c + 1);
    if (c == 0) {
      if (seen < cap) store<u32>(seenPtr + (<usize>seen << 2), key);
      seen++;
    }
  }
  store<i32>(outPtr, seen);
  store<i32>(outPtr, transparent, 4);
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
