/**
 * Images of at most 256 distinct RGBA colours as indexed PNGs (PLTE, tRNS when some alpha is below
 * 255). Invariant: a reader decodes exactly the pixels of the truecolour file, or no index is made.
 */
import type { Labels, PaletteEntry } from '../types.js';
import { depthFor, packRowsOnDemand, pngFile, type PngHeader } from './png-writer.js';

/** A PNG palette holds at most 256 entries. */
export const MAX_ENTRIES = 256;

/** The pixels as indices: `map[values[p]]` is pixel p's entry of `words` (r | g << 8 | b << 16 | a << 24). */
export interface Indexed {
  values: Labels;
  map: Uint8Array;
  /** The palette, entries with alpha below 255 first, so that tRNS is as short as it can be. */
  words: Uint32Array;
}

/** Distinct RGBA words in order of first sight, at most MAX_ENTRIES: open addressing on 1024 slots. */
class Entries {
  readonly words = new Uint32Array(MAX_ENTRIES);
  n = 0;
  private readonly slots = new Int16Array(1024).fill(-1);

  /** The entry of `word`, added when new; -1 when it would be one too many. */
  of(word: number): number {
    let h = Math.imul(word, 0x9e3779b1) >>> 22;
    for (let e = this.slots[h]!; e >= 0; e = this.slots[h]!) {
      if (this.words[e] === word) return e;
      h = (h + 1) & 1023;
    }
    if (this.n === MAX_ENTRIES) return -1;
    this.words[this.n] = word;
    this.slots[h] = this.n;
    return this.n++;
  }

  /** The final order (translucent entries first, each group in order of first sight): `order[entry]` is its index. */
  order(): { order: Uint8Array; words: Uint32Array } {
    const order = new Uint8Array(this.n);
    const words = new Uint32Array(this.n);
    let next = 0;
    for (const translucent of [true, false]) {
      for (let e = 0; e < this.n; e++) {
        const word = this.words[e]!;
        if ((word >>> 24 !== 255) === translucent) { order[e] = next; words[next++] = word; }
      }
    }
    return { order, words };
  }
}

/** `values` whose `toEntry[v]` is an entry of `entries`, as the file's indices. */
function finish(entries: Entries, values: Labels, toEntry: Uint8Array): Indexed {
  const { order, words } = entries.order();
  const map = new Uint8Array(toEntry.length);
  for (let v = 0; v < toEntry.length; v++) map[v] = order[toEntry[v]!] ?? 0;
  return { values, map, words };
}

/** Each label's colour as an opaque word r | g << 8 | b << 16 | 255 << 24. */
function labelWords(palette: readonly PaletteEntry[], k: number): Uint32Array {
  const words = new Uint32Array(k);
  for (let j = 0; j < k; j++) {
    const [r, g, b] = palette[j]!.rgb;
    words[j] = (r | (g << 8) | (b << 16) | 0xff000000) >>> 0;
  }
  return words;
}

/**
 * A result's pixels (labels painted with `palette`, label k transparent black, alpha from `alpha`:
 * one byte a pixel, or the alpha bytes of RGBA pixels when `stride` is 4; null when opaque) as an
 * index, exactly as paintRGBA would paint them; null when they have more than 256 distinct colours.
 */
export function indexLabels(
  labels: Labels, k: number, palette: readonly PaletteEntry[], alpha: Uint8Array | Uint8ClampedArray | null, stride: 1 | 4 = 4,
): Indexed | null {
  const colours = labelWords(palette, k);
  const entries = new Entries();
  // Opaque: a label's colour is its entry, and the labels themselves are the values. Two labels
  // may round to one colour, so the entries are the distinct colours, not the labels.
  const colourOf = new Uint8Array(k + 1);
  for (let j = 0; j < k; j++) {
    const e = entries.of(colours[j]!);
    if (e < 0) return null;
    colourOf[j] = e;
  }
  // Opaque: no label k (transparent pixels would have made alpha non-null).
  if (alpha === null) return finish(entries, labels, colourOf.subarray(0, k));
  return indexTranslucent(labels, k, colours, colourOf, alpha, stride);
}

/** indexLabels with alpha: one pass, each (colour, alpha) pair looked up in a table of 257 x 256. */
function indexTranslucent(
  labels: Labels, k: number, colours: Uint32Array, colourOf: Uint8Array, alpha: Uint8Array | Uint8ClampedArray, stride: 1 | 4,
): Indexed | null {
  const entries = new Entries();
  const transparent = MAX_ENTRIES << 8; // label k: (0, 0, 0, 0), as paintRGBA leaves it
  const pairs = new Int16Array((MAX_ENTRIES + 1) << 8).fill(-1);
  const values = new Uint8Array(labels.length);
  const off = stride - 1;
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p]!;
    const a = alpha[p * stride + off]!;
    const key = l < k ? (colourOf[l]! << 8) | a : transparent;
    let e = pairs[key]!;
    if (e < 0) {
      e = entries.of(l < k ? ((colours[l]! & 0xffffff) | (a << 24)) >>> 0 : 0);
      if (e < 0) return null;
      pairs[key] = e;
    }
    values[p] = e;
  }
  return finish(entries, values, identity(entries.n));
}

function identity(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i);
}

/**
 * Any RGB (3 bytes a pixel) or RGBA pixels as an index of their distinct colours, or null as soon as
 * a 257th turns up (an overlay or a photo gives up within its first rows).
 */
export function indexPixels(pixels: Uint8Array | Uint8ClampedArray, count: number, channels: 3 | 4): Indexed | null {
  const entries = new Entries();
  const values = new Uint8Array(count);
  let last = -1, lastEntry = 0;
  for (let p = 0, o = 0; p < count; p++, o += channels) {
    const word = (pixels[o]! | (pixels[o + 1]! << 8) | (pixels[o + 2]! << 16) | ((channels === 4 ? pixels[o + 3]! : 255) << 24)) >>> 0;
    if (word !== last) {
      lastEntry = entries.of(word);
      if (lastEntry < 0) return null;
      last = word;
    }
    values[p] = lastEntry;
  }
  return finish(entries, values, identity(entries.n));
}

/**
 * The indexed PNG of `ix`: PLTE of its entries, tRNS of the translucent ones (none when all are
 * opaque), indices of 1, 2, 4 or 8 bits, whichever is the smallest that holds them.
 *
 * @throws ERR_WRITE when zlib fails.
 */
export function indexedPNG(ix: Indexed, width: number, height: number, file: string): Promise<Buffer> {
  const header = indexedHeader(ix.words, width, height);
  return pngFile(header, packRowsOnDemand(ix.values, ix.map, width, height, header.depth as 1 | 2 | 4 | 8), file);
}

/** The header of an indexed PNG of the palette `words` (see indexedPNG): PLTE, tRNS, depth. */
export function indexedHeader(words: Uint32Array, width: number, height: number): PngHeader {
  const n = words.length;
  const palette = new Uint8Array(n * 3);
  let translucent = 0;
  for (let e = 0; e < n; e++) {
    const w = words[e]!;
    palette[e * 3] = w & 255; palette[e * 3 + 1] = (w >>> 8) & 255; palette[e * 3 + 2] = (w >>> 16) & 255;
    if (w >>> 24 !== 255) translucent = e + 1;
  }
  const transparency = Uint8Array.from(words.subarray(0, translucent), (w) => w >>> 24);
  return { width, height, depth: depthFor(n), colorType: 3, palette, transparency };
}
