// A job worker of the Node entry (job-pool.ts): runs one call at a time, as the same call would on the
// calling thread, on this thread's own kernel and thread pool; progress is posted after every pass.
import { constants, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { Progress } from '../core/options.js';
import type { JobName, JobReply, JobRequest } from './job-protocol.js';

// Below the calling thread's priority (on Linux, per thread; the pool threads started here inherit it):
// when jobs outnumber the cores, the thread that dispatches them and serves other requests still runs.
// Set before anything else loads, so that even starting 16 workers at once does not starve it.
try { setPriority(constants.priority.PRIORITY_BELOW_NORMAL); } catch { /* not permitted here: keep the default */ }

/** What a job gives back: its value, and the buffers in it to transfer rather than copy. */
export interface JobOutput { value: unknown; transfer: ArrayBuffer[] }
export type JobRunner = (args: never, threads: number | undefined, onProgress: ((p: Progress) => void) | undefined, signal: AbortSignal | undefined) => Promise<JobOutput>;

/** Each job's code, loaded on its first use: a worker that only clusters never loads the file side (sharp, decoders). */
const JOBS: Record<JobName, () => Promise<JobRunner>> = {
  kmeans: async () => (await import('./kmeans-job.js')).kmeansJob as JobRunner,
  apply: async () => (await import('./apply-job.js')).applyJob as JobRunner,
  encode: async () => (await import('./encode-job.js')).encodeJob as JobRunner,
  strips: async () => (await import('./strips-job.js')).stripsJob as JobRunner,
  file: async () => (await import('./file-job.js')).fileJob as JobRunner,
  input: async () => (await import('./kmeans-job.js')).inputJob as JobRunner,
};

const port = parentPort!;
const post = (m: JobReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
// Loaded after the priority is lowered: the Node platform (the kernel's files and pool workers).
const ready = Promise.all([import('./platform.js'), import('./stop-flag.js'), import('./job-protocol.js')]);

port.on('message', async ({ job, args, progress, threads, stop }: JobRequest) => {
  const [, { flagSignal }, { plainError }] = await ready;
  try {
    const onProgress = progress ? (p: Progress) => post({ type: 'progress', progress: p }) : undefined;
    const signal = stop === undefined ? undefined : flagSignal(stop);
    const { value, transfer } = await (await JOBS[job]())(args as never, threads, onProgress, signal);
    post({ type: 'done', value }, transfer);
  } catch (err) {
    post({ type: 'error', error: plainError(err) });
  }
});
