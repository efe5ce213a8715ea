// Tests that must run alone: the one timing test (issue 13's exception to "tests never assert a time")
// and the concurrent-calls test, which depends on how the OS schedules threads. They run after the
// main suite (`npm run test:loop`, chained in `npm test`), one file at a time, so no other test file
// competes for the cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/loop/*.alone.ts'],
    setupFiles: ['./src/node/platform.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
