/**
 * The one loader of sharp (libvips). Invariant: sharp is imported on first use, never at import time,
 * and a sharp that cannot load is ERR_BACKEND, worded here and nowhere else.
 */
import { createRequire } from 'node:module';
import { KMeansSegError } from '../errors.js';
import { firstLine } from './error-text.js';

export type Sharp = typeof import('sharp').default;
let sharpModule: Promise<Sharp> | undefined;

// sharp ships CommonJS and ESM builds of the same code; require() loads the CommonJS one in about
// half the time of import(), whose many small modules link one by one (measured: 45-90 ms against
// 150-250 ms on Node 20), and that load is most of a small image's decode time in the CLI.
const requireSharp = (): Sharp => createRequire(import.meta.url)('sharp') as Sharp;

/**
 * sharp is loaded on first use, not at import: `kmeans()` on pixels in memory (and so the package's
 * main entry) must work where sharp's native binary cannot load, e.g. a browser or an unsupported
 * platform. A failed load is not cached, so a later call tries again.
 *
 * @throws ERR_BACKEND when sharp cannot be loaded.
 */
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= Promise.resolve().then(requireSharp).catch((error: unknown) => {
    sharpModule = undefined;
    throw new KMeansSegError('ERR_BACKEND',
      `sharp, which reads and writes image files, could not be loaded (${firstLine(error)}): reinstall it with "npm install sharp", or decode the image yourself and call kmeans({ data, width, height })`,
      { cause: error });
  });
  return sharpModule;
}
