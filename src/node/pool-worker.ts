import { parentPort } from 'node:worker_threads';
import { runPoolWorker } from '../kernel/pool/chunks.js';

parentPort!.once('message', (init) => runPoolWorker(init, parentPort!));
