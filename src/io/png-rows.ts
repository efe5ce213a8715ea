/**
 * PNG scanlines packed from samples (labels, indices): 1, 2, 4 or 8 bits, filter byte 0, all at once
 * or part by part as the writer asks. Invariant: the bytes are the same however they are asked for.
 */

/** Scanlines packed on demand: `fill(end)` writes at least raw[0, end), in order, before pngFile reads it. */
export interface Scanlines { raw: Uint8Array; fill(end: number): void }

/** Bytes per scanline, without its filter byte. */
export const rowBytes = (width: number, depth: number): number => Math.ceil((width * depth) / 8);

/**
 * Scanlines of 1-, 2-, 4- or 8-bit samples `map[values[p]]`, each led by filter byte 0, the leftmost
 * pixel in the high bits as PNG packs them. `map` turns labels or provisional indices into the
 * file's indices (identity when they already are).
 */
export function packRows(values: ArrayLike<number>, map: Uint8Array, width: number, height: number, depth: 1 | 2 | 4 | 8): Uint8Array {
  const rows = packRowsOnDemand(values, map, width, height, depth);
  rows.fill(rows.raw.length);
  return rows.raw;
}

/** packRows' scanlines, packed as pngFile asks for them (see Scanlines): the same bytes. */
export function packRowsOnDemand(values: ArrayLike<number>, map: Uint8Array, width: number, height: number, depth: 1 | 2 | 4 | 8): Scanlines {
  const stride = rowBytes(width, depth) + 1;
  const raw = new Uint8Array(stride * height);
  // The labels are the indices already (a result's usual case): rows copied, or read 4 at a time.
  const identity = values instanceof Uint8Array && map.every((v, i) => v === i);
  const fast = identity && (depth === 8 || (depth === 4 && width % 4 === 0 && values.byteOffset % 4 === 0 && LITTLE_ENDIAN));
  let done = 0; // rows packed
  const fill = (end: number): void => {
    const rows = Math.min(height, Math.ceil(end / stride));
    if (rows <= done) return;
    if (fast && depth === 8) {
      const v = values as Uint8Array;
      for (let y = done; y < rows; y++) raw.set(v.subarray(y * width, (y + 1) * width), y * stride + 1);
    } else if (fast) {
      pack4(values as Uint8Array, raw, width, done, rows);
    } else {
      packRange(values, map, width, depth, raw, done, rows);
    }
    done = rows;
  };
  return { raw, fill };
}

/** Rows [y0, y1) of packRows, any depth and map. */
function packRange(values: ArrayLike<number>, map: Uint8Array, width: number, depth: 1 | 2 | 4 | 8, raw: Uint8Array, y0: number, y1: number): void {
  const stride = rowBytes(width, depth) + 1;
  const perByte = 8 / depth;
  const whole = width - (width % perByte);
  for (let y = y0, p = y0 * width; y < y1; y++) {
    let o = y * stride + 1;
    // One loop per depth: a loop over the samples of a byte runs several times slower.
    if (depth === 8) {
      for (let x = 0; x < width; x++) raw[o++] = map[values[p++]!]!;
      continue;
    }
    if (depth === 4) {
      for (let x = 0; x < whole; x += 2, p += 2) raw[o++] = (map[values[p]!]! << 4) | map[values[p + 1]!]!;
    } else if (depth === 2) {
      for (let x = 0; x < whole; x += 4, p += 4) {
        raw[o++] = (map[values[p]!]! << 6) | (map[values[p + 1]!]! << 4) | (map[values[p + 2]!]! << 2) | map[values[p + 3]!]!;
      }
    } else {
      for (let x = 0; x < whole; x += 8, p += 8) {
        raw[o++] = (map[values[p]!]! << 7) | (map[values[p + 1]!]! << 6) | (map[values[p + 2]!]! << 5) | (map[values[p + 3]!]! << 4) |
          (map[values[p + 4]!]! << 3) | (map[values[p + 5]!]! << 2) | (map[values[p + 6]!]! << 1) | map[values[p + 7]!]!;
      }
    }
    if (whole < width) {
      let byte = 0;
      for (let x = whole; x < width; x++) byte = (byte << depth) | map[values[p++]!]!;
      raw[o] = byte << (depth * (perByte - (width - whole)));
    }
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Rows [y0, y1) of packRows at 4 bits for labels that are the indices, 4 labels a word read. */
function pack4(values: Uint8Array, raw: Uint8Array, width: number, y0: number, y1: number): void {
  const words = new Uint32Array(values.buffer, values.byteOffset + y0 * width, ((y1 - y0) * width) >>> 2);
  const stride = width / 2 + 1;
  for (let y = y0, w = 0; y < y1; y++) {
    for (let x = 0, o = y * stride + 1; x < width; x += 4, o += 2) {
      const v = words[w++]!;
      raw[o] = ((v & 0xf) << 4) | ((v >>> 8) & 0xf);
      raw[o + 1] = ((v >>> 12) & 0xf0) | ((v >>> 24) & 0xf);
    }
  }
}

/** The smallest PNG bit depth (1, 2, 4 or 8) whose samples hold `count` values. */
export function depthFor(count: number): 1 | 2 | 4 | 8 {
  return count <= 2 ? 1 : count <= 4 ? 2 : count <= 16 ? 4 : 8;
}
