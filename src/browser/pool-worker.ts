/** Entry of one pool thread in a browser (a module Worker); the Node twin is src/node/pool-worker.ts. */
import { runPoolWorker, type WorkerPort } from '../kernel/pool/worker.js';

/**
 * A thread of the pool in a browser: a module Worker that takes its init message (the kernel module
 * and the shared memory) and then never returns to its event loop; terminate() ends it.
 */
const scope = self as unknown as WorkerPort & { addEventListener(type: 'message', listener: (event: MessageEvent) => void, options: { once: true }): void };

scope.addEventListener('message', (event) => runPoolWorker(event.data, scope), { once: true });
