import { describe, expect, it } from 'vitest';
import { openDataSource, type Sample } from '../../src/loaders/index.js';
import { inShard, parseShard, resolveShard, shardOf } from '../../src/runner/shard.js';
import { UserError } from '../../src/util/errors.js';
import { FIXTURE_EVALSET } from '../helpers.js';

async function fixtureSamples(): Promise<Sample[]> {
  const samples: Sample[] = [];
  for await (const s of openDataSource(FIXTURE_EVALSET).samples()) samples.push(s);
  return samples;
}

describe('shard assignment', () => {
  it('puts each sample in exactly one shard, a real photo and its edits together, whatever the order', async () => {
    const samples = await fixtureSamples();
    const pairs = new Set(samples.map((s) => s.pairId));
    expect(pairs.size).toBeGreaterThan(3);
    expect(pairs.size).toBeLessThan(samples.length); // the fixture has edits sharing a real photo's pair id
    for (const count of [1, 2, 3, 5]) {
      const shards = Array.from({ length: count }, (_, index) => ({ index, count }));
      for (const s of samples) expect(shards.filter((shard) => inShard(s, shard))).toHaveLength(1);
      for (const pair of pairs) {
        const of = new Set(samples.filter((s) => s.pairId === pair).map((s) => shards.findIndex((shard) => inShard(s, shard))));
        expect(of.size).toBe(1);
      }
      // Reversed order, one sample at a time: the same shard for each.
      const forward = samples.map((s) => shardOf(s.pairId, count));
      const backward = [...samples].reverse().map((s) => shardOf(s.pairId, count)).reverse();
      expect(backward).toEqual(forward);
    }
    // Every one of 3 shards gets some of the fixture's pairs.
    expect(new Set(samples.map((s) => shardOf(s.pairId, 3))).size).toBe(3);
  });

  it('is a fixed function of the key (stable across versions and machines)', () => {
    // The first 4 bytes of sha256('ADE_train_00000001'), big-endian, are 0xc91a3f2d (Python: hashlib.sha256(...)
    // .digest()[:4]): shards written by one semibench version merge with another's only if this never changes.
    expect([1, 2, 3, 4, 7].map((n) => shardOf('ADE_train_00000001', n))).toEqual([1, 2, 3, 4, 7].map((n) => 0xc91a3f2d % n));
  });

  it('assigns by shardKey when a loader sets one (an archive)', () => {
    const base: Sample = { id: 'a.png', path: '/x/a.png', root: '/x', label: 1, pairId: 'p', meta: {} };
    const count = 16;
    const byArchive = { ...base, shardKey: 'inpainting/ADE20K.tar.bz2' };
    expect(inShard(byArchive, { index: shardOf('inpainting/ADE20K.tar.bz2', count), count })).toBe(true);
    expect(inShard(base, { index: shardOf('p', count), count })).toBe(true);
  });
});

describe('--shard and the scheduler environment', () => {
  const fails = (f: () => unknown, message: RegExp) => {
    expect(f).toThrow(UserError);
    expect(f).toThrow(message);
  };

  it('parses INDEX/COUNT from 0 and refuses the rest with one line', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    fails(() => parseShard('4/4'), /shard index 4 is outside 0\.\.3 \(indices start at 0/);
    fails(() => parseShard('1/0'), /shard count must be a whole number ≥ 1/);
    fails(() => parseShard('1-4'), /expected INDEX\/COUNT/);
    fails(() => parseShard('-1/4'), /expected INDEX\/COUNT/);
    fails(() => resolveShard('1/4', 3, {}), /disagree on the shard count/);
  });

  it('--shard wins over the environment; no flag and no scheduler: no shard', () => {
    expect(resolveShard('1/3', undefined, { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '5' })).toEqual({ shard: { index: 1, count: 3 }, from: '--shard' });
    expect(resolveShard(undefined, undefined, {})).toEqual({});
    fails(() => resolveShard(undefined, 3, {}), /--shards N needs a shard index/);
  });

  it('Slurm job arrays: 0-based and 1-based arrays, and steps, map onto 0..COUNT-1', () => {
    const slurm = (id: number, count: number, min?: number, step?: number) =>
      resolveShard(undefined, undefined, {
        SLURM_ARRAY_TASK_ID: String(id),
        SLURM_ARRAY_TASK_COUNT: String(count),
        ...(min === undefined ? {} : { SLURM_ARRAY_TASK_MIN: String(min) }),
        ...(step === undefined ? {} : { SLURM_ARRAY_TASK_STEP: String(step) }),
      }).shard;
    expect(slurm(2, 4)).toEqual({ index: 2, count: 4 }); // --array=0-3 (no MIN set: taken as 0)
    expect(slurm(2, 4, 0)).toEqual({ index: 2, count: 4 });
    expect(slurm(1, 4, 1)).toEqual({ index: 0, count: 4 }); // --array=1-4
    expect(slurm(4, 4, 1)).toEqual({ index: 3, count: 4 });
    expect(slurm(14, 3, 10, 2)).toEqual({ index: 2, count: 3 }); // --array=10-14:2
    fails(() => slurm(4, 4, 0), /SLURM_ARRAY_TASK_ID=4: shard index 4 is outside 0\.\.3/);
    fails(() => slurm(13, 3, 10, 2), /not a task of a regular job array/);
    fails(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1' }), /SLURM_ARRAY_TASK_COUNT is not/);
    expect(resolveShard(undefined, 4, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' }).from).toBe('Slurm job array');
    fails(() => resolveShard(undefined, 3, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '4' }), /--shards 3 disagrees with the job array's SLURM_ARRAY_TASK_COUNT=4/);
  });

  it('Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX with --shards or SEMIBENCH_SHARDS', () => {
    expect(resolveShard(undefined, 5, { JOB_COMPLETION_INDEX: '4' })).toEqual({ shard: { index: 4, count: 5 }, from: 'Kubernetes Indexed Job' });
    expect(resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '0', SEMIBENCH_SHARDS: '2' }).shard).toEqual({ index: 0, count: 2 });
    expect(resolveShard(undefined, 3, { JOB_COMPLETION_INDEX: '0', SEMIBENCH_SHARDS: '2' }).shard).toEqual({ index: 0, count: 3 });
    fails(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1' }), /not the shard count: pass --shards N or set SEMIBENCH_SHARDS/);
    fails(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '2', SEMIBENCH_SHARDS: '2' }), /JOB_COMPLETION_INDEX=2: shard index 2 is outside 0\.\.1/);
    fails(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '0', SEMIBENCH_SHARDS: 'four' }), /SEMIBENCH_SHARDS: expected a shard count/);
  });
});
