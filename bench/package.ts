// The package as users run it: the built entry (dist/index.js) and the CLI (bin/kmeans-seg.js). The
// Performance II suites go through these only, so they measure whatever dist/ and bin/ are now,
// whatever src/ internals move; `npm run bench` builds first.
import path from 'node:path';
import { BENCH_DIR } from './lib.js';

export { kmeans, terminateWorkers, type KMeansOptions, type KMeansResult, type RGBAImage } from '../dist/index.js';

export const ROOT = path.dirname(BENCH_DIR);
export const CLI = path.join(ROOT, 'bin', 'kmeans-seg.js');
