import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataSource } from '../../src/loaders/index.js';
import { beginAttempt } from '../../src/reports/run-json.js';
import { readRunInfo } from '../../src/reports/run-info.js';
import { PredictionStore } from '../../src/runner/predictions.js';
import { dataIdentity } from '../../src/runner/run-folder.js';
import { runDetectors } from '../../src/runner/run.js';
import { readMetadata } from '../../src/slices/metadata.js';
import { readScores } from '../../src/slices/scores.js';
import { meanModel } from '../detectors/tiny-models.js';
import { copyEvalset, FIXTURE_EVALSET, removeTempDirs, tempDir, testConfig } from '../helpers.js';

afterAll(removeTempDirs);

const NO_COLUMNS = { categorical: new Set<string>(), numeric: new Set<string>(), listCounts: new Set<string>(), derived: new Set<string>() };

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');
/** predictions.csv without the ms column (timing differs run to run; everything else must not). */
const withoutTiming = (file: string) => lines(file).map((l) => l.split(',').filter((_, i) => i !== 6).join(','));
const column = (file: string, name: string) => {
  const [header, ...rows] = lines(file);
  const i = header.split(',').indexOf(name);
  return rows.map((r) => r.split(',')[i]);
};

/** A user detector on a tiny ONNX model (sigmoid of scale × mean pixel) with two protocols that score differently. */
function tinyDetectorConfig(scale = 1) {
  const config = testConfig({ detectors: ['tiny'] });
  mkdirSync(config.manifestsDir, { recursive: true });
  mkdirSync(config.modelsDir, { recursive: true });
  writeFileSync(join(config.modelsDir, 'tiny.onnx'), meanModel({ scale, flat: true }));
  const manifest = {
    name: 'tiny',
    description: 'mean pixel',
    model: { path: 'tiny.onnx', input: 'input', output: 'out' },
    protocols: { native: [{ op: 'toTensor' }], crop: [{ op: 'centerCrop', size: 16 }, { op: 'toTensor' }] },
    output: { type: 'logit', threshold: 0.5 },
    provenance: { calibrated: false },
  };
  writeFileSync(join(config.manifestsDir, 'tiny.json'), JSON.stringify(manifest));
  return config;
}

describe('resume reuses a row only when it was computed from the same image, model and pipeline', () => {
  it('every row carries its image hash and score identity', async () => {
    const result = await runDetectors(testConfig({ detectors: ['npr-residual'] }));
    expect(lines(result.predictionsFile)[0]).toBe('sample_id,detector,score,label,status,error,ms,cache_key,model_sha256,protocol,pipeline_hash,condition');
    const identity = result.detectors[0].identity!;
    expect(identity.model_sha256).toBe(result.detectors[0].modelSha256!.slice(0, 16));
    expect(new Set(column(result.predictionsFile, 'model_sha256'))).toEqual(new Set([identity.model_sha256]));
    expect(new Set(column(result.predictionsFile, 'protocol'))).toEqual(new Set(['native']));
    expect(new Set(column(result.predictionsFile, 'pipeline_hash'))).toEqual(new Set([identity.pipeline_hash]));
  });

  it('rescores every row after a protocol change, and the file then equals a fresh run with that protocol', async () => {
    const config = tinyDetectorConfig();
    await runDetectors(config);
    const resumed = await runDetectors({ ...config, protocol: 'crop' });
    expect(resumed.detectors[0].counts).toEqual({ ok: 64, error: 0, cached: 0, resumed: 0, rescored: { 'protocol changed': 64 } });
    const fresh = await runDetectors({ ...config, protocol: 'crop', out: join(tempDir(), 'run') });
    expect(withoutTiming(resumed.predictionsFile)).toEqual(withoutTiming(fresh.predictionsFile));
    const attempts = JSON.parse(readFileSync(resumed.runJson, 'utf8')).attempts;
    expect(attempts.map((a: any) => [a.status, a.protocol, a.detectors[0].reused, a.detectors[0].rescored])).toEqual([
      ['finished', 'native', 0, {}],
      ['finished', 'crop', 0, { 'protocol changed': 64 }],
    ]);
  });

  it('a report on a folder whose protocol-changing run was killed says the protocols are mixed', async () => {
    const config = tinyDetectorConfig();
    await runDetectors(config);
    expect(readRunInfo(config.out).protocol).toBe('native');
    // What a run does before its first row: a kill right after leaves this attempt unfinished.
    beginAttempt({ ...config, protocol: 'crop' }, await dataIdentity(openDataSource(config.data)));
    const info = readRunInfo(config.out);
    expect(info.protocol).toMatch(/^mixed \(native, crop: a run with another protocol did not finish/);
    expect(info.detectors[0].protocol).toBe(info.protocol);
    await runDetectors({ ...config, protocol: 'crop' });
    expect(readRunInfo(config.out).protocol).toBe('crop');
    const attempts = JSON.parse(readFileSync(join(config.out, 'run.json'), 'utf8')).attempts;
    expect(attempts.map((a: any) => a.status)).toEqual(['finished', 'interrupted', 'finished']);
  });

  it('rescores every row when the .onnx file is replaced (new sha256)', async () => {
    const config = tinyDetectorConfig(1);
    const first = await runDetectors(config);
    const before = column(first.predictionsFile, 'score');
    writeFileSync(join(config.modelsDir, 'tiny.onnx'), meanModel({ scale: 3, flat: true }));
    const resumed = await runDetectors(config);
    expect(resumed.detectors[0].counts).toEqual({ ok: 64, error: 0, cached: 0, resumed: 0, rescored: { 'model changed': 64 } });
    const after = column(resumed.predictionsFile, 'score');
    expect(after).toHaveLength(64);
    expect(after.filter((s, i) => s !== before[i]).length).toBe(64);
    expect(new Set(column(resumed.predictionsFile, 'model_sha256'))).toEqual(new Set([resumed.detectors[0].modelSha256!.slice(0, 16)]));
  });

  it('rescores an image replaced at the same path, and only that one; report reads the new score', async () => {
    const data = copyEvalset();
    const config = testConfig({ data, detectors: ['npr-residual'] });
    await runDetectors(config);
    const ids = column(join(config.out, 'predictions.csv'), 'sample_id');
    const [target, donor] = [ids[5], ids[40]];
    copyFileSync(join(data, donor), join(data, target));
    const resumed = await runDetectors(config);
    expect(resumed.detectors[0].counts).toEqual({ ok: 1, error: 0, cached: 0, resumed: 63, rescored: { 'image changed': 1 } });
    const fresh = await runDetectors({ ...config, out: join(tempDir(), 'run') });
    // Same rows as a fresh run on the changed data (the rescored row is last), and no stale row left.
    expect(withoutTiming(resumed.predictionsFile).sort()).toEqual(withoutTiming(fresh.predictionsFile).sort());
    const scores = readScores(resumed.predictionsFile, await readMetadata(data, NO_COLUMNS));
    expect(scores.detectors[0].counts.duplicates).toBe(0);
  });

  it('a reused row takes the label of the current metadata (the label is no part of the score): as a fresh run on it', async () => {
    const data = copyEvalset();
    const config = testConfig({ data, detectors: ['npr-residual'], conditions: ['jpeg:75'] });
    await runDetectors(config);
    const metadata = join(data, 'metadata.csv');
    const rows: string[][] = parse(readFileSync(metadata, 'utf8'));
    const label = rows[0].indexOf('label');
    // a real becomes fake and a fake real (a fixed annotation)
    const flipped = [rows.findIndex((r) => r[label] === 'real'), rows.findIndex((r) => r[label] === 'fake')];
    for (const i of flipped) rows[i][label] = rows[i][label] === 'real' ? 'fake' : 'real';
    writeFileSync(metadata, stringify(rows));
    const resumed = await runDetectors(config);
    expect(resumed.detectors[0].counts).toEqual({ ok: 0, error: 0, cached: 0, resumed: 128, rescored: {} });
    const fresh = await runDetectors({ ...config, out: join(tempDir(), 'run') });
    expect(withoutTiming(resumed.predictionsFile)).toEqual(withoutTiming(fresh.predictionsFile));
    // both conditions' rows of the two images changed label
    const ids = flipped.map((i) => rows[i][rows[0].indexOf('image_path')]);
    const changed = (file: string) => lines(file).filter((l) => ids.includes(l.split(',')[0])).map((l) => l.split(',')[3]);
    expect(changed(resumed.predictionsFile).sort()).toEqual(['0', '0', '1', '1']);
  });

  it('rescores an error row once its image appears, and keeps reusing the others', async () => {
    const data = copyEvalset();
    const config = testConfig({ data, detectors: ['npr-residual'] });
    const id = 'original/images/CelebAHQ/CelebA_20040.jpg';
    const bytes = readFileSync(join(data, id));
    writeFileSync(join(data, id), '');
    expect((await runDetectors(config)).detectors[0].counts.error).toBe(1);
    writeFileSync(join(data, id), bytes);
    const resumed = await runDetectors(config);
    expect(resumed.detectors[0].counts).toEqual({ ok: 1, error: 0, cached: 0, resumed: 63, rescored: { 'image changed': 1 } });
  });

  it('resume and report read a file with a superseded row the same way: the later row wins', async () => {
    const dir = tempDir();
    const file = join(dir, 'predictions.csv');
    const id = 'original/images/CelebAHQ/CelebA_20040.jpg';
    const header = 'sample_id,detector,score,label,status,error,ms,cache_key,model_sha256,protocol,pipeline_hash';
    writeFileSync(file, [header, `${id},d,0.25,0,ok,,1,aaaa,m1,native,p1`, `${id},d,0.75,0,ok,,1,bbbb,m2,native,p1`, ''].join('\n'));
    const store = await PredictionStore.open(file);
    expect(store.lookup('d', id)).toMatchObject({ cache_key: 'bbbb', model_sha256: 'm2' });
    expect(store.superseded).toBe(1);
    store.close();
    const meta = await readMetadata(FIXTURE_EVALSET, NO_COLUMNS);
    const scores = readScores(file, meta);
    expect(scores.detectors[0].score[meta.rowOf(id)!]).toBe(0.75);
  });

  it('refuses a different --data into a used --out, naming --out, and changes nothing', async () => {
    const config = testConfig({ detectors: ['npr-residual'] });
    await runDetectors(config);
    const before = readFileSync(join(config.out, 'predictions.csv'), 'utf8');
    const other = copyEvalset();
    await expect(runDetectors({ ...config, data: other })).rejects.toThrow(new RegExp(`^--out ${config.out} holds a run on .*fixtures/evalset, not on --data ${other}`));
    expect(readFileSync(join(config.out, 'predictions.csv'), 'utf8')).toBe(before);
    const runJson = JSON.parse(readFileSync(join(config.out, 'run.json'), 'utf8'));
    expect(runJson.data).toMatchObject({ root: expect.stringMatching(/fixtures\/evalset$/), fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), samples: 64 });
    expect(runJson.attempts).toHaveLength(1);
  });

  it('gives the same predictions whatever the batch size', async () => {
    const files = [];
    for (const batchSize of [1, 3, 8]) files.push((await runDetectors(testConfig({ batchSize }))).predictionsFile);
    expect(withoutTiming(files[1])).toEqual(withoutTiming(files[0]));
    expect(withoutTiming(files[2])).toEqual(withoutTiming(files[0]));
  });
});
