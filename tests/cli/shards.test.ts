import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { predictionsWithoutTiming, resultsWithoutRunName, startCli, tempDir } from '../helpers.js';

/**
 * `semibench run --shard i/n` in several real processes at once into one folder, then `semibench merge`: the
 * merged folder must equal a single-process run's, byte for byte (timing aside); a shard killed with -9 is rerun
 * alone; merge refuses missing, unfinished and mismatched shards with one line.
 */
const DETECTORS = ['npr-residual', 'spectral-hf'];

const semibench = (args: string[], env: Record<string, string> = {}) => startCli(args, { env }).exit;
const run = (out: string, more: string[] = [], env: Record<string, string> = {}) => semibench(['run', '--detector', ...DETECTORS, '--out', out, '--batch-size', '2', ...more], env);
const shardRun = (out: string, shard: string, more: string[] = []) => run(out, ['--shard', shard, ...more]);

const withoutTiming = predictionsWithoutTiming;
const results = resultsWithoutRunName;
const shardRows = (out: string, shard: string) => {
  const file = join(out, 'shards', `predictions-${shard.replace('/', '-of-')}.csv`);
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').length - 1 : 0;
};

describe('semibench run --shard + merge', () => {
  let reference: string;
  /** A merged 3-shard folder, copied by the refusal tests. */
  let merged: string;
  beforeAll(async () => {
    reference = join(tempDir(), 'run');
    const { code, stderr } = await run(reference);
    expect(code, stderr).toBe(0);
  }, 120_000);

  function expectSameAsReference(out: string): void {
    expect(withoutTiming(out)).toEqual(withoutTiming(reference));
    expect(readFileSync(join(out, 'slices/all.csv'), 'utf8')).toBe(readFileSync(join(reference, 'slices/all.csv'), 'utf8'));
    expect(results(out)).toBe(results(reference));
  }

  it('3 shard processes at once (index from Slurm, Kubernetes and --shard), then merge, equal one process', async () => {
    const out = join(tempDir(), 'run');
    const shards = await Promise.all([
      run(out, [], { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }), // --array=1-3: shard 0/3
      run(out, [], { JOB_COMPLETION_INDEX: '1', SEMIBENCH_SHARDS: '3' }),
      shardRun(out, '2/3'),
    ]);
    for (const s of shards) expect(s.code, s.stderr).toBe(0);
    expect(shards[0].stderr).toContain('shard 0/3 (from the Slurm job array)');
    expect(shards[1].stderr).toContain('shard 1/3 (from the Kubernetes Indexed Job)');
    // A shard writes only its own files: no report, no predictions.csv or run.json of the run yet.
    for (const name of ['predictions.csv', 'run.json', 'results.json', 'slices']) expect(existsSync(join(out, name)), name).toBe(false);
    const rows = ['0/3', '1/3', '2/3'].map((s) => shardRows(out, s));
    expect(rows.every((n) => n > 0)).toBe(true);
    expect(rows.reduce((a, b) => a + b)).toBe(withoutTiming(reference).length - 1);
    for (const [i, s] of shards.entries()) expect(s.stdout).toMatch(new RegExp(`samples in shard ${i}/3`));

    const merge = await semibench(['merge', out]);
    expect(merge.code, merge.stderr).toBe(0);
    expect(merge.stdout).toContain(`merged 3 shards: 64 samples, ${withoutTiming(reference).length - 1} rows`);
    expectSameAsReference(out);
    const runJson = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(runJson.shards.map((s: { shard: string }) => s.shard)).toEqual(['0/3', '1/3', '2/3']);
    const referenceJson = JSON.parse(readFileSync(join(reference, 'run.json'), 'utf8'));
    expect(runJson.detectors.map((d: any) => [d.name, d.counts.ok, d.counts.error, d.identity])).toEqual(
      referenceJson.detectors.map((d: any) => [d.name, d.counts.ok, d.counts.error, d.identity]),
    );
    merged = out;
  }, 300_000);

  it('a shard killed with -9 is refused by merge, rerun alone, then merges to the same run', async () => {
    const out = join(tempDir(), 'run');
    for (const s of ['1/3', '2/3']) {
      const done = await shardRun(out, s);
      expect(done.code, done.stderr).toBe(0);
    }
    const { child, exit } = startCli(['run', '--detector', ...DETECTORS, '--out', out, '--batch-size', '1', '--shard', '0/3']);
    while (child.exitCode === null && shardRows(out, '0/3') < 5) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect((await exit).signal).toBe('SIGKILL');
    const written = shardRows(out, '0/3');
    expect(written).toBeGreaterThanOrEqual(5);

    const refused = await semibench(['merge', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`shard 0/3 incomplete (its last run did not finish): rerun it with \`semibench run --shard 0/3 --out ${out}\``);

    const again = await shardRun(out, '0/3');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/npr-residual +ok \d+, errors 0, \d+ reused/);
    const merge = await semibench(['merge', out]);
    expect(merge.code, merge.stderr).toBe(0);
    expectSameAsReference(out);
    const attempts = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).shards[0].attempts;
    expect(attempts.map((a: { status: string }) => a.status)).toEqual(['interrupted', 'finished']);
  }, 300_000);

  it('merge names missing shards and refuses shards of another split, data set or protocol, in one line', async () => {
    expect(merged).toBeDefined();
    const copy = () => {
      const dir = join(tempDir(), 'run');
      cpSync(merged, dir, { recursive: true });
      return dir;
    };
    const refuses = async (out: string, message: string) => {
      const r = await semibench(['merge', out]);
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(message);
    };

    const missing = copy();
    rmSync(join(missing, 'shards/run-1-of-3.json'));
    rmSync(join(missing, 'shards/run-2-of-3.json'));
    await refuses(missing, 'shards 1/3, 2/3 missing');

    const twoSplits = copy();
    writeFileSync(join(twoSplits, 'shards/run-0-of-4.json'), '{}');
    await refuses(twoSplits, 'holds shards of more than one split (3 and 4 shards)');

    const otherData = copy();
    const file = join(otherData, 'shards/run-1-of-3.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.data.fingerprint = 'f'.repeat(64);
    writeFileSync(file, JSON.stringify(doc));
    await refuses(otherData, `shard 1/3 is not of the same run as shard 0/3: its data fingerprint is ${'f'.repeat(64)}`);

    // The folder's own run.json (a plain run's, a previous merge's) on other data: not overwritten.
    const otherFolder = copy();
    const runJson = JSON.parse(readFileSync(join(otherFolder, 'run.json'), 'utf8'));
    runJson.data.fingerprint = 'e'.repeat(64);
    writeFileSync(join(otherFolder, 'run.json'), JSON.stringify(runJson));
    await refuses(otherFolder, `already holds a run on other data (run.json: data fingerprint ${'e'.repeat(64)}`);

    // A real rerun of one shard under another protocol: its rows and run.json carry the other identity.
    const otherProtocol = copy();
    const rerun = await shardRun(otherProtocol, '2/3', ['--protocol', 'semitruths']);
    expect(rerun.code, rerun.stderr).toBe(0);
    await refuses(otherProtocol, 'shard 2/3 is not of the same run as shard 0/3: its protocol is semitruths, not native');
    // Refusals lose nothing: the merged files from before are still there.
    for (const name of ['predictions.csv', 'slices/all.csv']) expect(readFileSync(join(otherProtocol, name), 'utf8')).toBe(readFileSync(join(merged, name), 'utf8'));

    // Rerunning one task of a job array alone (`sbatch --array=2`) is an array of one: not taken for shard 0/1.
    const lone = await run(copy(), [], { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_COUNT: '1' });
    expect(lone.code).toBe(2);
    expect(lone.stderr).toMatch(/holds shards of a 3-way split \(shards\/run-I-of-3\.json\), and this is shard 0\/1 \(from Slurm job array\): rerun a shard of that split with --shard I\/3/);

    const bad = await semibench(['run', '--detector', ...DETECTORS, '--out', copy(), '--shard', '3/3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--shard: shard index 3 is outside 0..2 (indices start at 0');
  }, 300_000);
});
