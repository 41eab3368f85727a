import { defineConfig } from 'vitest/config';

/**
 * The fault suite: real processes and real outages of the shared services, so its files run
 * one at a time and never beside the other tests. `VISTA_FAULTS=full` runs it at full scale
 * (`npm run test:faults`); `npm test` runs the reduced form.
 */
export default defineConfig({
  test: {
    // Vista's own tests run its demo shop unless told otherwise; child processes inherit it.
    env: { VISTA_APP: process.env.VISTA_APP ?? 'shop' },
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
