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

/** Refuse a strip run past `pixels` pixels: a colour's count is 32-bit, so one colour on every pixel of a larger image would wrap. @throws ERR_TOO_LARGE. */
export function checkPixelTotal(pixels: number): void {
  if (pixels > MAX_STRIP_PIXELS) {
    throw new KMeansSegError('ERR_TOO_LARGE', `The image has more than ${MAX_STRIP_PIXELS} pixels, more than a colour's 32-bit count holds: split it in two`);
  }
}

/** Counts colours strip by strip (add), then gives the Histogram (finish). */
export class StripHistogram {
  private readonly table = new Uint32Array(TABLE_SIZE);
  private pixels = 0;
  private transparent = 0;
  private all = 0xffffffff;

  /**
   * Count the colours of pixels of `channels` bytes: RGBA (fully transparent ones take no part, as in
   * buildHistogram), or RGB (alpha 255: read as bytes, which beats widening them to RGBA first).
   */
  add(pixels: Uint8Array, channels: 3 | 4): void {
    if (channels === 3) { this.addRGB(pixels); return; }
    const words = pixelWords(pixels, pixels.length >>> 2);
    checkPixelTotal(this.pixels + words.length); // counts are 32-bit, as the in-memory histogram's
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

  private addRGB(rgb: Uint8Array): void {
    const n = rgb.length / 3;
    checkPixelTotal(this.pixels + n);
    const table = this.table;
    for (let i = 0; i < rgb.length; i += 3) {
      const key = rgb[i]! | (rgb[i + 1]! << 8) | (rgb[i + 2]! << 16);
      const t = (key ^ (key >>> 12)) & 0xf0; // slotOf, written out
      table[key ^ t ^ (t << 12)]!++;
    }
    this.pixels += n;
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
  private out: Uint8Array | Uint16Array;

  constructor(hist: Histogram, colourLabels: Uint16Array | Uint32Array, private readonly k: number, wide: boolean) {
    this.map = wide ? new Uint16Array(TABLE_SIZE) : new Uint8Array(TABLE_SIZE);
    for (let i = 0; i < hist.n; i++) this.map[hist.keys[i]!] = colourLabels[i]!;
    this.out = wide ? new Uint16Array(0) : new Uint8Array(0);
  }

  /**
   * The labels of pixels of `channels` bytes (RGBA or RGB): their colour's, k where alpha is 0. In
   * one buffer reused by every call (a fresh one a strip costs page faults): use them before the next.
   */
  label(pixels: Uint8Array, channels: 3 | 4): Uint8Array | Uint16Array {
    const n = pixels.length / channels;
    if (this.out.length < n) this.out = this.map instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n);
    const out = this.out.subarray(0, n);
    const { map, k } = this;
    if (channels === 3) {
      for (let p = 0, i = 0; p < n; p++, i += 3) out[p] = map[pixels[i]! | (pixels[i + 1]! << 8) | (pixels[i + 2]! << 16)]!;
      return out;
    }
    const words = pixelWords(pixels, n);
    for (let p = 0; p < words.length; p++) {
      const v = words[p]!;
      out[p] = v >>> 24 === 0 ? k : map[v & 0xffffff]!;
    }
    return out;
  }
}
