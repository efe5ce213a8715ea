// Copies of big pixel buffers made a slice at a time, yielding to the event loop between slices. A
// job worker needs pixels it may own: a Buffer from sharp cannot be transferred (postMessage would
// copy all 48 MB of a 12 MP image in one go on this thread), and the caller's pixels must stay theirs.

/** Bytes copied between two yields: about a millisecond or two of memcpy. */
const SLICE = 4 * 1024 * 1024;

/** Buffers known to be plain ArrayBuffers nobody else holds: made here, or come back from a job worker. */
const own = new WeakSet<ArrayBufferLike>();

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A copy of `src` over an ArrayBuffer of its own (transferable), made in slices. */
export async function copyInSlices<T extends Uint8Array | Uint8ClampedArray>(src: T): Promise<T> {
  const out = (src instanceof Uint8ClampedArray ? new Uint8ClampedArray(src.length) : new Uint8Array(src.length)) as T;
  for (let at = 0; at < src.length; at += SLICE) {
    if (at > 0) await yieldToLoop();
    out.set(src.subarray(at, Math.min(src.length, at + SLICE)), at);
  }
  own.add(out.buffer);
  return out;
}

/** Mark `a`'s buffer as ours to move (see movable). */
export function markOwn(a: Uint8Array | Uint8ClampedArray): void {
  own.add(a.buffer);
}

/**
 * Whether `a` may be transferred as it is: its view covers its whole buffer and that buffer is one
 * of ours. (Node 20 cannot tell whether a buffer is detachable, and sharp's are not.)
 */
export function movable(a: Uint8Array | Uint8ClampedArray): boolean {
  return own.has(a.buffer) && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
}
