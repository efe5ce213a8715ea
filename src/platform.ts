import type { SpawnWorker } from './kernel/pool/thread-pool.js';

/**
 * What the host environment provides, filled in by the entry that knows it: platform-node.ts for the
 * Node entry (files, worker_threads, os), the browser worker for module Workers. The kernel and the
 * host logic only read it, so the browser graph holds no Node built-in.
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

/** Threads to use when the caller does not say. */
export function availableThreads(): number {
  return Math.max(1, platform.cores());
}
