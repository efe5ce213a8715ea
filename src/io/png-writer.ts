/**
 * PNG files from samples we pack ourselves (indexed colour, grayscale), deflated by node:zlib.
 * Invariant: the bytes depend only on the samples and the level, never on the cores or the timing.
 */
import zlib from 'node:zlib';
import { KMeansSegError } from '../errors.js';
import { quote } from '../validate.js';
import { firstLine } from './error-text.js';
import type { Scanlines } from './png-rows.js';

// The scanline packers live in png-rows.ts; these names stay importable from here.
export { depthFor, packRows, packRowsOnDemand, rowBytes, type Scanlines } from './png-rows.js';

/** The header of a PNG we write: colour type 0 (grayscale), 2 (RGB), 3 (indexed) or 6 (RGBA), not interlaced. */
export interface PngHeader {
  width: number;
  height: number;
  depth: 1 | 2 | 4 | 8 | 16;
  colorType: 0 | 2 | 3 | 6;
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

/**
 * Adler-32 of `data`, continued from `sum` (1 for a new stream): the zlib trailer, which split
 * deflating cannot give. Four bytes a step (one word read; b gains 4a and the bytes weighted 4, 3, 2,
 * 1), which halves its time on this thread: the sums are exact integers in a double, taken modulo
 * 65521 every 5552 bytes as zlib does.
 */
export function adler32(data: Uint8Array, sum = 1): number {
  let a = sum & 0xffff, b = sum >>> 16;
  const n = data.length;
  let i = Math.min(n, (4 - (data.byteOffset & 3)) & 3); // up to the first aligned word
  for (let j = 0; j < i; j++) { a += data[j]!; b += a; }
  const words = LITTLE_ENDIAN && n - i >= 4 ? new Uint32Array(data.buffer, data.byteOffset + i, (n - i) >>> 2) : new Uint32Array(0);
  for (let w = 0; w < words.length;) {
    const end = Math.min(words.length, w + 1388);
    for (; w < end; w++) {
      const v = words[w]!;
      const d0 = v & 255, d1 = (v >>> 8) & 255, d2 = (v >>> 16) & 255, d3 = v >>> 24;
      b += 4 * a + 4 * d0 + 3 * d1 + 2 * d2 + d3;
      a += d0 + d1 + d2 + d3;
    }
    a %= 65521; b %= 65521;
  }
  i += words.length * 4;
  for (; i < n;) {
    const end = Math.min(i + 5552, n);
    for (; i < end; i++) { a += data[i]!; b += a; }
    a %= 65521; b %= 65521;
  }
  a %= 65521; b %= 65521;
  return ((b << 16) | a) >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * One part, deflated on a libuv thread. Its output buffer holds the whole part's output: with zlib's
 * 16 KiB default, the thread hands every 16 KiB back to this one before going on, so a part stalled
 * whenever this thread was busy (the quality figures, ~100 ms at 12 MP). The bytes are the same.
 */
function deflatePart(part: Uint8Array, options: zlib.ZlibOptions): Promise<Buffer> {
  const chunkSize = Math.max(zlib.constants.Z_DEFAULT_CHUNK, part.length + (part.length >>> 8) + 1024);
  // A part that compressed well would otherwise pin its whole output buffer until the file ends.
  const compact = (out: Buffer): Buffer => (out.length * 2 < out.buffer.byteLength ? Buffer.from(out) : out);
  return new Promise((resolve, reject) => zlib.deflateRaw(part, { ...options, chunkSize }, (error, out) => (error ? reject(error) : resolve(compact(out)))));
}

/** Largest IDAT we write: readers must take chunks up to 2^31 - 1 bytes, some choke long before. */
const IDAT_MAX = 1 << 24;

/** Where a PngStream's bytes go, in order: a file, or memory. */
export interface ByteSink { write(bytes: Buffer): Promise<void> }

/** The signature, IHDR, and PLTE and tRNS when given: everything before the first IDAT. */
function headChunks(header: PngHeader): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(header.width, 0);
  ihdr.writeUInt32BE(header.height, 4);
  ihdr[8] = header.depth;
  ihdr[9] = header.colorType; // compression, filter method and interlace stay 0
  const head = [SIGNATURE, chunk('IHDR', ihdr)];
  if (header.palette) head.push(chunk('PLTE', header.palette));
  if (header.transparency && header.transparency.length > 0) head.push(chunk('tRNS', header.transparency));
  return Buffer.concat(head);
}

/** The zlib header: CMF 0x78 (deflate, 32 KiB window); FLG carries the level class (RFC 1950) and the check bits. */
function zlibHeader(level: number): Buffer {
  const flevel = level < 2 ? 0 : level < 6 ? 1 : level === 6 ? 2 : 3;
  return Buffer.from([0x78, (flevel << 6) + (31 - (((0x78 << 8) | (flevel << 6)) % 31))]);
}

function compressError(file: string, error: unknown): KMeansSegError {
  return new KMeansSegError('ERR_WRITE', `Could not compress ${quote(file)} as PNG (${firstLine(error)}): try again, or free some memory`, { cause: error });
}

/**
 * A PNG written as its scanlines arrive (see push), in bounded memory: at most PARALLEL_PARTS parts
 * deflating and twice as many done, one part and one IDAT waiting. The bytes are those of one pngFile call on all the
 * scanlines, wherever the pushes cut them: the parts are cut at fixed offsets of the raw stream and
 * the IDATs at fixed offsets of the zlib stream. `file` names the output in messages.
 */
export class PngStream {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private previous: Uint8Array | undefined; // the last part dispatched: its tail primes the next
  private readonly deflating: Promise<Buffer>[] = [];
  private running = 0;
  private freed: (() => void) | undefined; // dispatch waiting for a deflate to end
  private idat: Buffer[] = [];
  private idatBytes = 0;
  private sum = 1;
  private started = false;

  constructor(private readonly header: PngHeader, private readonly sink: ByteSink, private readonly file: string, private readonly level = PNG_LEVEL) {}

  /**
   * Add scanlines (each led by its filter byte). The stream keeps `rows` until end(): do not change them.
   * @throws ERR_WRITE when zlib or the sink fails.
   */
  async push(rows: Uint8Array): Promise<void> {
    if (!this.started) await this.start();
    this.pending.push(rows);
    this.pendingBytes += rows.length;
    // A full part goes only once a byte follows it: the last part ends the stream (Z_FINISH).
    while (this.pendingBytes > PART_BYTES) await this.dispatch(this.take(PART_BYTES), false);
  }

  /** Deflate what is left, write the trailer and IEND. @throws ERR_WRITE when zlib or the sink fails. */
  async end(): Promise<void> {
    if (!this.started) await this.start();
    await this.dispatch(this.take(this.pendingBytes), true);
    while (this.deflating.length > 0) await this.emit(await this.settle());
    const s = this.sum;
    await this.emit(Buffer.from([s >>> 24, (s >>> 16) & 255, (s >>> 8) & 255, s & 255]));
    await this.flushIdat(1);
    await this.sink.write(chunk('IEND'));
  }

  private async start(): Promise<void> {
    this.started = true;
    await this.sink.write(headChunks(this.header));
    await this.emit(zlibHeader(this.level));
  }

  /** The first `n` pending bytes, without a copy when one push holds them all. */
  private take(n: number): Uint8Array {
    const first = this.pending[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift(); else this.pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let i = 0; // pieces used up, removed at once: shifting each would be quadratic in tiny pushes
      for (let at = 0; at < n;) {
        const piece = this.pending[i]!, used = Math.min(piece.length, n - at);
        out.set(piece.subarray(0, used), at);
        at += used;
        if (used === piece.length) i++; else this.pending[i] = piece.subarray(used);
      }
      this.pending.splice(0, i);
    }
    this.pendingBytes -= n;
    return out;
  }

  private async dispatch(part: Uint8Array, last: boolean): Promise<void> {
    // At most PARALLEL_PARTS deflating, and twice as many waiting to be written in order: a slow
    // part holds no thread idle, and memory stays bounded.
    while (this.running >= PARALLEL_PARTS || this.deflating.length >= 2 * PARALLEL_PARTS) {
      if (this.deflating.length >= 2 * PARALLEL_PARTS) await this.emit(await this.settle());
      else await new Promise<void>((resolve) => { this.freed = resolve; });
    }
    const options: zlib.ZlibOptions = { level: this.level, memLevel: 9, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH };
    if (this.previous !== undefined) options.dictionary = this.previous.subarray(this.previous.length - 32768);
    this.previous = part;
    this.running++;
    const running = deflatePart(part, options).finally(() => {
      this.running--;
      const freed = this.freed;
      this.freed = undefined;
      freed?.();
    });
    running.catch(() => undefined); // awaited in order by settle(); this keeps a later one from being unhandled meanwhile
    this.deflating.push(running);
    this.sum = adler32(part, this.sum); // while the part deflates on another thread
  }

  private async settle(): Promise<Buffer> {
    try {
      return await this.deflating.shift()!;
    } catch (error) {
      throw compressError(this.file, error);
    }
  }

  /** Append zlib bytes; write every whole IDAT they complete. */
  private async emit(bytes: Buffer): Promise<void> {
    this.idat.push(bytes);
    this.idatBytes += bytes.length;
    await this.flushIdat(IDAT_MAX);
  }

  /** Write IDATs of IDAT_MAX bytes while at least `min` bytes wait (min 1: the rest too). */
  private async flushIdat(min: number): Promise<void> {
    while (this.idatBytes >= min) {
      const size = Math.min(IDAT_MAX, this.idatBytes);
      const pieces: Buffer[] = [];
      for (let at = 0; at < size;) {
        const piece = this.idat[0]!, used = Math.min(piece.length, size - at);
        pieces.push(piece.subarray(0, used));
        at += used;
        if (used === piece.length) this.idat.shift(); else this.idat[0] = piece.subarray(used);
      }
      this.idatBytes -= size;
      await this.sink.write(chunk('IDAT', ...pieces));
    }
  }
}

/**
 * A whole PNG file: signature, IHDR, PLTE and tRNS when given, IDAT (the zlib stream of `raw`, the
 * scanlines each led by its filter byte, or of Scanlines filled part by part), IEND. Every part goes to libuv's threads before this
 * returns its promise, so they deflate while this thread computes (the CLI's quality figures): none
 * waits for this thread to be free to start. The bytes are a PngStream's of `raw` (the same parts,
 * dictionaries, trailer and IDAT cuts; test/strips/png-stream.test.ts). `file` names the output in messages.
 *
 * @throws ERR_WRITE when zlib fails.
 */
export async function pngFile(header: PngHeader, scanlines: Uint8Array | Scanlines, file: string): Promise<Buffer> {
  const { raw, fill } = scanlines instanceof Uint8Array ? { raw: scanlines, fill: undefined } : scanlines;
  const parts: Promise<Buffer>[] = [];
  for (let at = 0; ; at += PART_BYTES) {
    const end = Math.min(raw.length, at + PART_BYTES), last = end === raw.length;
    fill?.(end); // the part's rows, packed now: the first part deflates while the next ones are packed
    const options: zlib.ZlibOptions = { level: PNG_LEVEL, memLevel: 9, finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH };
    if (at > 0) options.dictionary = raw.subarray(at - 32768, at); // the tail of the part before, as PngStream primes it
    const part = deflatePart(raw.subarray(at, end), options);
    part.catch(() => undefined); // awaited below, all together
    parts.push(part);
    if (last) break;
  }
  const sum = adler32(raw); // while the parts deflate
  let deflated: Buffer[];
  try {
    deflated = await Promise.all(parts);
  } catch (error) {
    throw compressError(file, error);
  }
  const stream = Buffer.concat([zlibHeader(PNG_LEVEL), ...deflated, Buffer.from([sum >>> 24, (sum >>> 16) & 255, (sum >>> 8) & 255, sum & 255])]);
  const out = [headChunks(header)];
  for (let at = 0; at < stream.length; at += IDAT_MAX) out.push(chunk('IDAT', stream.subarray(at, at + IDAT_MAX)));
  out.push(chunk('IEND'));
  return Buffer.concat(out);
}
