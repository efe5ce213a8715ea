/**
 * Which kernel runs: the SIMD wasm kernel once it has answered a known case right (on one thread and
 * across a new pool), else the TS twin or ERR_BACKEND. Either way the results are the same bits.
 */
import { KMeansSegError } from '../errors.js';
import type { Kernel, KernelSession, Points } from './kernel.js';
import { jsKernel } from './js.js';
import type { Backend } from '../core/options.js';
import { WasmKernel } from './wasm/wasm-kernel.js';
import { compileKernel, type WasmSource } from './wasm/module.js';
import { wasmBytesPerPoint } from './wasm/memory.js';
import { platform } from '../platform.js';

const DEFAULT_SOURCE = {};
const kernels = new Map<WasmSource | object, Promise<WasmKernel>>();

/**
 * Instantiate the SIMD kernel and check its answer on a small case with ties against the TS twin:
 * an engine that instantiates the module but computes something else must not be used.
 */
async function loadWasm(compile: () => Promise<WebAssembly.Module>): Promise<WasmKernel> {
  if (typeof WebAssembly !== 'object') throw new Error('WebAssembly is not available here');
  const kernel = new WasmKernel(await compile());
  if (!answersRight(kernel, 1)) throw new Error('the SIMD kernel gave a wrong answer on the probe');
  return kernel;
}

/**
 * Known answer from the TS twin: one assignment pass and a few k-means++ steps over weighted points
 * whose count is not a multiple of 8 (SIMD body and scalar tail), with centroids 0 and 2 equal so
 * every tie must go to the lower index. For a pool, 40 001 points x 8 centroids: above the
 * split threshold, so the pass really is shared between threads.
 */
function answersRight(kernel: Kernel, threads: number): boolean {
  const n = threads > 1 ? 40001 : 21;
  const k = threads > 1 ? 8 : 4;
  const p: Points = { x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), w: new Uint32Array(n), n };
  for (let i = 0; i < n; i++) {
    p.x[i] = (i * 37) % 256; p.y[i] = (i * 91) % 256; p.z[i] = (i * 53) % 256; p.w![i] = 1 + (i % 3);
  }
  p.x[3] = 10; p.y[3] = 20; p.z[3] = 30;
  const centroids = new Float32Array([10, 20, 30, 0, 0, 0, 10, 20, 30, 200, 100, 50, 128, 128, 128, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  const answer = (session: KernelSession): number[] => {
    try {
      const { inertiaQ, changed } = session.assign(centroids.subarray(0, k * 3));
      const seeding = session.seeding;
      seeding.reset();
      const first = seeding.draw(seeding.total() * 0.75);
      seeding.add(first);
      const total = seeding.total();
      const seeds = [first, total, seeding.draw(total / 3), seeding.potential(5)];
      seeding.add(5);
      return [inertiaQ, changed, ...session.labels, ...session.sums, ...seeds, seeding.total(), seeding.draw(seeding.total() / 2)];
    } finally {
      session.dispose();
    }
  };
  const got = answer(kernel.open(p, k, threads));
  const want = answer(jsKernel.open(p, k));
  return got.length === want.length && got.every((v, i) => Object.is(v, want[i]));
}

export interface KernelChoice {
  kernel: Kernel;
  /** Threads the kernel may use (1 for the TS backend). */
  threads: number;
  /** Why backend 'auto' fell back to the TS twin (the wasm kernel's error); the result warns with it. */
  fallback?: string;
}

/**
 * Bytes of wasm memory `points` points of `dims` coordinates take in a session, beyond its small
 * fixed part. Known before any kernel loads, so callers can refuse work above wasm32's 4 GiB
 * (WASM_MAX_BYTES) up front, whichever kernel backend 'auto' would pick.
 */
export function wasmSessionBytes(points: number, dims: number, weighted: boolean): number {
  return points * wasmBytesPerPoint(dims, weighted);
}

/**
 * The kernel for a backend option. 'auto' falls back to TS when SIMD wasm is missing or fails its
 * probe; 'wasm' then fails with ERR_BACKEND. threads > 1 starts (once) a pool of workers sharing the
 * kernel's memory; where workers cannot start, the wasm kernel runs on one thread.
 * @throws KMeansSegError ERR_BACKEND for backend 'wasm' when the wasm kernel cannot load or answers wrong.
 */
export function getKernel(backend: Backend, threads = 1, source?: WasmSource): Promise<KernelChoice> {
  // Without a source, the build this engine can instantiate: shared memory (threads possible), or
  // the plain-memory build where shared memory is refused.
  return kernelFor(backend, threads, source ?? DEFAULT_SOURCE, () => compileKernel(source));
}

/**
 * getKernel for a module compiled already: the browser's tiers, where the page compiles the module
 * and each worker only instantiates it. Their bundles then leave out the code that fetches and compiles.
 */
export function getCompiledKernel(backend: Backend, threads: number, module: WebAssembly.Module): Promise<KernelChoice> {
  return kernelFor(backend, threads, module, () => Promise.resolve(module));
}

/** getKernel's work, with the source as a memo key and a way to compile it. */
async function kernelFor(backend: Backend, threads: number, key: WasmSource | object, compile: () => Promise<WebAssembly.Module>): Promise<KernelChoice> {
  if (backend === 'js') return { kernel: jsKernel, threads: 1 };
  let kernel: WasmKernel;
  try {
    // One kernel (memory, instance, pool) per source, for the life of the thread.
    let p = kernels.get(key);
    if (!p) {
      p = loadWasm(compile);
      kernels.set(key, p);
      p.catch(() => kernels.delete(key));
    }
    kernel = await p;
  } catch (err) {
    if (backend === 'auto') return { kernel: jsKernel, threads: 1, fallback: (err as Error)?.message ?? String(err) };
    throw new KMeansSegError(
      'ERR_BACKEND',
      `backend 'wasm' cannot run here (${(err as Error).message}): use backend 'auto' or 'js', or run npm run build to create build/kmeans.wasm`,
      { cause: err },
    );
  }
  const startPool = platform.startPool;
  if (threads > 1 && startPool && kernel.shared && !kernel.pool?.broken) {
    try {
      const before = kernel.pool?.size ?? 0;
      kernel.pool ??= startPool(kernel.module, kernel.memory);
      await kernel.pool.ensure(threads);
      // New workers answer a split probe before they get real work.
      if (kernel.pool.size > before && !answersRight(kernel, kernel.pool.size + 1)) kernel.pool.broken = true;
    } catch {
      threads = 1 + (kernel.pool?.size ?? 0);
    }
  }
  if (kernel.pool?.broken) threads = 1;
  return { kernel, threads: Math.min(threads, 1 + (kernel.pool?.size ?? 0)) };
}

/**
 * Stop every kernel's pool and forget the kernels, so that a garbage collection can free their memory
 * (after a 12 MP photo, about 70 MiB resident: the histogram's table and the session): for a process
 * that clusters once and then only encodes (the CLI). Call it with no session open; a later run
 * builds a new kernel. The pools are awaited: a pool that is stopping still holds the memory.
 */
export async function releaseKernels(): Promise<void> {
  const all = [...kernels.values()];
  kernels.clear();
  for (const p of all) await (await p.catch(() => undefined))?.pool?.terminate();
}

/** Stop the pool's workers (they are unref'd, so an idle pool never holds a Node process open). */
export async function terminateWorkers(): Promise<void> {
  for (const p of kernels.values()) {
    const k = await p.catch(() => undefined);
    await k?.pool?.terminate();
  }
}
