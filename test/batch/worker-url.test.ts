/**
 * A batch worker starts from the bundle of its modules only when the build made it with worker.js or
 * after (src/batch/worker-url.ts): a bundle older than worker.js would run stale code.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchWorkerUrl, freshBundle } from '../../src/batch/worker-url.js';

let tmp: string;
beforeAll(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'kmeans-seg-worker-url-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

async function files(bundleAge: number | null): Promise<{ bundle: URL; built: URL }> {
  const dir = await mkdtemp(path.join(tmp, 'case-'));
  const built = path.join(dir, 'worker.js'), bundle = path.join(dir, 'worker-bundle.js');
  await writeFile(built, '');
  const now = Date.now() / 1000;
  await utimes(built, now - 100, now - 100);
  if (bundleAge !== null) {
    await writeFile(bundle, '');
    await utimes(bundle, now - 100 + bundleAge, now - 100 + bundleAge);
  }
  return { bundle: pathToFileURL(bundle), built: pathToFileURL(built) };
}

describe('the batch worker entry', () => {
  it('is the bundle when it is as new as worker.js or newer', async () => {
    for (const age of [0, 5]) {
      const { bundle, built } = await files(age);
      expect(freshBundle(bundle, built).href).toBe(bundle.href);
    }
  });

  it('is worker.js when the bundle is older, or missing', async () => {
    const older = await files(-5);
    expect(freshBundle(older.bundle, older.built).href).toBe(older.built.href);
    const none = await files(null);
    expect(freshBundle(none.bundle, none.built).href).toBe(none.built.href);
  });

  it('is the .mjs shim from the TypeScript sources', () => {
    expect(batchWorkerUrl().pathname).toMatch(/\/src\/batch\/worker\.mjs$/);
  });
});
