import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { DEFAULTS, type BenchConfig } from '../src/config/index.js';
import { readSampleFile, type DataSource, type Sample } from '../src/loaders/index.js';

export const FIXTURE_EVALSET = resolve('fixtures/evalset');

const madeDirs: string[] = [];

/**
 * A fresh folder under this test run's temp root (tests/global-setup.ts); tests/setup.ts removes it after the
 * test file (removeTempDirs), and the root goes with the run.
 */
export function tempDir(prefix = 'semibench-'): string {
  const dir = mkdtempSync(join(process.env.SEMIBENCH_TEST_TMP ?? tmpdir(), prefix));
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

/** How a CLI child process ended, with everything it printed. */
export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children: ChildProcess[] = [];

/** Scheduler variables of the test runner's own environment would pick a shard: a child starts from none. */
const SCHEDULER_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_COUNT', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_STEP', 'JOB_COMPLETION_INDEX', 'SEMIBENCH_SHARDS'];

/**
 * Starts the CLI as a user runs it (bin/semibench.js in a child process), for tests that signal or race it.
 * tests/setup.ts kills whatever is still running at the end of the file (killChildren).
 */
export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): { child: ChildProcess; exit: Promise<CliExit> } {
  const env = { ...process.env };
  for (const name of SCHEDULER_VARIABLES) delete env[name];
  const child = spawn(process.execPath, [resolve('bin/semibench.js'), ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, ...opts.env } });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<CliExit>((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
  return { child, exit };
}

export function killChildren(): void {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Runs the CLI to its end: exit code (1 if killed by a signal) and both streams. */
export async function runCli(args: string[], cwd = process.cwd()): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await startCli(args, { cwd }).exit;
  return { code: code ?? 1, stdout, stderr };
}

/** A run folder's predictions.csv lines without the `ms` column (timing is the one thing two runs may differ in). */
export function predictionsWithoutTiming(out: string): string[] {
  const lines = readFileSync(join(out, 'predictions.csv'), 'utf8').trimEnd().split('\n');
  const ms = lines[0].split(',').indexOf('ms');
  return lines.map((l) => l.split(',').filter((_, i) => i !== ms).join(','));
}

/** results.json names its run (id and folder): those differ between two folders, nothing else may. */
export function resultsWithoutRunName(out: string): string {
  const text = readFileSync(join(out, 'results.json'), 'utf8');
  return text.replace(JSON.parse(text).run.runId, 'RUN-ID').replaceAll(out, 'OUT');
}

/** Every file under a folder, relative path → bytes, for byte-for-byte comparison. */
export function filesUnder(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return out;
}

/** Every sample of a source by id, with its bytes or the error its read gave (an id seen twice fails the test). */
export async function collectSamples(source: DataSource): Promise<Map<string, { sample: Sample; bytes?: Buffer; error?: string }>> {
  const out = new Map<string, { sample: Sample; bytes?: Buffer; error?: string }>();
  for await (const sample of source.samples()) {
    if (out.has(sample.id)) throw new Error(`sample ${sample.id} came twice`);
    out.set(sample.id, await readSampleFile(sample).then((bytes) => ({ sample, bytes }), (e: Error) => ({ sample, error: e.message })));
  }
  return out;
}
