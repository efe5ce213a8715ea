/**
 * The module Worker that segmentImageData runs a job in: one job at a time, kept alive between jobs
 * so the kernel and its thread pool are set up once. The page ends it with terminate() to abort.
 */
import { setPlatform } from '../platform.js';
import { poolStarter, type SpawnWorker } from '../kernel/pool/thread-pool.js';
import { chooseTier, runJob, type JobReply, type JobRequest } from './job.js';
import type { Progress } from '../core/options.js';

// The DOM and webworker libs cannot share one program, so the few members used are typed here.
interface WorkerScope {
  postMessage(message: JobReply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<JobRequest>) => void): void;
}
const scope = self as unknown as WorkerScope;

/**
 * Pool workers for the threads tier: module Workers running pool-worker.ts. Only this worker starts
 * them (a page cannot wait on a pool), so the page's bundle holds neither them nor the pool.
 */
const spawnBrowserWorker: SpawnWorker = (init) => new Promise((resolve, reject) => {
  const worker = new Worker(new URL('./pool-worker.js', import.meta.url), { type: 'module', name: `kmeans-seg pool ${init.index}` });
  worker.addEventListener('message', () => resolve(worker), { once: true });
  worker.addEventListener('error', (event) => {
    worker.terminate();
    reject(new Error(`pool worker ${init.index} failed: ${event.message || 'its script did not load'}`));
  }, { once: true });
  worker.postMessage(init);
});

setPlatform({ startPool: poolStarter(spawnBrowserWorker) });

scope.addEventListener('message', async (event) => {
  const { module, loadError, image, options, progress } = event.data;
  try {
    const choice = await chooseTier(options, module, loadError);
    const onProgress = progress ? (p: Progress) => scope.postMessage({ type: 'progress', progress: p }) : undefined;
    const result = runJob(image, { ...options, onProgress, signal: undefined }, choice);
    const r = result.regionData;
    const regionBuffers = r === null ? [] : [r.runs.x0, r.runs.x1, r.runs.region, r.runs.rowStart, r.cluster, r.bbox, r.stats].map((a) => a.buffer);
    scope.postMessage({ type: 'done', result }, [result.labels.buffer, result.rgba.buffer, ...regionBuffers]);
  } catch (err) {
    const e = err as { name?: string; message?: string; code?: string } | null;
    scope.postMessage({ type: 'error', error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), code: e?.code } });
  }
});
