import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest runs availableParallelism() - 1 workers by default: one on CI's 2 cores, which puts the suite over
    // its 10-minute budget (about 12.5 CPU minutes of tests). Two workers use both cores.
    maxWorkers: 2,
  },
});
