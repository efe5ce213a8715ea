// The Node entry's platform (files, worker_threads, cores): imported for its effect by index.ts and by
// every Node-only module, so that on every Node path the kernel can read its wasm and start workers.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { startBatchWorker } from '../batch/exec-argv.js';
import { setPlatform } from '../platform.js';
import { poolStarter, type SpawnWorker } from '../kernel/pool/thread-pool.js';
import { workerEntry } from './worker-entry.js';

/** worker_threads, started from the built .js, or from a tsx shim when running the TypeScript sources. */
const spawnNodeWorker: SpawnWorker = async (init) => {
  const url = workerEntry(import.meta.url, new URL('./pool-worker.mjs', import.meta.url), new URL('./pool-worker.js', import.meta.url));
  const worker = startBatchWorker(url, {}, 'kmeans-seg kernel worker');
  worker.unref(); // an idle pool must not keep the process alive
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    // A worker that exits before it is ready would otherwise leave this wait, and the pool, hanging.
    worker.once('exit', (code) => reject(new Error(`the kernel worker exited (code ${code}) before it was ready`)));
    worker.postMessage(init);
  });
  return worker;
};

setPlatform({ readFile: (url) => readFile(url), startPool: poolStarter(spawnNodeWorker), cores: availableParallelism });
