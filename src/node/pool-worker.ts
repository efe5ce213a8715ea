// Entry of one pool thread under Node (worker_threads); the browser twin is src/browser/pool-worker.ts.
// It takes one init message (the kernel's module and the shared memory) and never returns to its event loop.
import { parentPort } from 'node:worker_threads';
import { runPoolWorker } from '../kernel/pool/worker.js';

parentPort!.once('message', (init) => runPoolWorker(init, parentPort!));
