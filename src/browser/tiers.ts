/**
 * The browser's kernel tiers (wasm on threads, wasm, TS) and the choice between them: a tier is used
 * only after its probe computes a known answer right, so results never differ between tiers.
 */
import { getCompiledKernel, type KernelChoice } from '../kernel/select.js';
import { KMeansSegError } from '../errors.js';
import { jsKernel } from '../kernel/js.js';
import type { Backend } from '../core/options.js';

/**
 * The three ways a browser runs the distance-and-assign kernel, best first. A tier is used only after
 * it has computed a known answer right (against the TS twin), so an engine that instantiates the
 * module but miscomputes falls through to the next tier; results never differ between tiers.
 */
export type Tier = 'wasm-threads' | 'wasm' | 'js';

export interface TierChoice extends KernelChoice { tier: Tier }

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
    // getCompiledKernel's ERR_BACKEND wraps the engine's own error: that one is the reason.
    const e = err as { message?: string; cause?: { message?: string } } | null;
    return fallback(backend, e?.cause?.message ?? e?.message ?? String(err));
  }
}

async function pickWasm(module: WebAssembly.Module, threads: number): Promise<TierChoice> {
  // getCompiledKernel checks the kernel's answers, on one thread and split across a new pool.
  const choice = await getCompiledKernel('wasm', threads, module);
  return { ...choice, tier: choice.threads > 1 ? 'wasm-threads' : 'wasm' };
}

function fallback(backend: Backend, reason: string): TierChoice {
  if (backend === 'auto') return { tier: 'js', kernel: jsKernel, threads: 1, fallback: reason };
  throw new KMeansSegError(
    'ERR_BACKEND',
    `backend 'wasm' cannot run here (${reason}): use backend 'auto' or 'js', or pass wasm: a URL where build/kmeans.wasm is served as application/wasm`,
  );
}
