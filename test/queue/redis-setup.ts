/**
 * vitest global setup for the queue tests: the Redis they use. KMEANS_SEG_TEST_REDIS when set (CI
 * starts one, see .ci/run); otherwise a private redis-server, when one is on the PATH and the run
 * includes test/queue/; otherwise none, and the queue tests skip with the reason.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { HAVE_REDIS_SERVER, RedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis URL of the queue tests, or '' when there is none. */
    redisUrl: string;
    /** Why there is none. */
    redisMissing: string;
  }
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Whether the run's file filters (vitest run test/batch ...) select a file of this folder. */
function selectsQueueTests(filters: readonly string[] | undefined): boolean {
  if (!filters || filters.length === 0) return true;
  const files = readdirSync(HERE).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(HERE, f));
  return filters.some((filter) => files.some((f) => f.includes(filter) || f.includes(path.resolve(filter))));
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.KMEANS_SEG_TEST_REDIS;
  if (given) {
    project.provide('redisUrl', given);
    project.provide('redisMissing', '');
    return undefined;
  }
  // The run's file filters: vitest keeps them as filenamePattern (not typed as public in vitest 4).
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern ?? project.globalConfig.filters;
  if (!HAVE_REDIS_SERVER || !selectsQueueTests(filters)) {
    project.provide('redisUrl', '');
    project.provide('redisMissing', HAVE_REDIS_SERVER ? 'not selected' : 'KMEANS_SEG_TEST_REDIS is unset and redis-server is not on the PATH (apt-get install redis-server)');
    return undefined;
  }
  const server = await RedisServer.start();
  project.provide('redisUrl', server.url);
  project.provide('redisMissing', '');
  return () => server.stop();
}
