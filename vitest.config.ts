import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The fault suite (test/faults) stops shared services: it runs alone, see vitest.faults.config.ts.
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // Integration tests talk to real services; a cold JetStream or Elasticsearch takes seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: running several service-heavy files at once only makes each slower.
    maxWorkers: 2,
  },
});
