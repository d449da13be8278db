// Runs with every test file (vitest.config.ts setupFiles): whatever the file made with tempDir is removed at its end.
import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);
