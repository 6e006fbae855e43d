import { defineConfig } from 'vitest/config';

/** The interop checks against py-ipv8 (`npm run interop`); `npm test` never includes them. */
export default defineConfig({
  test: {
    include: ['test/interop/**/*.interop.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
