/**
 * What the host environment provides (files, workers, cores), filled in by the entry that knows it.
 * The kernel and the host logic only read it, so the browser graph holds no Node built-in.
 */
import type { ThreadPool } from './kernel/pool/thread-pool.js';

/**
 * Filled in by node/platform.ts for the Node entry (files, worker_threads, os), and by the browser
 * worker (browser/worker.ts) for module Workers.
 */
export interface Platform {
  /** Reads a file: URL (the wasm next to the code). Browsers fetch instead. */
  readFile?: (url: URL) => Promise<Uint8Array>;
  /**
   * Starts a pool of workers over the kernel's shared memory (poolStarter in thread-pool.ts); none
   * means the wasm kernel runs on one thread. Set only where workers can start and the thread may
   * wait for them, so the page's bundle carries no pool.
   */
  startPool?: (module: WebAssembly.Module, memory: WebAssembly.Memory) => ThreadPool;
  /** Threads this machine offers. */
  cores: () => number;
}

export const platform: Platform = {
  cores: () => (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1,
};

export function setPlatform(parts: Partial<Platform>): void {
  Object.assign(platform, parts);
}

/** Threads to use when the caller does not say. */
export function availableThreads(): number {
  return Math.max(1, platform.cores());
}
