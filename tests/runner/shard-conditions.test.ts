import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeShards } from '../../src/runner/merge.js';
import { runDetectors } from '../../src/runner/run.js';
import { lockRunFolder } from '../../src/runner/run-folder.js';
import { predictionsWithoutTiming, removeTempDirs, testConfig } from '../helpers.js';

afterAll(removeTempDirs);

describe('conditions × shards', () => {
  it('2 shards with 2 conditions, merged, equal one process; a shard missing a condition is refused', async () => {
    const conditions = ['jpeg:75', 'crop:0.8'];
    const single = testConfig({ detectors: ['npr-residual'], conditions });
    await runDetectors(single);
    const config = testConfig({ detectors: ['npr-residual'], conditions });
    const shards = await Promise.all([0, 1].map((index) => runDetectors(config, undefined, { shard: { index, count: 2 } })));
    expect(shards.map((s) => s.samples).reduce((a, b) => a + b)).toBe(64);
    expect(shards.every((s) => s.samples > 0)).toBe(true);
    const lock = lockRunFolder(config.out);
    try {
      const merged = await mergeShards(config.out);
      expect(merged).toMatchObject({ shards: 2, samples: 64, rows: 64 * 3 });
    } finally {
      lock.release();
    }
    const rows = predictionsWithoutTiming(config.out);
    expect(rows).toHaveLength(1 + 64 * 3);
    expect(rows).toEqual(predictionsWithoutTiming(single.out));
    const runJson = JSON.parse(readFileSync(join(config.out, 'run.json'), 'utf8'));
    expect(runJson.detectors[0]).toMatchObject({ conditions: ['none', 'jpeg:75', 'crop:0.8'], counts: { ok: 64 * 3, error: 0 } });

    // shard 1 rerun with one condition fewer: not the same run as shard 0
    await runDetectors({ ...config, conditions: ['jpeg:75'] }, undefined, { shard: { index: 1, count: 2 } });
    const again = lockRunFolder(config.out);
    try {
      await expect(mergeShards(config.out)).rejects.toThrow(
        'shard 1/2 is not of the same run as shard 0/2: it scored npr-residual under conditions [none, jpeg:75], shard 0/2 under [none, jpeg:75, crop:0.8]; rerun the shards that differ.',
      );
    } finally {
      again.release();
    }
  });
});
