import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/runner/run-folder.js';
import { predictionsWithoutTiming, resultsWithoutRunName, startCli, tempDir, type CliExit } from '../helpers.js';

/**
 * The CLI killed for real (SIGKILL, SIGINT) at points in the middle of scoring, then resumed: the folder must
 * end as an uninterrupted run's, byte for byte (timing aside), whatever the batch sizes of the pieces.
 */
const DETECTORS = ['npr-residual', 'spectral-hf'];
const TOTAL = 128;
const start = (out: string, batchSize: number) => startCli(['run', '--detector', ...DETECTORS, '--out', out, '--batch-size', String(batchSize)]);

const semibench = (out: string, batchSize: number) => start(out, batchSize).exit;

/** Data rows in predictions.csv now (0 before the file exists). */
function rowsWritten(out: string): number {
  const file = join(out, 'predictions.csv');
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  return Math.max(0, text.split('\n').length - 2);
}

/** Waits until the run has written at least `rows` rows (polling), then sends `signal`; returns the rows seen. */
async function killAfter(out: string, batchSize: number, rows: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ seen: number; exit: CliExit }> {
  const { child, exit } = start(out, batchSize);
  let seen = 0;
  while (child.exitCode === null && (seen = rowsWritten(out)) < rows) await new Promise((r) => setTimeout(r, 5));
  child.kill(signal);
  return { seen, exit: await exit };
}

const withoutTiming = predictionsWithoutTiming;
const results = resultsWithoutRunName;

describe('semibench run killed and resumed', () => {
  let reference: string;
  beforeAll(async () => {
    reference = join(tempDir(), 'run');
    const { code, stderr } = await semibench(reference, 8);
    expect(code, stderr).toBe(0);
  }, 120_000);

  function expectSameAsReference(out: string): void {
    expect(withoutTiming(out)).toEqual(withoutTiming(reference));
    expect(results(out)).toBe(results(reference));
    expect(readFileSync(join(out, 'slices/all.csv'), 'utf8')).toBe(readFileSync(join(reference, 'slices/all.csv'), 'utf8'));
  }

  it('kill -9 at several points, resumed with other batch sizes, ends as an uninterrupted run', async () => {
    const out = join(tempDir(), 'run');
    const first = await killAfter(out, 1, 5);
    expect(first.exit.signal).toBe('SIGKILL');
    expect(first.seen).toBeLessThan(TOTAL);
    const second = await killAfter(out, 3, 40);
    expect(second.exit.signal).toBe('SIGKILL');
    expect(second.seen).toBeLessThan(TOTAL);
    const third = await killAfter(out, 8, 90);
    expect(third.exit.signal).toBe('SIGKILL');
    expect(third.seen).toBeLessThan(TOTAL);
    const done = await semibench(out, 1);
    expect(done.code, done.stderr).toBe(0);
    // The killed runs left their lock behind: taken over, with a warning.
    expect(done.stderr).toMatch(/was locked by pid \d+ \(no longer running\); taking over/);
    expect(done.stdout).toMatch(/spectral-hf +ok \d+, errors 0, \d+ reused/);
    expectSameAsReference(out);
    const attempts = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).attempts;
    expect(attempts.map((a: any) => [a.status, a.batchSize])).toEqual([['interrupted', 1], ['interrupted', 3], ['interrupted', 8], ['finished', 1]]);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  }, 300_000);

  it('a second run into a folder in use is refused with one line; SIGINT releases the lock; resume completes', async () => {
    const out = join(tempDir(), 'run');
    const { child, exit } = start(out, 1);
    while (child.exitCode === null && !existsSync(join(out, LOCK_FILE))) await new Promise((r) => setTimeout(r, 5));
    // Hold the first run still while the second one tries.
    child.kill('SIGSTOP');
    const second = await semibench(out, 8);
    child.kill('SIGCONT');
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(`--out ${out} is in use by another semibench run (pid ${child.pid} on ${hostname()}`);
    while (child.exitCode === null && rowsWritten(out) < 20) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    const first = await exit;
    expect(first.signal ?? first.code).not.toBe(0);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    const done = await semibench(out, 3);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).not.toMatch(/taking over/);
    expectSameAsReference(out);
  }, 300_000);
});

