// Runs with every test file (vitest.config.ts setupFiles): child CLIs still running are killed and whatever the
// file made with tempDir is removed at its end.
import { afterAll } from 'vitest';
import { killChildren, removeTempDirs } from './helpers.js';

afterAll(() => {
  killChildren();
  removeTempDirs();
});
