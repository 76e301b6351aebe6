import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Grading runs real servers; a failing one costs its checks' bounds, which are seconds.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Grading is mostly waiting on the wire, not computing: two files at a time on two cores (vitest
    // would run one, leaving the suite twice as long).
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
