/**
 * What the host environment provides (files, workers, cores), filled in by the entry that knows it.
 * The kernel and the host logic only read it, so the browser graph holds no Node built-in.
 */
import type { SpawnWorker } from './kernel/pool/thread-pool.js';

/**
 * Filled in by node/platform.ts for the Node entry (files, worker_threads, os), and by the browser
 * worker (browser/worker.ts) for module Workers.
 */
export interface Platform {
  /** Reads a file: URL (the wasm next to the code). Browsers fetch instead. */
  readFile?: (url: URL) => Promise<Uint8Array>;
  /** Starts a pool worker; none means the wasm kernel runs on one thread. */
  spawnWorker?: SpawnWorker;
  /** Threads this machine offers. */
  cores: () => number;
}

export const platform: Platform = {
  cores: () => (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1,
};

export function setPlatform(parts: Partial<Platform>): void {
  Object.assign(platform, parts);
}

/** The browser worker installs its module-Worker factory here; null disables threads. */
export function setWorkerFactory(spawn: SpawnWorker | null): void {
  setPlatform({ spawnWorker: spawn ?? undefined });
}

/** Threads to use when the caller does not say. */
export function availableThreads(): number {
  return Math.max(1, platform.cores());
}
