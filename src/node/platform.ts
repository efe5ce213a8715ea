// The Node entry's platform (files, worker_threads, cores): imported for its effect by index.ts and by
// every Node-only module, so that on every Node path the kernel can read its wasm and start workers.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setPlatform } from '../platform.js';
import { poolStarter, type SpawnWorker } from '../kernel/pool/thread-pool.js';
import { workerEntry } from './worker-entry.js';

/** worker_threads, started from the built .js, or from a tsx shim when running the TypeScript sources. */
const spawnNodeWorker: SpawnWorker = async (init) => {
  const url = workerEntry(import.meta.url, new URL('./pool-worker.mjs', import.meta.url), new URL('./pool-worker.js', import.meta.url));
  const worker = new Worker(url);
  worker.unref(); // an idle pool must not keep the process alive
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.postMessage(init);
  });
  return worker;
};

setPlatform({ readFile: (url) => readFile(url), startPool: poolStarter(spawnNodeWorker), cores: availableParallelism });
