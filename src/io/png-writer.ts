/**
 * PNG files from samples we pack ourselves (indexed colour, grayscale), deflated by node:zlib.
 * Invariant: the bytes depend only on the samples and the level, never on the cores or the timing.
 */
import zlib from 'node:zlib';
import { KMeansSegError } from '../errors.js';
import { quote } from '../validate.js';
import { firstLine } from './error-text.js';

/** The header of a PNG we write: colour type 0 (grayscale) or 3 (indexed), not interlaced. */
export interface PngHeader {
  width: number;
  height: number;
  depth: 1 | 2 | 4 | 8 | 16;
  colorType: 0 | 3;
  /** PLTE: 3 bytes (r, g, b) per entry, for colour type 3. */
  palette?: Uint8Array;
  /** tRNS: the alpha of the first entries (the others are opaque); omitted when empty. */
  transparency?: Uint8Array;
}

/**
 * zlib level 7 with the default strategy and memLevel 9. Measured on the 12 MP photo's 16-colour
 * labels at 4 bits a pixel: level 6 gives 1,051,942 bytes (as large as pngquant's 1,051,970), 7 gives
 * 1,041,648 for 20% more time, 8 is 1,016,463 but 3x slower, 9 is 1,005,739 at 6x; Z_FILTERED and
 * Z_RLE are larger at every level, as are the sub and up row filters (so every row is filter 0).
 */
export const PNG_LEVEL = 7;

/**
 * Raw bytes per deflate part. Parts are deflated at the same time on libuv's threads, each primed
 * with the 32 KiB before it (as pigz does), so the stream is within a few hundred bytes of one
 * deflate's. The size is fixed, not taken from the core count, so the file never depends on the machine.
 */
export const PART_BYTES = 1 << 20;
const PARALLEL_PARTS = 4;

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

// zlib.crc32 came with Node 20.15; the table serves older Node 20 releases.
let crcTable: Int32Array | undefined;
const crc32 = (data: Uint8Array): number => (typeof zlib.crc32 === 'function' ? zlib.crc32(data) : tableCrc32(data));

/** CRC-32 (as zlib.crc32) from a 256-entry table. */
export function tableCrc32(data: Uint8Array): number {
  crcTable ??= Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let c = -1;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 255]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** One chunk: length, type, data, CRC of type and data. */
function chunk(type: string, ...parts: Uint8Array[]): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = Buffer.allocUnsafe(12 + length);
  out.writeUInt32BE(length, 0);
  out.write(type, 4, 'latin1');
  let at = 8;
  for (const p of parts) { out.set(p, at); at += p.length; }
  out.writeUInt32BE(crc32(out.subarray(4, 8 + length)), 8 + length);
  return out;
}

/** Adler-32 of `data`: the zlib stream's trailer, which split deflating cannot give. */
export function adler32(data: Uint8Array): number {
  let a = 1, b = 0;
  const n = data.length;
  for (let i = 0; i < n;) {
    // 5552 bytes is the most that cannot overflow before the modulo (zlib's NMAX).
    const end = Math.min(i + 5552, n);
    for (; i < end; i++) { a += data[i]!; b += a; }
    a %= 65521; b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function deflatePart(part: Uint8Array, options: zlib.ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => zlib.deflateRaw(part, options, (error, out) => (error ? reject(error) : resolve(out))));
}

/**
 * The zlib stream of `raw`, as pieces to concatenate: header, raw deflate parts (all but the last
 * ended with a sync flush, so they join into one deflate stream), Adler-32. The parts run on libuv's
 * threads while this thread is free (the CLI computes the quality figures meanwhile).
 */
export async function zlibStream(raw: Uint8Array, level = PNG_LEVEL): Promise<Buffer[]> {
  const count = Math.max(1, Math.ceil(raw.length / PART_BYTES));
  const parts: Buffer[] = new Array<Buffer>(count);
  let next = 0;
  const part = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const start = i * PART_BYTES, end = Math.min(raw.length, start + PART_BYTES);
      const options: zlib.ZlibOptions = {
        level, memLevel: 9, finishFlush: i === count - 1 ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
      };
      if (start > 0) options.dictionary = raw.subarray(Math.max(0, start - 32768), start);
      parts[i] = await deflatePart(raw.subarray(start, end), options);
    }
  };
  // As many parts at a time as libuv has threads by default: each holds a deflate state (about
  // 300 KiB at memLevel 9), so a gigapixel image must not open its thousand parts at once.
  const running = Promise.all(Array.from({ length: Math.min(count, PARALLEL_PARTS) }, part));
  const sum = adler32(raw);
  await running;
  // CMF 0x78 (deflate, 32 KiB window); FLG carries the level class (RFC 1950) and the check bits.
  const flevel = level < 2 ? 0 : level < 6 ? 1 : level === 6 ? 2 : 3;
  const flg = (flevel << 6) + (31 - (((0x78 << 8) | (flevel << 6)) % 31));
  const trailer = Buffer.from([sum >>> 24, (sum >>> 16) & 255, (sum >>> 8) & 255, sum & 255]);
  return [Buffer.from([0x78, flg]), ...parts, trailer];
}

/** Largest IDAT we write: readers must take chunks up to 2^31 - 1 bytes, some choke long before. */
const IDAT_MAX = 1 << 24;

/**
 * A whole PNG file: signature, IHDR, PLTE and tRNS when given, IDAT (the zlib stream of `raw`, the
 * scanlines each led by its filter byte), IEND. `file` names the output in messages.
 *
 * @throws ERR_WRITE when zlib fails.
 */
export async function pngFile(header: PngHeader, raw: Uint8Array, file: string): Promise<Buffer> {
  let pieces: Buffer[];
  try {
    pieces = await zlibStream(raw);
  } catch (error) {
    throw new KMeansSegError('ERR_WRITE', `Could not compress ${quote(file)} as PNG (${firstLine(error)}): try again, or free some memory`, { cause: error });
  }
  const stream = Buffer.concat(pieces);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(header.width, 0);
  ihdr.writeUInt32BE(header.height, 4);
  ihdr[8] = header.depth;
  ihdr[9] = header.colorType; // compression, filter method and interlace stay 0
  const chunks = [SIGNATURE, chunk('IHDR', ihdr)];
  if (header.palette) chunks.push(chunk('PLTE', header.palette));
  if (header.transparency && header.transparency.length > 0) chunks.push(chunk('tRNS', header.transparency));
  for (let at = 0; at < stream.length; at += IDAT_MAX) chunks.push(chunk('IDAT', stream.subarray(at, at + IDAT_MAX)));
  chunks.push(chunk('IEND'));
  return Buffer.concat(chunks);
}

/** Bytes per scanline, without its filter byte. */
export const rowBytes = (width: number, depth: number): number => Math.ceil((width * depth) / 8);

/**
 * Scanlines of 1-, 2-, 4- or 8-bit samples `map[values[p]]`, each led by filter byte 0, the leftmost
 * pixel in the high bits as PNG packs them. `map` turns labels or provisional indices into the
 * file's indices (identity when they already are).
 */
export function packRows(values: ArrayLike<number>, map: Uint8Array, width: number, height: number, depth: 1 | 2 | 4 | 8): Uint8Array {
  const stride = rowBytes(width, depth) + 1;
  const raw = new Uint8Array(stride * height);
  if (values instanceof Uint8Array && map.every((v, i) => v === i)) {
    // The labels are the indices already (a result's usual case): rows copied, or read 4 at a time.
    if (depth === 8) {
      for (let y = 0; y < height; y++) raw.set(values.subarray(y * width, (y + 1) * width), y * stride + 1);
      return raw;
    }
    if (depth === 4 && width % 4 === 0 && values.byteOffset % 4 === 0 && LITTLE_ENDIAN) return pack4(values, raw, width, height);
  }
  const perByte = 8 / depth;
  const whole = width - (width % perByte);
  for (let y = 0, p = 0; y < height; y++) {
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
  return raw;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** packRows at 4 bits for labels that are the indices, 4 labels a word read. */
function pack4(values: Uint8Array, raw: Uint8Array, width: number, height: number): Uint8Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, (width * height) >>> 2);
  const stride = width / 2 + 1;
  for (let y = 0, w = 0; y < height; y++) {
    for (let x = 0, o = y * stride + 1; x < width; x += 4, o += 2) {
      const v = words[w++]!;
      raw[o] = ((v & 0xf) << 4) | ((v >>> 8) & 0xf);
      raw[o + 1] = ((v >>> 12) & 0xf0) | ((v >>> 24) & 0xf);
    }
  }
  return raw;
}

/** The smallest PNG bit depth (1, 2, 4 or 8) whose samples hold `count` values. */
export function depthFor(count: number): 1 | 2 | 4 | 8 {
  return count <= 2 ? 1 : count <= 4 ? 2 : count <= 16 ? 4 : 8;
}
