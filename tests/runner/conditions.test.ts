import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyCondition, parseCondition } from '../../src/conditions/index.js';
import { decodeImage } from '../../src/image/decode.js';
import { sha256 } from '../../src/detectors/adapter.js';
import { runDetectors } from '../../src/runner/run.js';
import { readMetadata } from '../../src/slices/metadata.js';
import { readScores } from '../../src/slices/scores.js';
import { meanModel } from '../detectors/tiny-models.js';
import { FIXTURE_EVALSET, removeTempDirs, testConfig } from '../helpers.js';

afterAll(removeTempDirs);

const NO_COLUMNS = { categorical: new Set<string>(), numeric: new Set<string>(), listCounts: new Set<string>(), derived: new Set<string>() };

/** A user detector on a tiny ONNX model: logit = mean pixel of the raw image (toTensor only, any size). */
function tinyConfig(conditions: string[]) {
  const config = testConfig({ detectors: ['tiny'], conditions });
  mkdirSync(config.manifestsDir, { recursive: true });
  mkdirSync(config.modelsDir, { recursive: true });
  writeFileSync(join(config.modelsDir, 'tiny.onnx'), meanModel({ flat: true }));
  const manifest = {
    name: 'tiny',
    description: 'mean pixel',
    model: { path: 'tiny.onnx', input: 'input', output: 'out' },
    protocols: { native: [{ op: 'toTensor' }] },
    output: { type: 'logit', threshold: 0.5 },
    provenance: { calibrated: false },
  };
  writeFileSync(join(config.manifestsDir, 'tiny.json'), JSON.stringify(manifest));
  return config;
}

function rows(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('conditions are a run dimension', () => {
  it('scores the clean run and each condition, with the condition in each row, from the transformed pixels', async () => {
    const config = tinyConfig(['jpeg:75', 'noise:0.05', 'resize:0.5+jpeg:75']);
    const result = await runDetectors(config);
    expect(result.detectors[0].conditions).toEqual(['none', 'jpeg:75', 'noise:0.05', 'resize:0.5:bicubic+jpeg:75']);
    const all = rows(result.predictionsFile);
    expect(all).toHaveLength(64 * 4);
    expect(all.every((r) => r.status === 'ok')).toBe(true);
    // each row's score is the model on the condition applied to the decoded image, seeded by the row's cache_key
    for (const r of all.filter((_, i) => i % 16 === 0)) {
      const bytes = readFileSync(join(FIXTURE_EVALSET, r.sample_id));
      expect(r.cache_key).toBe(sha256(bytes).slice(0, 16));
      const img = await applyCondition(await decodeImage(bytes), parseCondition(r.condition), r.cache_key);
      const mean = img.data.reduce((a, b) => a + b, 0) / img.data.length / 255;
      expect(Math.abs(Number(r.score) - sigmoid(mean))).toBeLessThan(1e-4); // float32 ReduceMean over a large image
    }
    const score = (cond: string, id: string) => all.find((r) => r.condition === cond && r.sample_id === id)!.score;
    const id = all[0].sample_id;
    expect(new Set(['none', 'jpeg:75', 'noise:0.05'].map((c) => score(c, id))).size).toBe(3);
  });

  it('resumes per condition: kept conditions are reused, a new one is scored, none is mixed up', async () => {
    const config = tinyConfig(['jpeg:75', 'blur:1']);
    const first = await runDetectors(config);
    const before = rows(first.predictionsFile);
    const again = await runDetectors({ ...config, conditions: ['blur:1', 'crop:0.8'] });
    expect(again.detectors[0].counts).toMatchObject({ ok: 64, error: 0, resumed: 128, rescored: {} });
    const after = rows(again.predictionsFile);
    expect(after).toHaveLength(64 * 4); // jpeg:75 rows stay in the folder
    const key = (r: Record<string, string>) => `${r.condition}|${r.sample_id}`;
    const kept = new Map(before.map((r) => [key(r), r.score]));
    for (const r of after.filter((r) => r.condition !== 'crop:0.8')) expect(r.score).toBe(kept.get(key(r)));
    expect(new Set(after.map((r) => r.condition))).toEqual(new Set(['none', 'jpeg:75', 'blur:1', 'crop:0.8']));
  });

  it('reads a predictions file from before conditions as the clean run: rows reused, header gains the column', async () => {
    const config = tinyConfig([]);
    const first = await runDetectors(config);
    const old = readFileSync(first.predictionsFile, 'utf8').split('\n').map((l) => l.replace(/,[^,]*$/, '')).join('\n');
    writeFileSync(first.predictionsFile, old);
    expect(old.split('\n')[0].endsWith('pipeline_hash')).toBe(true);
    const again = await runDetectors({ ...config, conditions: ['jpeg:75'] });
    expect(again.detectors[0].counts).toMatchObject({ ok: 64, resumed: 64, rescored: {} });
    const all = rows(again.predictionsFile);
    expect(all.filter((r) => r.condition === '' || r.condition === 'none')).toHaveLength(64);
    const meta = await readMetadata(FIXTURE_EVALSET, NO_COLUMNS);
    const scores = readScores(again.predictionsFile, meta);
    expect(scores.detectors.map((d) => [d.detector, d.base, d.condition, d.counts.ok])).toEqual([
      ['tiny', 'tiny', 'none', 64],
      ['tiny@jpeg:75', 'tiny', 'jpeg:75', 64],
    ]);
  });
});

