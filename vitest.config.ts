import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests run the Node entry's platform (files, worker_threads), whichever module they import first.
    setupFiles: ['./src/node/platform.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
