import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: no server, no network, no Go; `npm run test:unit` runs it alone,
 * offline. `integration`: real servers over real sockets; its global setup obtains the
 * suite's server (see test/setup/). `npm test` runs both.
 */
export default defineConfig({
  test: {
    // Integration files start their own servers; two cores, so keep workers few.
    maxWorkers: 2,
    pool: 'forks',
    // In CI the JSON results also go to a file, from which .ci/run prints one plain
    // 'N passed, N failed' line that any log reader understands.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-output/vitest-results.json' }]] : ['default'],
    projects: [
      {
        extends: true,
        // One module graph per worker (no re-import of the driver and the stages for every
        // file): importing, not testing, was four fifths of the unit run's time.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000, isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global-server.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
