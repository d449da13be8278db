import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeShards } from '../../src/runner/merge.js';
import { runDetectors } from '../../src/runner/run.js';
import { lockRunFolder } from '../../src/runner/run-folder.js';
import { shardFiles } from '../../src/runner/shard.js';
import { predictionsWithoutTiming, removeTempDirs, testConfig } from '../helpers.js';

afterAll(removeTempDirs);

async function merge(out: string): Promise<void> {
  const lock = lockRunFolder(out);
  try {
    await mergeShards(out);
  } finally {
    lock.release();
  }
}

describe('merge names what differs between shards', () => {
  it('detectors and conditions as sets: another order merges, one fewer is named; a score identity by its column', async () => {
    const single = testConfig({ conditions: ['jpeg:75'] });
    await runDetectors(single);
    const config = testConfig({ conditions: ['jpeg:75'] });
    const shard1 = { shard: { index: 1, count: 2 } };
    const shard1Json = shardFiles(config.out, shard1.shard).runJson;
    const listed = () => JSON.parse(readFileSync(shard1Json, 'utf8')).detectors.map((d: { name: string }) => d.name);
    await runDetectors(config, undefined, { shard: { index: 0, count: 2 } });

    // Shard 1 run with one detector fewer.
    await runDetectors({ ...config, detectors: ['npr-residual'] }, undefined, shard1);
    await expect(merge(config.out)).rejects.toThrow(
      'shard 1/2 is not of the same run as shard 0/2: it ran detectors [npr-residual], shard 0/2 ran [npr-residual, spectral-hf]; rerun the shards that differ.',
    );

    // Rerun with both, listed in another order (conditions too): the same run.
    await runDetectors({ ...config, detectors: ['spectral-hf', 'npr-residual'], conditions: ['jpeg:75', 'none'] }, undefined, shard1);
    expect(listed()).toEqual(['spectral-hf', 'npr-residual']);
    await merge(config.out);
    expect(predictionsWithoutTiming(config.out)).toEqual(predictionsWithoutTiming(single.out));
    // Rerun with one of them: run.json keeps the other's record (first now), still the same run.
    await runDetectors({ ...config, detectors: ['npr-residual'] }, undefined, shard1);
    expect(listed()).toEqual(['spectral-hf', 'npr-residual']);
    await merge(config.out);
    expect(predictionsWithoutTiming(config.out)).toEqual(predictionsWithoutTiming(single.out));

    // One detector's pipeline differs (as after an upgrade between the shards' runs).
    const doc = JSON.parse(readFileSync(shard1Json, 'utf8'));
    const spectral = doc.detectors.find((d: { name: string }) => d.name === 'spectral-hf');
    const theirs = spectral.identity.pipeline_hash;
    spectral.identity.pipeline_hash = '0123456789abcdef';
    writeFileSync(shard1Json, JSON.stringify(doc));
    await expect(merge(config.out)).rejects.toThrow(
      `shard 1/2 is not of the same run as shard 0/2: it scored spectral-hf with pipeline_hash 0123456789abcdef, shard 0/2 with ${theirs}; rerun the shards that differ.`,
    );
  });
});
