// Development shim for the job worker: Node 20 cannot start a .ts Worker, so under tsx/vitest the job
// pool starts this file. Registering tsx costs each worker about a second on a busy machine, so when
// dist/ was built after the last change to src/ (as `npm test` builds first), the built worker of the
// same sources runs instead; otherwise tsx loads job-worker.ts. Built code (dist/) starts the .js directly.
import { readdirSync, statSync } from 'node:fs';
import { constants, setPriority } from 'node:os';

// As job-worker.ts does, but before tsx and the sources load (see there).
try { setPriority(constants.priority.PRIORITY_BELOW_NORMAL); } catch { /* keep the default */ }

const SRC = new URL('../', import.meta.url);
const BUILT = new URL('../../dist/node/job-worker.js', import.meta.url);

/** The newest modification time of the .ts files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const url = new URL(e.name + (e.isDirectory() ? '/' : ''), dir);
    if (e.isDirectory()) t = Math.max(t, newest(url));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(url).mtimeMs);
  }
  return t;
}

let fresh = false;
try {
  fresh = statSync(BUILT).mtimeMs > newest(SRC);
} catch {
  fresh = false; // no build: the sources it is
}
if (fresh) {
  await import(BUILT.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./job-worker.ts');
}
