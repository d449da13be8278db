import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // removes the temp folders each test file made (tests/helpers.ts tempDir), and a killed run's on the next run
    setupFiles: ['tests/setup.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // tests that spawn bin/semibench.js run the TypeScript sources, never a stale dist/ build
    env: { SEMIBENCH_FROM_SOURCE: '1' },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // onnxruntime and sharp are native addons: forks isolate them more safely than threads.
    pool: 'forks',
    // The JSON file is what .ci/run counts passes and failures from.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
