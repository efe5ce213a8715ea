import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests run the Node entry's platform (files, worker_threads), whichever module they import first.
    setupFiles: ['./src/node/platform.ts'],
    // The queue tests' Redis (test/queue/): KMEANS_SEG_TEST_REDIS, or a private redis-server.
    globalSetup: ['./test/queue/redis-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
