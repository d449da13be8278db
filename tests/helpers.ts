import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULTS, type BenchConfig } from '../src/config/index.js';

export const FIXTURE_EVALSET = resolve('fixtures/evalset');

const madeDirs: string[] = [];

/** A fresh folder in the temp dir; tests/setup.ts removes it after the test file (removeTempDirs). */
export function tempDir(prefix = 'semibench-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/** Removes every folder tempDir made so far. */
export function removeTempDirs(): void {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Whether a test that needs Debian's Python reference libraries (PyTorch export, end-to-end fidelity) skips:
 * yes, with the reason printed, when they are missing, except under CI=true, where .ci/run installs them and a
 * skip would hide a fidelity check: there the test file fails with the reason.
 */
export function skipWithoutReference(what: string, missing: string | undefined): boolean {
  if (missing === undefined) return false;
  if (process.env.CI === 'true') throw new Error(`[${what}] CI=true and the reference libraries are missing: ${missing}`);
  console.warn(`[${what}] skipped: ${missing}`);
  return true;
}

/** A copy of the bundled eval set that a test may damage. */
export function copyEvalset(): string {
  const dir = join(tempDir(), 'evalset');
  cpSync(FIXTURE_EVALSET, dir, { recursive: true });
  return dir;
}

/** Appends rows (the leading columns given, the rest left empty) to an eval set's metadata.csv. */
export function appendMetadata(dir: string, rows: string[][]): void {
  const file = join(dir, 'metadata.csv');
  const text = readFileSync(file, 'utf8');
  const width = (parse(text, { to_line: 1 }) as string[][])[0].length;
  writeFileSync(file, text + stringify(rows.map((r) => [...r, ...Array(width - r.length).fill('')])));
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

/**
 * A copy of the bundled eval set as the generator writes it before `semibench measure` (the committed one is
 * measured): only the columns up to `language_model` are kept.
 */
export function copyUnmeasuredEvalset(): string {
  const dir = copyEvalset();
  const file = join(dir, 'metadata.csv');
  const rows: string[][] = parse(readFileSync(file, 'utf8'));
  const keep = rows[0].indexOf('language_model') + 1;
  writeFileSync(file, stringify(rows.map((r) => r.slice(0, keep))));
  rmSync(join(dir, 'bins.json'), { force: true });
  return dir;
}

/** The CLI as a user runs it (bin/semibench.js in a child process): exit code and both streams. */
export async function runCli(args: string[], cwd = process.cwd()): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [resolve('bin/semibench.js'), ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
