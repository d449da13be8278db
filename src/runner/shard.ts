import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource, Sample } from '../loaders/index.js';
import { UserError } from '../util/errors.js';
import type { LockSpec } from './run-folder.js';
import { filter } from './stream.js';

/**
 * One of `count` parts of a run, numbered from 0 (as Kubernetes' JOB_COMPLETION_INDEX and `--array=0-N` are):
 * `--shard 0/4` … `--shard 3/4`.
 */
export interface Shard {
  index: number;
  count: number;
}

export const formatShard = (shard: Shard) => `${shard.index}/${shard.count}`;

/** Where a shard writes, inside the run folder: nothing it writes is shared with another shard. */
export function shardFiles(out: string, shard: Shard): { predictions: string; runJson: string; ledger: string; lock: LockSpec } {
  const tag = `${shard.index}-of-${shard.count}`;
  return {
    predictions: join(out, SHARDS_DIR, `predictions-${tag}.csv`),
    runJson: join(out, SHARDS_DIR, `run-${tag}.json`),
    /** The archive groups this shard read (loaders/ledger.ts). */
    ledger: join(out, SHARDS_DIR, `archives-${tag}.json`),
    // Not ending in digits: the lock's leftovers are told apart by a trailing pid (run-folder.ts).
    lock: { name: join(SHARDS_DIR, `run-${tag}.lock`), owns: (name) => name.includes(`-${tag}.`) },
  };
}

export const SHARDS_DIR = 'shards';

/** The shard counts of the shard files in OUT/shards/ (one, unless two splits were mixed). */
export function splitsIn(out: string): number[] {
  const dir = join(out, SHARDS_DIR);
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const counts = new Set(names.flatMap((n) => /^(?:run|predictions)-\d+-of-(\d+)\.(?:json|csv)$/.exec(n)?.[1] ?? []).map(Number));
  return [...counts].sort((a, b) => a - b);
}

/**
 * A shard joins the split already in OUT: rerunning one Slurm task alone (`sbatch --array=3`) makes a job array
 * of one task, which would otherwise be taken for shard 0/1 and write a second split beside the first.
 */
export function checkSplit(out: string, shard: Shard, from = '--shard'): void {
  const other = splitsIn(out).find((n) => n !== shard.count);
  if (other !== undefined) {
    throw new UserError(
      `--out ${out} holds shards of a ${other}-way split (${SHARDS_DIR}/run-I-of-${other}.json), and this is shard ${formatShard(shard)} (from ${from}): rerun a shard of that split with --shard I/${other}, or use another --out.`,
      'E_USAGE',
    );
  }
}

/**
 * What a sample is assigned by: its pair id, so a real photo and all its edits land in one shard. A loader that
 * reads archives sets `shardKey` to the sample's archive group instead (an Evalset archive; the full release's
 * parts `_0` … `_k` of one folder), so each shard decompresses only its own archives. A real photo and its edits
 * are then in different archives and usually different shards: nothing in a shard pairs them (scores are per
 * image); `merge` writes the reports over all shards' rows, where paired metrics see every pair whole.
 */
export function shardKey(sample: Sample): string {
  return sample.shardKey ?? sample.pairId;
}

/**
 * The shard a key belongs to: from a hash of the key alone, so the assignment does not depend on the order or
 * the number of samples, nor on the machine.
 */
export function shardOf(key: string, count: number): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % count;
}

export function inShard(sample: Sample, shard: Shard): boolean {
  return shard.count === 1 || shardOf(shardKey(sample), shard.count) === shard.index;
}

/** The part of a source one shard scores: an archive source reads only its shard's archives (DataSource.select). */
export function shardSource(source: DataSource, shard: Shard): DataSource {
  if (shard.count === 1) return source;
  const keep = (key: string) => shardOf(key, shard.count) === shard.index;
  if (source.select) return source.select(keep);
  return { root: source.root, samples: (resume) => filter(source.samples(resume), (s) => keep(shardKey(s))) };
}

/** Parses `--shard i/n` (0 ≤ i < n). */
export function parseShard(text: string, what = '--shard'): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new UserError(`${what} ${text}: expected INDEX/COUNT, e.g. 0/4 (indices start at 0).`, 'E_USAGE');
  return checkShard(Number(match[1]), Number(match[2]), what);
}

function checkShard(index: number, count: number, what: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1) throw new UserError(`${what}: the shard count must be a whole number ≥ 1, not ${count}.`, 'E_USAGE');
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new UserError(`${what}: shard index ${index} is outside 0..${count - 1} (indices start at 0: ${count} shards are 0/${count} … ${count - 1}/${count}).`, 'E_USAGE');
  }
  return { index, count };
}

/**
 * The shard this process runs, from `--shard`, else from the scheduler's environment:
 * - Slurm job arrays: SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (divided by SLURM_ARRAY_TASK_STEP), of
 *   SLURM_ARRAY_TASK_COUNT, so `--array=1-4` and `--array=0-3` both give shards 0..3 of 4;
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX, of `--shards N` or SEMIBENCH_SHARDS (the Job's completions;
 *   Kubernetes does not pass the count to the pod).
 * `--shards N` also checks Slurm's count. Undefined: not a sharded run.
 */
export function resolveShard(flag: string | undefined, shards: number | undefined, env: NodeJS.ProcessEnv = process.env): { shard?: Shard; from?: string } {
  const countFrom = (fallback: string | undefined, name: string): number | undefined => {
    const text = shards !== undefined ? String(shards) : fallback;
    if (text === undefined || text === '') return undefined;
    if (!/^\d+$/.test(text.trim())) throw new UserError(`${shards !== undefined ? '--shards' : name}: expected a shard count, not '${text}'.`, 'E_USAGE');
    return Number(text);
  };
  if (flag !== undefined) {
    const shard = parseShard(flag);
    if (shards !== undefined && shards !== shard.count) throw new UserError(`--shard ${flag} and --shards ${shards} disagree on the shard count.`, 'E_USAGE');
    return { shard, from: '--shard' };
  }
  const slurmId = env.SLURM_ARRAY_TASK_ID;
  if (slurmId !== undefined && slurmId !== '') {
    const slurmCount = env.SLURM_ARRAY_TASK_COUNT;
    const count = countFrom(slurmCount, 'SLURM_ARRAY_TASK_COUNT');
    if (count === undefined) throw new UserError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shard INDEX/COUNT.', 'E_USAGE');
    if (shards !== undefined && slurmCount && Number(slurmCount) !== shards) {
      throw new UserError(`--shards ${shards} disagrees with the job array's SLURM_ARRAY_TASK_COUNT=${slurmCount}.`, 'E_USAGE');
    }
    const [id, min, step] = [slurmId, env.SLURM_ARRAY_TASK_MIN || '0', env.SLURM_ARRAY_TASK_STEP || '1'].map(Number);
    const offset = (id - min) / step;
    if (!Number.isSafeInteger(offset)) {
      throw new UserError(`SLURM_ARRAY_TASK_ID=${slurmId} (min ${min}, step ${step}) is not a task of a regular job array: pass --shard INDEX/COUNT.`, 'E_USAGE');
    }
    return { shard: checkShard(offset, count, `SLURM_ARRAY_TASK_ID=${slurmId}`), from: 'Slurm job array' };
  }
  const k8sIndex = env.JOB_COMPLETION_INDEX;
  if (k8sIndex !== undefined && k8sIndex !== '') {
    const count = countFrom(env.SEMIBENCH_SHARDS, 'SEMIBENCH_SHARDS');
    if (count === undefined) {
      throw new UserError('JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but not the shard count: pass --shards N or set SEMIBENCH_SHARDS to the Job\'s completions.', 'E_USAGE');
    }
    if (!/^\d+$/.test(k8sIndex.trim())) throw new UserError(`JOB_COMPLETION_INDEX=${k8sIndex} is not a shard index.`, 'E_USAGE');
    return { shard: checkShard(Number(k8sIndex), count, `JOB_COMPLETION_INDEX=${k8sIndex}`), from: 'Kubernetes Indexed Job' };
  }
  if (shards !== undefined) throw new UserError('--shards N needs a shard index: --shard INDEX/N, or a Slurm array / Kubernetes Indexed Job environment.', 'E_USAGE');
  return {};
}
