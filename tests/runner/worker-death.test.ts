import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/runner/run-folder.js';
import { predictionsWithoutTiming, resultsWithoutRunName, startCli, tempDir } from '../helpers.js';

/**
 * A detector's inference worker thread dying part way (process.exit, an uncaught error: the test hook in
 * src/detectors/inference-worker.ts) stops the run with one line and exit 3; the rows scored before are in
 * predictions.csv, no error row stands for an image that was never scored, and resuming ends as an
 * uninterrupted run, byte for byte (timing aside).
 */
const DETECTORS = ['npr-residual', 'spectral-hf'];
const TOTAL = 128;

const semibench = (out: string, batchSize: number, kill?: string) =>
  startCli(['run', '--detector', ...DETECTORS, '--out', out, '--batch-size', String(batchSize)], { env: kill ? { SEMIBENCH_TEST_KILL_INFERENCE_WORKER: kill } : {} }).exit;

const rowsIn = (out: string) => readFileSync(join(out, 'predictions.csv'), 'utf8').trimEnd().split('\n').slice(1);

describe('semibench run when an inference worker dies', () => {
  it('stops with one line, keeps every row scored, writes no error rows, and a resume ends as an uninterrupted run', async () => {
    const reference = join(tempDir(), 'run');
    const full = await semibench(reference, 8);
    expect(full.code, full.stderr).toBe(0);

    const out = join(tempDir(), 'run');
    let before = 0;
    for (const [batchSize, kill, how] of [[8, 'exit:20', 'exit code 7'], [3, 'throw:30', 'test hook: inference worker crashed']] as const) {
      const stopped = await semibench(out, batchSize, kill);
      expect(stopped.code, stopped.stderr).toBe(3);
      const lines = stopped.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(
        new RegExp(`^semibench: detector 'npr-residual' stopped: the inference worker thread died \\(${how}\\) after (\\d+) row\\(s\\) of this run; every row scored is saved in .*predictions\\.csv: run the same command again to resume\\.$`),
      );
      const written = Number(/after (\d+) row/.exec(lines.at(-1)!)![1]);
      expect(written).toBeGreaterThan(0);
      const rows = rowsIn(out);
      expect(rows).toHaveLength(before + written);
      expect(rows.length).toBeLessThan(TOTAL);
      expect(rows.every((r) => r.includes(',ok,'))).toBe(true);
      expect(existsSync(join(out, LOCK_FILE))).toBe(false);
      before = rows.length;
    }

    const done = await semibench(out, 1);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`npr-residual +ok ${64 - before}, errors 0, ${before} reused`));
    expect(predictionsWithoutTiming(out)).toEqual(predictionsWithoutTiming(reference));
    expect(resultsWithoutRunName(out)).toBe(resultsWithoutRunName(reference));
    const attempts = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).attempts;
    expect(attempts.map((a: { status: string }) => a.status)).toEqual(['interrupted', 'interrupted', 'finished']);
  }, 300_000);
});
