import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDetectors } from '../../src/runner/run.js';
import { copyEvalset, removeTempDirs, tempDir, testConfig } from '../helpers.js';

afterAll(removeTempDirs);

const withoutTiming = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => l.split(',').filter((_, i) => i !== 6).join(','));

const column = (file: string, name: string) => {
  const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const i = header.split(',').indexOf(name);
  return rows.map((r) => r.split(',')[i]);
};

describe('--cache: a score cache shared across runs', () => {
  it('a second run folder on the same images takes every score from the cache, and writes the same rows', async () => {
    const cache = tempDir();
    const first = await runDetectors(testConfig(), undefined, { cache });
    expect(first.detectors.map((d) => d.counts.cached)).toEqual([0, 0]);
    expect(readdirSync(cache)).toHaveLength(2); // one file per score identity
    const second = await runDetectors(testConfig(), undefined, { cache });
    expect(second.detectors.map((d) => [d.counts.ok, d.counts.cached])).toEqual([[64, 64], [64, 64]]);
    expect(withoutTiming(second.predictionsFile)).toEqual(withoutTiming(first.predictionsFile));
  });

  it('serves a score by image bytes, so a cached score is what the row gets (and a changed image is scored anew)', async () => {
    const cache = tempDir();
    const data = copyEvalset();
    const config = testConfig({ data, detectors: ['npr-residual'] });
    const first = await runDetectors(config, undefined, { cache });
    const [file] = readdirSync(cache);
    const lines = readFileSync(join(cache, file), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(new Set(column(first.predictionsFile, 'cache_key')).size);
    // Mark one entry so it is recognisable, add a torn line (a killed writer), and change one image.
    const marked = JSON.parse(lines[0]).image;
    writeFileSync(join(cache, file), [JSON.stringify({ image: marked, score: 0.123 }), ...lines.slice(1), ''].join('\n'));
    appendFileSync(join(cache, file), '{"image":"ab');
    const [target, donor] = [column(first.predictionsFile, 'sample_id')[10], column(first.predictionsFile, 'sample_id')[50]];
    // New bytes (a trailing byte decoders ignore): not in the cache. The same bytes as another image would be.
    writeFileSync(join(data, target), Buffer.concat([readFileSync(join(data, donor)), Buffer.from([0])]));
    const second = await runDetectors({ ...config, out: join(tempDir(), 'run') }, undefined, { cache });
    expect(second.detectors[0].counts).toMatchObject({ ok: 64, cached: 63 });
    const keys = column(second.predictionsFile, 'cache_key');
    const scores = column(second.predictionsFile, 'score');
    expect(keys.map((k, i) => [k === marked, scores[i] === '0.123']).filter(([a, b]) => a !== b)).toEqual([]);
    expect(keys).toContain(marked);
  });

  it('keys the cache by score identity: another protocol or model shares nothing', async () => {
    const cache = tempDir();
    await runDetectors(testConfig({ detectors: ['npr-residual'] }), undefined, { cache });
    const other = await runDetectors(testConfig({ detectors: ['npr-residual'], protocol: 'semitruths' }), undefined, { cache });
    expect(other.detectors[0].counts.cached).toBe(0);
    expect(readdirSync(cache)).toHaveLength(2);
  });
});
