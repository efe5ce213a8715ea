// A stop flag in shared memory, seen inside a job worker as an AbortSignal. The worker's thread is busy
// in synchronous code, so no message or event can reach it; a flag it reads between passes (and between
// slices, wherever the core checks signal.aborted) can. Invariant: once set, it stays set.
const STOPPED = 0;

/** The calling thread's side: a flag to send with the job, and the way to raise it. */
export function stopFlag(): { flag: Int32Array; raise(): void } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  return { flag, raise: () => { Atomics.store(flag, STOPPED, 1); } };
}

/**
 * The worker's side: an object the core takes for an AbortSignal (instanceof holds) whose `aborted`
 * reads the flag. Only the synchronous members are real (aborted, reason, throwIfAborted): nothing in
 * a job waits for an 'abort' event, which could never be delivered to a busy thread anyway.
 */
export function flagSignal(flag: Int32Array): AbortSignal {
  const reason = (): Error => Object.assign(new Error('the call was aborted on the calling thread'), { name: 'AbortError' });
  const signal = Object.create(AbortSignal.prototype) as AbortSignal;
  Object.defineProperties(signal, {
    aborted: { get: () => Atomics.load(flag, STOPPED) !== 0 },
    reason: { get: () => (Atomics.load(flag, STOPPED) !== 0 ? reason() : undefined) },
    throwIfAborted: { value: () => { if (Atomics.load(flag, STOPPED) !== 0) throw reason(); } },
    addEventListener: { value: () => undefined },
    removeEventListener: { value: () => undefined },
    onabort: { value: null, writable: true },
  });
  return signal;
}
