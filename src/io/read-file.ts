/**
 * Input files read whole: opened once, without blocking, then checked and read through that one
 * descriptor. Invariant: what is read is what was checked, a regular file no larger than MAX_INPUT_FILE_BYTES.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { KMeansSegError } from '../errors.js';
import { MAX_INPUT_FILE_BYTES } from '../limits.js';
import { quote } from '../validate.js';
import { errnoCode, firstLine } from './error-text.js';

/**
 * The bytes of the regular file `file` (possibly none). A first look by path refuses a folder, a
 * device, a pipe or a socket without opening it; the file is then opened with O_NONBLOCK (so a FIFO
 * swapped in after that look cannot block the open forever), fstat'ed, refused unless it is a
 * regular file of at most MAX_INPUT_FILE_BYTES, and read through the descriptor. `name` starts
 * every message ('Input file "a.png"'); `noun` is what the file should be ("image", "palette").
 *
 * @throws ERR_INPUT_NOT_FOUND for a missing path; ERR_INPUT_NOT_FILE for a folder, device, pipe or
 *   socket; ERR_TOO_LARGE past MAX_INPUT_FILE_BYTES; ERR_READ when it cannot be read.
 */
export async function readRegularFile(file: string, name: string, noun: string): Promise<Buffer> {
  if (ahead !== undefined && ahead.file === file) {
    const { read } = ahead;
    ahead = undefined;
    const bytes = await read;
    if (bytes !== undefined) return bytes; // else read again, for this call's own error
  }
  return readChecked(file, name, noun);
}

/** A read started by prefetchFile and not yet taken: the path as given, and its bytes (undefined when it did not read). */
let ahead: { file: string; read: Promise<Buffer | undefined> } | undefined;

/** The largest file prefetchFile reads: a larger one is read when it is asked for (the strip path reads its input in bounded memory). */
export const PREFETCH_MAX_BYTES = 64 * 2 ** 20;

/**
 * Start reading `file` now, for the next readRegularFile of the same path, which takes the bytes (the
 * CLI reads its input while sharp loads, rather than after). Only a regular file of at most
 * PREFETCH_MAX_BYTES is read; any failure is silent here, and that later call reads again and meets
 * it. A newer prefetch replaces an older one; dropPrefetch forgets one nobody took. Never throws.
 */
export function prefetchFile(file: string): void {
  const read = (async () => {
    const stat = await fs.stat(file);
    return stat.isFile() && stat.size <= PREFETCH_MAX_BYTES ? await readChecked(file, 'The file', 'image') : undefined;
  })().catch(() => undefined);
  ahead = { file, read };
}

/** Forget a prefetched read nobody took, so that its bytes can be freed. */
export function dropPrefetch(): void {
  ahead = undefined;
}

/** readRegularFile's checks and read, every time. */
async function readChecked(file: string, name: string, noun: string): Promise<Buffer> {
  checkStat(await fs.stat(file).catch((error: unknown) => { throw notReadable(error, file, name, noun, 'cannot be accessed'); }), file, name, noun);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    throw notReadable(error, file, name, noun, 'could not be read');
  }
  try {
    const stat = await handle.stat();
    checkStat(stat, file, name, noun);
    const bytes = fileBuffer(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const { bytesRead } = await handle.read(bytes, read, bytes.length - read, read);
      if (bytesRead === 0) break; // the file shrank since fstat: what is there is what it holds
      read += bytesRead;
    }
    return read < bytes.length ? bytes.subarray(0, read) : bytes;
  } catch (error) {
    throw notReadable(error, file, name, noun, 'could not be read');
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * glibc's malloc gives a request above its mmap threshold a mapping of its own, and when such a
 * mapping of at most 32 MiB is freed, raises the threshold to its size: once a 31 MiB file is freed
 * (the 12 MP photo's is 31.4), every later allocation below that comes from the heap, whose freed
 * pages stay resident (measured: +3 to +8 MiB of the CLI's peak RSS, depending on the order of the
 * frees). So a file of 1 to 32 MiB is read into the start of a buffer of just over 32 MiB: the pages
 * past the file are never touched, so never resident, and its free moves no threshold.
 */
const STICKY_MAX_BYTES = 32 * 2 ** 20;
const reserved = new WeakSet<ArrayBufferLike>();

function fileBuffer(size: number): Buffer {
  if (size < 2 ** 20 || size > STICKY_MAX_BYTES) return Buffer.allocUnsafe(size);
  const whole = Buffer.allocUnsafe(STICKY_MAX_BYTES + 1);
  reserved.add(whole.buffer);
  return whole.subarray(0, size);
}

/** Whether `bytes` starts a buffer of its own, nothing else in it: a whole one, or the start of one fileBuffer reserved. */
export function startsOwnBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && (bytes.byteLength === bytes.buffer.byteLength || reserved.has(bytes.buffer));
}

/** Refuse what is not a regular file no larger than MAX_INPUT_FILE_BYTES, from its stat. */
function checkStat(stat: { isDirectory(): boolean; isFile(): boolean; size: number }, file: string, name: string, noun: string): void {
  if (stat.isDirectory()) {
    const example = noun === 'image' ? 'photo.jpg' : `${noun}.json`;
    throw new KMeansSegError('ERR_INPUT_NOT_FILE', `${name} is a directory, not ${article(noun)} file: pass ${article(noun)} inside it, e.g. ${quote(path.join(file, example))}`);
  }
  if (!stat.isFile()) throw notAFile(name, noun);
  if (stat.size > MAX_INPUT_FILE_BYTES) {
    throw new KMeansSegError('ERR_TOO_LARGE',
      `${name} is ${stat.size} bytes (${(stat.size / 2 ** 30).toFixed(2)} GiB), more than the ${MAX_INPUT_FILE_BYTES} bytes (2 GiB - 1) kmeans-seg reads from a file: ` +
      (noun === 'image' ? 're-encode it smaller (a compressed PNG or WebP), or downscale or tile the image first' : `is it really ${article(noun)}?`));
  }
}

const article = (noun: string): string => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;

const notAFile = (name: string, noun: string, cause?: unknown): KMeansSegError =>
  new KMeansSegError('ERR_INPUT_NOT_FILE', `${name} is not a regular file (a device, pipe or socket): save the ${noun} to a file first`, { cause });

/** A failed stat, open or read as our error: a missing path, or ERR_READ with the cause and the fix. */
function notReadable(error: unknown, file: string, name: string, noun: string, what: string): KMeansSegError {
  if (error instanceof KMeansSegError) return error;
  const code = errnoCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new KMeansSegError('ERR_INPUT_NOT_FOUND',
      `${name} not found (looked for ${quote(path.resolve(file))}): check the path and the current folder`, { cause: error });
  }
  if (code === 'ENXIO') return notAFile(name, noun, error); // open() of a socket
  return new KMeansSegError('ERR_READ', `${name} ${what} (${code ?? firstLine(error)}): ${readFix(code)}`, { cause: error });
}

function readFix(code: string | undefined): string {
  switch (code) {
    case 'EACCES': case 'EPERM': return 'check its permissions and those of its folders';
    case 'ELOOP': return 'a symbolic link in the path points back to itself; fix the link';
    case 'ENAMETOOLONG': return 'the path (or one of its names) is too long; move or rename the file';
    case 'EIO': return 'the disk or network share reported an I/O error; copy the file elsewhere and retry';
    default: return 'check the path, its permissions, and the disk';
  }
}

/** A Node Readable (process.stdin, an HTTP request, fs.createReadStream) or a web ReadableStream: anything that yields byte chunks. */
export type ByteStream = AsyncIterable<unknown> & { destroy?(error?: Error): void };

/** Whether `value` is a stream readStream can read: a Node Readable or a web ReadableStream. */
export function isByteStream(value: unknown): value is ByteStream {
  if (value === null || typeof value !== 'object' || typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') return false;
  const v = value as { pipe?: unknown; getReader?: unknown };
  return typeof v.pipe === 'function' || typeof v.getReader === 'function';
}

/**
 * The bytes of a stream, read to its end, with the cap a file has: past `cap` bytes (default
 * MAX_INPUT_FILE_BYTES) reading stops and the stream is destroyed, so a stream that never ends
 * cannot fill the memory. `name` starts every message ("The input stream").
 *
 * @throws ERR_TOO_LARGE past `cap`; ERR_INVALID_OPTION for a chunk that is not bytes (a stream in
 *   object mode, or with setEncoding); ERR_READ when the stream fails.
 */
export async function readStream(stream: ByteStream, name: string, cap = MAX_INPUT_FILE_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    // Leaving the loop early (a throw) makes the iterator destroy a Node Readable: nothing more is read.
    for await (const chunk of stream) {
      if (!(chunk instanceof Uint8Array)) {
        throw new KMeansSegError('ERR_INVALID_OPTION', `${name} gave a chunk that is not bytes (${typeof chunk}): pass a byte stream, without setEncoding() or object mode`);
      }
      total += chunk.byteLength;
      if (total > cap) {
        throw new KMeansSegError('ERR_TOO_LARGE', `${name} holds more than ${cap} bytes, the most kmeans-seg reads from a stream, as from a file: re-encode the image smaller (a compressed PNG or WebP), or downscale or tile it first`);
      }
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  } catch (error) {
    stream.destroy?.();
    if (error instanceof KMeansSegError) throw error;
    throw new KMeansSegError('ERR_READ', `${name} failed while being read (${errnoCode(error) ?? firstLine(error)}): check where it comes from, and retry`, { cause: error });
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
