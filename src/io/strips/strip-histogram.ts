/**
 * The exact colour histogram of an image given strip by strip: the same Histogram that
 * core/histogram.ts's buildHistogram makes of the whole image at once (same keys, counts, order,
 * table layout), so K-means on it is the in-memory run's. Invariant: memory is the one 2^24 table
 * (64 MiB) and the distinct colours, whatever the image's size.
 */
import { pixelWords, slotOf, type Histogram } from '../../core/histogram.js';
import { KMeansSegError } from '../../errors.js';

const TABLE_SIZE = 1 << 24;
/** Most pixels the strip path takes: a colour's count is 32-bit. */
export const MAX_STRIP_PIXELS = 0xffffffff;

/** Counts colours strip by strip (add), then gives the Histogram (finish). */
export class StripHistogram {
  private readonly table = new Uint32Array(TABLE_SIZE);
  private pixels = 0;
  private transparent = 0;
  private all = 0xffffffff;

  /** Count the colours of RGBA pixels (fully transparent ones take no part, as in buildHistogram). */
  add(rgba: Uint8Array): void {
    const words = pixelWords(rgba, rgba.length >>> 2);
    // Counts are 32-bit, as the in-memory histogram's: one colour on every pixel of a larger image would wrap.
    if (this.pixels + words.length > MAX_STRIP_PIXELS) {
      throw new KMeansSegError('ERR_TOO_LARGE', `The image has more than ${MAX_STRIP_PIXELS} pixels, more than a colour's 32-bit count holds: split it in two`);
    }
    const table = this.table;
    let transparent = 0, all = this.all;
    for (let p = 0; p < words.length; p++) {
      const v = words[p]!;
      all &= v;
      if (v >>> 24 === 0) { transparent++; continue; }
      const key = v & 0xffffff;
      const t = (key ^ (key >>> 12)) & 0xf0; // slotOf, written out: this loop is pass 1's whole cost
      table[key ^ t ^ (t << 12)]!++;
    }
    this.all = all;
    this.transparent += transparent;
    this.pixels += words.length;
  }

  /** The histogram of every pixel added, keys ascending; each colour's table entry becomes its index, as buildHistogram leaves it. */
  finish(): Histogram {
    const table = this.table;
    let n = 0;
    for (let key = 0; key < TABLE_SIZE; key++) if (table[slotOf(key)] !== 0) n++;
    const keys = new Uint32Array(n), counts = new Uint32Array(n);
    for (let key = 0, i = 0; key < TABLE_SIZE; key++) {
      const slot = slotOf(key), c = table[slot]!;
      if (c !== 0) { keys[i] = key; counts[i] = c; table[slot] = i; i++; }
    }
    return {
      keys, counts, n, opaque: this.pixels - this.transparent, translucent: this.all >>> 24 !== 255, table, mapWidth: 0,
      release() { /* the table is this histogram's own, and goes with it */ },
    };
  }

  /** Pixels added so far. */
  get count(): number { return this.pixels; }
}

/**
 * Each colour's label as a dense map over the 2^24 keys (u8 or u16: 16 or 32 MiB), for labelling
 * strips: labelPixels of core/histogram.ts, one strip at a time.
 */
export class StripLabeller {
  private readonly map: Uint8Array | Uint16Array;

  constructor(hist: Histogram, colourLabels: Uint16Array | Uint32Array, private readonly k: number, wide: boolean) {
    this.map = wide ? new Uint16Array(TABLE_SIZE) : new Uint8Array(TABLE_SIZE);
    for (let i = 0; i < hist.n; i++) this.map[hist.keys[i]!] = colourLabels[i]!;
  }

  /** The labels of RGBA pixels: their colour's, k where alpha is 0. */
  label(rgba: Uint8Array): Uint8Array | Uint16Array {
    const words = pixelWords(rgba, rgba.length >>> 2);
    const out = this.map instanceof Uint16Array ? new Uint16Array(words.length) : new Uint8Array(words.length);
    const { map, k } = this;
    for (let p = 0; p < words.length; p++) {
      const v = words[p]!;
      out[p] = v >>> 24 === 0 ? k : map[v & 0xffffff]!;
    }
    return out;
  }
}
