/**
 * The module Worker that segmentImageData runs a job in: one job at a time, kept alive between jobs
 * so the kernel and its thread pool are set up once. The page ends it with terminate() to abort.
 */
import { setWorkerFactory } from '../platform.js';
import { runJob, type JobReply, type JobRequest } from './job.js';
import { chooseKernel, spawnBrowserWorker, threadsHere } from './tiers.js';
import type { Progress } from '../core/options.js';

// The DOM and webworker libs cannot share one program, so the few members used are typed here.
interface WorkerScope {
  postMessage(message: JobReply, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<JobRequest>) => void): void;
}
const scope = self as unknown as WorkerScope;

setWorkerFactory(spawnBrowserWorker);

scope.addEventListener('message', async (event) => {
  const { module, loadError, image, options, progress } = event.data;
  try {
    const choice = await chooseKernel(options.backend, module, threadsHere(options.threads), loadError);
    const onProgress = progress ? (p: Progress) => scope.postMessage({ type: 'progress', progress: p }) : undefined;
    const result = runJob(image, { ...options, onProgress, signal: undefined }, choice);
    scope.postMessage({ type: 'done', result }, [result.labels.buffer, result.rgba.buffer]);
  } catch (err) {
    const e = err as { name?: string; message?: string; code?: string } | null;
    scope.postMessage({ type: 'error', error: { name: e?.name ?? 'Error', message: e?.message ?? String(err), code: e?.code } });
  }
});
