/**
 * The exact colour histogram of RGBA pixels and the per-pixel labels drawn back from it. Invariant:
 * one 2^24-entry table, laid out by slotOf (and, in the wasm kernel, one flag per group of 16 keys):
 * whatever a histogram wrote there is zero again after release().
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
  /** Whether some pixel's alpha is below 255 (so a result must keep the alpha channel). */
  translucent: boolean;
  /** Maps slotOf(key) to the colour's index in keys; valid until release() or labelPixels(). */
  readonly table: Uint32Array;
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
 * decides the largest image a machine can segment). The swap is its own inverse, and keeps the low
 * nibble: the 16 keys of a group (key >>> 4) fill one 64-byte line. Measured: faster on a fresh table,
 * about 3 ms slower at 12 MP on a warm one than the plain key; a full Morton interleave keeps even
 * fewer pages but costs ~40 ms more to compute.
 */
export const slotOf = (key: number): number => {
  const t = (key ^ (key >>> 12)) & 0xf0;
  return key ^ t ^ (t << 12);
};

/**
 * The histogram's loops in the wasm kernel (kernel/wasm/), over a table and flags in its memory:
 * count the pixels flagging each group of 16 keys they touch, then read the flagged groups in key
 * order, which hands the colours over ascending (no sort). Same table layout (slotOf), same results
 * as the TS loops below.
 */
export interface HistogramEngine {
  /** The engine's table of 2^24 u32, zero wherever clear() has been through. */
  table(): Uint32Array;
  /**
   * The table with each of `keys`' entries set to its index (collect may leave them zero: the
   * label stage needs no index, and clearing then costs one cache line a group instead of two).
   */
  indexTable(keys: Uint32Array): Uint32Array;
  /** Count the pixels' colours into table(), flagging their groups. */
  count(words: Uint32Array): Coverage;
  /** The counted colours, as collectColours does. */
  collect(): Colours;
  /** Each pixel's label through a u8 or u16 map laid over the table's bytes: colourLabels[i] for keys[i], k for alpha 0. */
  label(words: Uint32Array, keys: Uint32Array, colourLabels: Uint16Array, k: number, out: Uint8Array | Uint16Array): void;
  /** The RGB clustering points of `keys` into x, y, z (core/points.ts's loop, in wasm), where the engine has that loop. */
  rgbPlanes?(keys: Uint32Array, x: Float32Array, y: Float32Array, z: Float32Array): void;
  /** Zero what the histogram wrote (table, a label map of `width` bytes an entry, flags), given its colours when it has them. */
  clear(width: 0 | 1 | 2 | 4, keys?: Uint32Array): void;
}

/** What counting finds besides the colours: fully transparent pixels, and whether any alpha is below 255. */
export interface Coverage { transparent: number; translucent: boolean }

/** The distinct colours, keys ascending, and their counts. */
export interface Colours { keys: Uint32Array; counts: Uint32Array }

const TABLE_SIZE = 1 << 24;
const GROUPS = 1 << 20;
// 64 MiB reused across calls: clearing the touched entries is far cheaper than a new table. Held
// weakly, so that between calls (while a big result is encoded, say) the collector may take it back.
let spareTable: WeakRef<Uint32Array> | undefined;

/** Count the opaque pixels' colours (on `engine`'s table when given, else a table of our own); release() when done. */
export function buildHistogram(data: Uint8Array | Uint8ClampedArray, pixels: number, engine?: HistogramEngine | null): Histogram {
  const words = pixelWords(data, pixels);
  if (engine) return engineHistogram(words, engine);
  const table = spareTable?.deref() ?? new Uint32Array(TABLE_SIZE);
  spareTable = undefined; // borrowed: a concurrent call allocates its own (and one that throws drops it)
  const { keys, counts, transparent, translucent } = countSorted(words, table);
  return {
    keys, counts, n: keys.length, opaque: words.length - transparent, translucent, table, mapWidth: 0,
    release() {
      clearKeys(table, keys, this.mapWidth);
      spareTable = new WeakRef(table);
    },
  };
}

function engineHistogram(words: Uint32Array, engine: HistogramEngine): Histogram {
  try {
    const { transparent, translucent } = engine.count(words);
    const { keys, counts } = engine.collect();
    let table: Uint32Array | undefined;
    return {
      keys, counts, n: keys.length, opaque: words.length - transparent, translucent, mapWidth: 0, engine,
      // Indexed on first use only (the pixel path's points, say): the label stage does without.
      get table() { return (table ??= engine.indexTable(keys)); },
      release() { engine.clear(this.mapWidth, keys); },
    };
  } catch (err) {
    engine.clear(4); // the next call must still find a clean table
    throw err;
  }
}

/**
 * The TS loops: count into the table, keeping new colours in order of first sight while they are few
 * enough that sorting them beats scanning all 16 M entries (the scan alone costs tens of
 * milliseconds, whatever the image's size); then each colour's entry becomes its index. The alphas
 * are ANDed on the way, so that the result need not scan the pixels again to know whether to keep them.
 */
function countSorted(words: Uint32Array, table: Uint32Array): Colours & Coverage {
  let seen = new Uint32Array(Math.min(words.length, 1 << 16));
  let n = 0, transparent = 0, all = 0xffffffff;
  for (let p = 0; p < words.length; p++) {
    const v = words[p]!;
    all &= v;
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
  const keys = new Uint32Array(n);
  const counts = new Uint32Array(n);
  if (n <= SORT_LIMIT) {
    radixSort24(seen.subarray(0, n), keys);
  } else {
    // Ascending keys straight from the table: a key's 16 r_lo neighbours share one cache line.
    for (let key = 0, i = 0; key < TABLE_SIZE; key++) if (table[slotOf(key)] !== 0) keys[i++] = key;
  }
  for (let i = 0; i < n; i++) { const slot = slotOf(keys[i]!); counts[i] = table[slot]!; table[slot] = i; }
  return { keys, counts, transparent, translucent: all >>> 24 !== 255 };
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
 * Zero the entries of `keys` and, for a label map of `width` bytes an entry, their map entries (slot
 * s of a u8 map lies in u32 entry s >>> 2, of a u16 map in s >>> 1); and their flags, when given.
 * Only the entries written are zeroed, so no page the image never touched becomes resident.
 */
export function clearKeys(table: Uint32Array, keys: Uint32Array, width: 0 | 1 | 2 | 4, flags?: Uint8Array): void {
  const shift = width === 1 ? 2 : width === 2 ? 1 : 0;
  for (let i = 0; i < keys.length; i++) { const slot = slotOf(keys[i]!); table[slot] = 0; table[slot >>> shift] = 0; }
  if (flags) for (let i = 0; i < keys.length; i++) flags[keys[i]! >>> 4] = 0;
}

/**
 * The wasm kernel's collectColours as TS: the counted colours in ascending key order, read from the
 * flagged groups only; each colour's table entry becomes its index. One pass, into arrays that double
 * as they fill. The flags stay, for clearing.
 */
export function collectColours(table: Uint32Array, flags: Uint8Array): Colours {
  const quads = new Uint32Array(flags.buffer, flags.byteOffset, GROUPS / 4); // four flags a load
  let keys = new Uint32Array(1 << 12), counts = new Uint32Array(1 << 12), n = 0;
  for (let q = 0; q < GROUPS / 4; q++) {
    if (quads[q] === 0) continue;
    for (let g = q * 4; g < q * 4 + 4; g++) {
      if (flags[g] === 0) continue;
      if (n + 16 > keys.length) {
        const k2 = new Uint32Array(keys.length * 2), c2 = new Uint32Array(keys.length * 2);
        k2.set(keys); c2.set(counts);
        keys = k2; counts = c2;
      }
      const key = g << 4, slot = slotOf(key);
      for (let e = 0; e < 16; e++) {
        const c = table[slot + e]!;
        if (c !== 0) { keys[n] = key + e; counts[n] = c; table[slot + e] = n; n++; }
      }
    }
  }
  return { keys: keys.slice(0, n), counts: counts.slice(0, n) };
}

/** The wasm kernel's clearColours as TS: zero every flagged group's table entries and, for a label map of `width` bytes an entry, its map bytes; then the flags. */
export function clearColours(table: Uint32Array, flags: Uint8Array, width: 0 | 1 | 2 | 4): void {
  const map = width === 1 ? new Uint8Array(table.buffer, table.byteOffset, TABLE_SIZE)
    : width === 2 ? new Uint16Array(table.buffer, table.byteOffset, TABLE_SIZE) : null;
  const quads = new Uint32Array(flags.buffer, flags.byteOffset, GROUPS / 4);
  for (let q = 0; q < GROUPS / 4; q++) {
    if (quads[q] === 0) continue;
    for (let g = q * 4; g < q * 4 + 4; g++) {
      if (flags[g] === 0) continue;
      const slot = slotOf(g << 4);
      for (let e = slot; e < slot + 16; e++) table[e] = 0;
      if (map) for (let e = slot; e < slot + 16; e++) map[e] = 0;
    }
    quads[q] = 0;
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
  const words = pixelWords(data, pixels);
  h.mapWidth = out.BYTES_PER_ELEMENT as 1 | 2 | 4;
  if (h.engine && !(out instanceof Uint32Array)) { h.engine.label(words, h.keys, colourLabels, k, out); return; }
  const table = h.table;
  // Writing the map overwrites table entries, but nothing reads them after this.
  const map = out instanceof Uint8Array ? new Uint8Array(table.buffer, table.byteOffset, TABLE_SIZE)
    : out instanceof Uint16Array ? new Uint16Array(table.buffer, table.byteOffset, TABLE_SIZE)
    : table;
  for (let i = 0; i < h.n; i++) map[slotOf(h.keys[i]!)] = colourLabels[i]!;
  for (let p = 0; p < pixels; p++) {
    const v = words[p]!;
    const key = v & 0xffffff;
    const t = (key ^ (key >>> 12)) & 0xf0;
    out[p] = v >>> 24 === 0 ? k : map[key ^ t ^ (t << 12)]!;
  }
}
