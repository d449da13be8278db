import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // onnxruntime and sharp are native addons: forks isolate them more safely than threads.
    pool: 'forks',
  },
});
