import { parentPort } from 'node:worker_threads';
import { runPoolWorker } from './pool-worker-core.js';

parentPort!.once('message', (init) => runPoolWorker(init, parentPort!));
