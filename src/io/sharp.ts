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
 * platform. It is an optional peer dependency (browser-only projects skip its 20 MB), so "not
 * installed" gets its own fix. A failed load is not cached, so a later call tries again.
 *
 * @throws ERR_BACKEND when sharp is not installed or cannot be loaded.
 */
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= Promise.resolve().then(requireSharp).catch((error: unknown) => {
    sharpModule = undefined;
    throw new KMeansSegError('ERR_BACKEND', sharpMissing(error)
      ? 'sharp is not installed: kmeans-seg reads and writes image files with it, an optional peer dependency so that browser-only projects need not install it. Run "npm install sharp" (with "npm install -g sharp" for a global kmeans-seg), or decode the image yourself and call kmeans({ data, width, height })'
      : `sharp, which reads and writes image files, could not be loaded (${firstLine(error)}): reinstall it with "npm install sharp", or decode the image yourself and call kmeans({ data, width, height })`,
    { cause: error });
  });
  return sharpModule;
}

/** sharp itself was not found (as opposed to sharp found but its binary or a dependency failing). */
function sharpMissing(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && /^Cannot find (module|package) 'sharp'/.test(e.message);
}
