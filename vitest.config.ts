import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global-server.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files start their own servers; two cores, so keep workers few.
    maxWorkers: 2,
    pool: 'forks',
    // In CI the JSON results also go to a file, from which .ci/run prints one plain
    // 'N passed, N failed' line that any log reader understands.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-output/vitest-results.json' }]] : ['default'],
  },
});
