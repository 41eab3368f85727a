import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package's own name, as the getting-started guide's application imports it.
  resolve: {
    alias: [
      { find: /^vista$/, replacement: resolve(import.meta.dirname, 'projectors/engine/index.ts') },
      {
        find: /^vista\/testing$/,
        replacement: resolve(import.meta.dirname, 'projectors/engine/testing/face.ts'),
      },
    ],
  },
  test: {
    // Vista's own tests run its demo shop unless told otherwise; child processes inherit it.
    env: { VISTA_APP: process.env.VISTA_APP ?? 'shop' },
    // The fault suite (test/faults) stops shared services: it runs alone, see vitest.faults.config.ts.
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // Integration tests talk to real services; a cold JetStream or Elasticsearch takes seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: running several service-heavy files at once only makes each slower.
    maxWorkers: 2,
  },
});
