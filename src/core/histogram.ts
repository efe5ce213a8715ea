/**
 * The exact colour histogram of RGBA pixels and the per-pixel labels drawn back from it. Invariant:
 * one 2^24-entry table, laid out by slotOf, whose touched entries are zero again after release().
 */

/**
 * The exact colour histogram: every distinct opaque colour once, with its pixel count as weight.
 * K-means over it gives exactly K-means over all pixels (sums of integer colours times integer counts
 * are exact in f64), at a cost that scales with distinct colours, not pixels (libimagequant's idea).
 * Colours are kept in ascending key order (keyOf), the canonical order for initialisation draws.
 */
export interface Histogram {
  /** Distinct colours as keys (see keyOf), ascending. */
  keys: Uint32Array;
  counts: Uint32Array;
  /** Number of distinct colours. */
  n: number;
  /** Pixels that take part (alpha > 0). */
  opaque: number;
  /** Maps slotOf(key) to the colour's index in keys; valid until release() or labelPixels(). */
  table: Uint32Array;
  /** Bytes per entry of the dense label map labelPixels laid over the table (0: none yet), for release(). */
  mapWidth: 0 | 1 | 2 | 4;
  /** The engine whose table this is, if any: labelPixels runs its loop there too. */
  engine?: HistogramEngine;
  release(): void;
}

/**
 * A colour's key: its bytes as a little-endian u32 reads them (r lowest), so one 32-bit load of an
 * RGBA pixel, masked to 24 bits, is its key, and the alpha is the top byte.
 */
export const keyOf = (r: number, g: number, b: number): number => r | (g << 8) | (b << 16);

/** Whether this host stores a u32's lowest byte first, as every fast path that views bytes as words assumes. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** RGBA pixels as u32 words r | g << 8 | b << 16 | a << 24: a view when possible, else a copy. */
export function pixelWords(data: Uint8Array | Uint8ClampedArray, pixels: number): Uint32Array {
  if (LITTLE_ENDIAN && data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, pixels);
  const words = new Uint32Array(pixels);
  for (let p = 0, o = 0; p < pixels; p++, o += 4) {
    words[p] = (data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24)) >>> 0;
  }
  return words;
}

/**
 * Where a colour's key lives in the table: the key with r's high nibble and b's low nibble swapped,
 * so the table reads b_hi r_hi g_hi | g_lo b_lo r_lo. Each 16x16x16 cube of colours is then one 16 KiB
 * block instead of being strewn over the whole 64 MiB: a photo touches 2,655 of its 4 KiB pages rather
 * than 6,834, which is fewer page faults on a fresh table and far less resident memory (the peak that
 * decides the largest image a machine can segment). The swap is its own inverse. Measured: faster on a
 * fresh table, about 3 ms slower at 12 MP on a warm one than the plain key; a full Morton interleave
 * keeps even fewer pages but costs ~40 ms more to compute.
 */
export const slotOf = (key: number): number => {
  const t = (key ^ (key >>> 12)) & 0xf0;
  return key ^ t ^ (t << 12);
};

/** What HistogramEngine.count finds: new colours in order of first sight (null if more than `cap`). */
export interface ColourCounts { seen: Uint32Array | null; n: number; transparent: number }

/**
 * The two per-pixel loops run elsewhere: in the wasm kernel (kernel/wasm/), over a table in its
 * memory. Same table layout (slotOf), same results as the loops below.
 */
export interface HistogramEngine {
  /** The engine's table of 2^24 u32, zero wherever release() has been through. */
  table(): Uint32Array;
  /** Count the pixels' colours into table(). */
  count(words: Uint32Array, cap: number): ColourCounts;
  /** Each pixel's label from the u8 or u16 map laid over the table's bytes; alpha 0 gets k. */
  label(words: Uint32Array, k: number, out: Uint8Array | Uint16Array): void;
}

const TABLE_SIZE = 1 << 24;
// 64 MiB reused across calls: clearing the touched entries is far cheaper than a new table. Held
// weakly, so that between calls (while a big result is encoded, say) the collector may take it back.
let spareTable: WeakRef<Uint32Array> | undefined;

/** Count the opaque pixels' colours (on `engine`'s table when given, else a table of our own); release() when done. */
export function buildHistogram(data: Uint8Array | Uint8ClampedArray, pixels: number, engine?: HistogramEngine | null): Histogram {
  const words = pixelWords(data, pixels);
  const counted = engine ? engine.count(words, SORT_LIMIT) : undefined;
  const table = engine ? engine.table() : spareTable?.deref() ?? new Uint32Array(TABLE_SIZE);
  if (!engine) spareTable = undefined; // borrowed: a concurrent call allocates its own
  // Colours in order of first sight, while they are few enough that sorting them beats scanning all
  // 16 M table entries (the scan alone costs tens of milliseconds, whatever the image's size).
  let seen = counted?.seen ?? new Uint32Array(Math.min(pixels, 1 << 16));
  let n = counted?.n ?? 0;
  let transparent = counted?.transparent ?? 0;
  if (!counted) {
    for (let p = 0; p < pixels; p++) {
      const v = words[p]!;
      if (v >>> 24 === 0) { transparent++; continue; }
      const key = v & 0xffffff;
      // slotOf, written out: this loop is the histogram's whole cost.
      const t = (key ^ (key >>> 12)) & 0xf0;
      if (table[key ^ t ^ (t << 12)]++ === 0) {
        if (n < SORT_LIMIT) {
          if (n === seen.length) { const grown = new Uint32Array(Math.min(seen.length * 2, SORT_LIMIT)); grown.set(seen); seen = grown; }
          seen[n] = key;
        }
        n++;
      }
    }
  }
  const keys = new Uint32Array(n);
  const counts = new Uint32Array(n);
  if (n <= SORT_LIMIT && !(counted && counted.seen === null)) {
    radixSort24(seen.subarray(0, n), keys);
  } else {
    // Ascending keys straight from the table: a key's 16 r_lo neighbours share one cache line.
    for (let key = 0, i = 0; key < TABLE_SIZE; key++) if (table[slotOf(key)] !== 0) keys[i++] = key;
  }
  for (let i = 0; i < n; i++) { const slot = slotOf(keys[i]!); counts[i] = table[slot]!; table[slot] = i; }
  return {
    keys, counts, n, opaque: pixels - transparent, table, mapWidth: 0, ...(engine ? { engine } : {}),
    release() {
      // Only the entries written are zeroed, so no page the image never touched becomes resident.
      const shift = this.mapWidth === 1 ? 2 : this.mapWidth === 2 ? 1 : 0;
      for (let i = 0; i < n; i++) { const slot = slotOf(keys[i]!); table[slot] = 0; table[slot >>> shift] = 0; }
      if (!engine) spareTable = new WeakRef(table);
    },
  };
}

/** Up to this many colours are sorted (8 MiB of keys at most); beyond, the table is scanned. */
const SORT_LIMIT = 1 << 21;

/** Sort 24-bit keys ascending into `out`: least-significant-digit radix sort, two passes of 12 bits. */
function radixSort24(keys: Uint32Array, out: Uint32Array): void {
  const n = keys.length;
  const tmp = new Uint32Array(n);
  const count = new Uint32Array(4096);
  for (const [from, to, shift] of [[keys, tmp, 0], [tmp, out, 12]] as const) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(from[i]! >>> shift) & 4095]!++;
    for (let d = 0, sum = 0; d < 4096; d++) { const c = count[d]!; count[d] = sum; sum += c; }
    for (let i = 0; i < n; i++) { const k = from[i]!; to[count[(k >>> shift) & 4095]!++] = k; }
  }
}

/**
 * Per-pixel labels from the labels of the distinct colours, through the histogram's own table (no
 * second 16 M-entry table to allocate), so this is the histogram's last use before release(). For
 * 8- and 16-bit labels the table's bytes are reused as a dense u8 or u16 colour-to-label map, a
 * quarter or half the size of the table, so the per-pixel lookups miss the cache far less. Fully
 * transparent pixels get `k`.
 */
export function labelPixels(
  data: Uint8Array | Uint8ClampedArray, pixels: number, h: Histogram, colourLabels: Uint16Array, k: number,
  out: Uint8Array | Uint16Array | Uint32Array,
): void {
  const table = h.table;
  // Writing the map overwrites table entries, but nothing reads them after this.
  const map = out instanceof Uint8Array ? new Uint8Array(table.buffer, table.byteOffset, TABLE_SIZE)
    : out instanceof Uint16Array ? new Uint16Array(table.buffer, table.byteOffset, TABLE_SIZE)
    : table;
  h.mapWidth = map.BYTES_PER_ELEMENT as 1 | 2 | 4;
  for (let i = 0; i < h.n; i++) map[slotOf(h.keys[i]!)] = colourLabels[i]!;
  const words = pixelWords(data, pixels);
  if (h.engine && !(out instanceof Uint32Array)) { h.engine.label(words, k, out); return; }
  for (let p = 0; p < pixels; p++) {
    const v = words[p]!;
    const key = v & 0xffffff;
    const t = (key ^ (key >>> 12)) & 0xf0;
    out[p] = v >>> 24 === 0 ? k : map[key ^ t ^ (t << 12)]!;
  }
}
