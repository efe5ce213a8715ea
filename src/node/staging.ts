// A job worker's staging area: shared memory the calling thread fills with a call's pixels and the
// worker reads in place, kept from call to call. A fresh 48 MB buffer a call (the 12 MP photo) cost
// more in page faults than in copying: here the pages stay resident, so a call pays a plain memcpy.
// Invariant: it is written only by the call that holds its worker, before the job is posted, and the
// worker reads only the view it was sent (the call's own length), so no call sees another's pixels.
// Once the worker has offered its kernel's input area (adopt), that is the area: the worker's
// histogram then counts and labels the pixels where they landed, and this thread's own area goes.
import { abortError } from './abort-error.js';
import { copyInSlices, movable } from './copy-slices.js';

/**
 * Largest area kept between calls: what an idle worker may hold for pixels (a 32 MP image). A larger
 * image is copied to a buffer of its own and moved instead, as before, which frees it after the call.
 */
export const STAGING_MAX_BYTES = 128 * 2 ** 20;

/** Bytes copied between two yields: about a millisecond of memcpy into warm pages. */
const SLICE = 4 * 1024 * 1024;

/** Sizes grow in steps of this much, so a run of images of nearly the same size keeps one area. */
const STEP = 1 << 20;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A job worker's kernel input area (kernel/wasm/histogram-engine.ts's inputArea), as it offers it with a result. */
export interface KernelInput { buffer: SharedArrayBuffer; offset: number; bytes: number }

/** One worker's area. The calling thread keeps it with the worker, and it goes when the worker ends. */
export class Staging {
  private area: SharedArrayBuffer | undefined;
  private kernel: KernelInput | undefined;
  private noKernel = false;

  /** Bytes this area holds for pixels now (0 before the first call, then the largest image staged, rounded up to STEP, or the kernel's). */
  get bytes(): number {
    return this.area?.byteLength ?? this.kernel?.bytes ?? 0;
  }

  /**
   * Stage into the worker's kernel memory from now on, where it fits (`input`, offered by the worker
   * with a result, replaces the last one): this thread's own area is dropped, so the memory is
   * replaced, not added to. The worker must not write there between its calls (it does not).
   */
  adopt(input: KernelInput): void {
    this.kernel = input;
    this.area = undefined;
  }

  /** Bytes the worker's kernel input area holds: undefined before it is known, null when the worker has none (refuse). */
  get kernelRoom(): number | null | undefined {
    return this.noKernel ? null : this.kernel?.bytes;
  }

  /** The worker has no kernel input area (its kernel is the TS twin): stage here, and stop asking. */
  refuse(): void {
    this.noKernel = true;
  }

  /** Whether `view` lies in the worker's kernel input area (the job then reads it there: see kmeans-job.ts). */
  inKernel(view: ArrayBufferView): boolean {
    return this.kernel !== undefined && view.buffer === this.kernel.buffer;
  }

  /** Let go of the worker's memory (it ended): a reference kept here would keep all of it alive. */
  drop(): void {
    this.kernel = undefined;
    this.area = undefined;
  }

  /**
   * A copy of `src` in the area, as a view of src's kind and length, made a slice at a time with a
   * yield to the event loop between slices. Grows the area when `src` does not fit (the old one
   * goes). @throws ERR_ABORTED when `signal` aborts between two slices (the area holds a partial
   * copy, which no one reads: the next call overwrites what it uses).
   */
  async fill<T extends Uint8Array | Uint8ClampedArray>(src: T, signal: AbortSignal | undefined): Promise<T> {
    if (src.length > STAGING_MAX_BYTES) throw new RangeError(`a staging area holds at most ${STAGING_MAX_BYTES} bytes`);
    const k = this.kernel !== undefined && src.length <= this.kernel.bytes ? this.kernel : undefined;
    if (k === undefined && (this.area === undefined || this.area.byteLength < src.length)) this.area = new SharedArrayBuffer(Math.max(STEP, Math.ceil(src.length / STEP) * STEP));
    const [buffer, offset] = k === undefined ? [this.area!, 0] : [k.buffer, k.offset];
    const view = (src instanceof Uint8ClampedArray ? new Uint8ClampedArray(buffer, offset, src.length) : new Uint8Array(buffer, offset, src.length)) as T;
    for (let at = 0; at < src.length; at += SLICE) {
      if (at > 0) await yieldToLoop();
      if (signal?.aborted) throw abortError(signal, 'while running');
      view.set(src.subarray(at, Math.min(src.length, at + SLICE)), at);
    }
    return view;
  }
}

let stagingMax = STAGING_MAX_BYTES;

/** @internal For the tests of the larger-image path: stage images up to `bytes` only. Returns the previous limit. */
export function stageUpTo(bytes: number): number {
  const before = stagingMax;
  stagingMax = Math.min(bytes, STAGING_MAX_BYTES);
  return before;
}

/** How a call's pixels reach its job worker (see ship). */
export interface Shipment<T> {
  /** What the job names (until `stage` replaces it with the staged view). */
  pixels: T;
  /** Buffers to move with the job. */
  transfer: ArrayBuffer[];
  /** Fills the worker's area once the call has one (JobHooks.stage). */
  stage?: (area: Staging) => Promise<void>;
  /** Whether the pixels moved, so the worker should send them back (for a caller that owns them). */
  moved: boolean;
}

/**
 * The cheapest way for `data` to reach a job worker: shared memory as it is (the worker only reads
 * it); pixels of ours (`own`, a buffer a worker sent back) moved; anything else, the caller's or
 * sharp's (whose buffers cannot be moved), copied into the worker's staging area, then `set` given
 * the view; an image above the staging limit copied to a buffer of its own and moved.
 */
export async function ship<T extends Uint8Array | Uint8ClampedArray>(data: T, own: boolean, signal: AbortSignal | undefined, set: (view: T) => void): Promise<Shipment<T>> {
  if (data.buffer instanceof SharedArrayBuffer) return { pixels: data, transfer: [], moved: false };
  if (own && movable(data)) return { pixels: data, transfer: [data.buffer as ArrayBuffer], moved: true };
  if (data.byteLength <= stagingMax) return { pixels: data, transfer: [], moved: false, stage: async (area) => set(await area.fill(data, signal)) };
  const pixels = await copyInSlices(data);
  return { pixels, transfer: [pixels.buffer as ArrayBuffer], moved: true };
}
