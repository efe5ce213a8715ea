import { getKernel, type KernelChoice } from './backend.js';
import { KMeansSegError } from './errors.js';
import type { Kernel, KernelSession, Points } from './kernel.js';
import { jsKernel } from './kernel-js.js';
import { WasmKernel } from './kernel-wasm.js';
import type { Backend } from './options.js';
import type { SpawnWorker } from './pool.js';

/**
 * The three ways a browser runs the distance-and-assign kernel, best first. A tier is used only after
 * it has computed a known answer right (against the TS twin), so an engine that instantiates the
 * module but miscomputes falls through to the next tier; results never differ between tiers.
 */
export type Tier = 'wasm-threads' | 'wasm' | 'js';

export interface TierChoice extends KernelChoice { tier: Tier }

/** Pool workers for the threads tier: module Workers running pool-worker-browser.ts. */
export const spawnBrowserWorker: SpawnWorker = (init) => new Promise((resolve, reject) => {
  const worker = new Worker(new URL('./pool-worker-browser.js', import.meta.url), { type: 'module', name: `kmeans-seg pool ${init.index}` });
  worker.addEventListener('message', () => resolve(worker), { once: true });
  worker.addEventListener('error', (event) => {
    worker.terminate();
    reject(new Error(`pool worker ${init.index} failed: ${event.message || 'its script did not load'}`));
  }, { once: true });
  worker.postMessage(init);
});

/**
 * Threads this thread may use: more than one only where memory may be shared between threads
 * (cross-origin isolation) and this thread may Atomics.wait for the pool (a worker, not a page).
 */
export function threadsHere(wanted: number | undefined): number {
  const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; navigator?: { hardwareConcurrency?: number } };
  if (g.crossOriginIsolated !== true || g.document !== undefined || typeof Worker !== 'function') return 1;
  return Math.max(1, wanted ?? g.navigator?.hardwareConcurrency ?? 1);
}

const chosen = new WeakMap<WebAssembly.Module, Map<number, Promise<TierChoice>>>();

/**
 * The kernel for `backend` on this thread, memoised per module and thread count (a pool, once
 * started, serves every later job). `module` is undefined when compiling failed or was skipped:
 * 'auto' then runs the TS twin and 'wasm' reports `loadError`.
 */
export async function chooseKernel(backend: Backend, module: WebAssembly.Module | undefined, threads: number, loadError?: string): Promise<TierChoice> {
  if (backend === 'js') return { tier: 'js', kernel: jsKernel, threads: 1 };
  if (!module) return fallback(backend, loadError ?? 'the kernel was not compiled');
  let perModule = chosen.get(module);
  if (!perModule) chosen.set(module, (perModule = new Map()));
  let p = perModule.get(threads);
  if (!p) {
    p = pickWasm(module, threads);
    perModule.set(threads, p);
    p.catch(() => perModule!.delete(threads));
  }
  try {
    return await p;
  } catch (err) {
    return fallback(backend, (err as Error)?.message ?? String(err));
  }
}

async function pickWasm(module: WebAssembly.Module, threads: number): Promise<TierChoice> {
  let choice: KernelChoice;
  if (typeof SharedArrayBuffer === 'function') {
    choice = await getKernel('wasm', threads, module);
  } else {
    // TODO(core): backend.ts refuses wasm where the SharedArrayBuffer global is hidden (Chromium
    // without cross-origin isolation), yet shared wasm memory works there; once it tries the memory
    // instead, this branch goes. Until then: the kernel on one thread, checked here.
    const kernel = new WasmKernel(module);
    if (!answersRight(kernel, 1)) throw new Error('the SIMD kernel gave a wrong answer on the probe');
    choice = { kernel, threads: 1 };
  }
  // The pool splits a pass only above a work threshold, so its probe is large enough to be split.
  if (choice.threads > 1 && !answersRight(choice.kernel, choice.threads)) choice = { kernel: choice.kernel, threads: 1 };
  return { ...choice, tier: choice.threads > 1 ? 'wasm-threads' : 'wasm' };
}

function fallback(backend: Backend, reason: string): TierChoice {
  if (backend === 'auto') return { tier: 'js', kernel: jsKernel, threads: 1 };
  throw new KMeansSegError(
    'ERR_BACKEND',
    `backend 'wasm' cannot run here (${reason}): use backend 'auto' or 'js', or pass wasm: a URL where build/kmeans.wasm is served as application/wasm`,
  );
}

/**
 * Known answer from the TS twin, as backend.ts checks it: one assignment pass and one k-means++
 * distance pass over weighted points whose count is not a multiple of 8 (SIMD body and scalar tail),
 * centroids 0 and 2 equal so every tie must go to the lower index. On one thread 21 points; for a
 * pool 40 001 points x 8 centroids, above the pool's split threshold (2^18), so the pass is split.
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
      session.seeding.closest.set(p.z);
      const potential = session.seeding.minDistances(5);
      return [inertiaQ, changed, ...session.labels, ...session.sums, potential, ...session.seeding.candidate];
    } finally {
      session.dispose();
    }
  };
  const got = answer(kernel.open(p, k, threads));
  const want = answer(jsKernel.open(p, k));
  return got.length === want.length && got.every((v, i) => Object.is(v, want[i]));
}
