import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULTS, type BenchConfig } from '../src/config/index.js';

export const FIXTURE_EVALSET = resolve('fixtures/evalset');

export function tempDir(prefix = 'semibench-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A copy of the bundled eval set that a test may damage. */
export function copyEvalset(): string {
  const dir = join(tempDir(), 'evalset');
  cpSync(FIXTURE_EVALSET, dir, { recursive: true });
  return dir;
}

/** Appends raw CSV lines to an eval set's metadata.csv. */
export function appendMetadata(dir: string, lines: string[]): void {
  const file = join(dir, 'metadata.csv');
  writeFileSync(file, readFileSync(file, 'utf8') + lines.join('\n') + '\n');
}

/** A complete config for tests: builtins only, on the bundled eval set, into a fresh folder. */
export function testConfig(overrides: Partial<BenchConfig> = {}): BenchConfig {
  return {
    ...DEFAULTS,
    data: FIXTURE_EVALSET,
    out: join(tempDir(), 'run'),
    detectors: ['npr-residual', 'spectral-hf'],
    modelsDir: join(tempDir(), 'models'),
    manifestsDir: join(tempDir(), 'manifests'),
    ...overrides,
  };
}
