import { existsSync, mkdirSync, readFileSync, writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it, vi } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { runDetectors } from '../../src/runner/run.js';
import { meanModel } from '../detectors/tiny-models.js';
import { appendMetadata, copyEvalset, testConfig } from '../helpers.js';

const readCsvLines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');
/** predictions.csv without the ms column (timing differs run to run; everything else must not). */
const withoutTiming = (file: string) => readCsvLines(file).map((l) => l.split(',').filter((_, i) => i !== 6).join(','));

describe('runDetectors end to end on the bundled eval set', () => {
  it('writes one ok row per sample and detector', async () => {
    const config = testConfig();
    const result = await runDetectors(config);
    expect(result.samples).toBe(64);
    expect(result.detectors.map((d) => [d.name, d.status, d.counts.ok, d.counts.error])).toEqual([
      ['npr-residual', 'ran', 64, 0],
      ['spectral-hf', 'ran', 64, 0],
    ]);
    const lines = readCsvLines(result.predictionsFile);
    expect(lines[0]).toBe('sample_id,detector,score,label,status,error,ms,cache_key,model_sha256,protocol,pipeline_hash,condition');
    expect(lines).toHaveLength(1 + 128);
    for (const line of lines.slice(1)) {
      const [, , score, label, status] = line.split(',');
      expect(Number(score)).toBeGreaterThanOrEqual(0);
      expect(Number(score)).toBeLessThanOrEqual(1);
      expect(['0', '1']).toContain(label);
      expect(status).toBe('ok');
    }
    expect(result.detectors[0].modelSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes the same rows, in the same order and bits, with one inference worker or three, spinning or not, any batch size', async () => {
    const one = await runDetectors(testConfig({ inferenceWorkers: 1, spinning: true }));
    const three = await runDetectors(testConfig({ inferenceWorkers: 3, intraOpThreads: 1, batchSize: 5, prefetch: 1 }));
    const auto = await runDetectors(testConfig());
    expect(withoutTiming(three.predictionsFile)).toEqual(withoutTiming(one.predictionsFile));
    expect(withoutTiming(auto.predictionsFile)).toEqual(withoutTiming(one.predictionsFile));
    expect(three.detectors.map((d) => d.counts.ok)).toEqual([64, 64]);
  });

  it('resumes a killed run (torn last line included) and ends with the same predictions', async () => {
    const full = testConfig({ batchSize: 4 });
    await runDetectors(full);
    const reference = withoutTiming(join(full.out, 'predictions.csv'));

    const killed = testConfig({ batchSize: 4 });
    await runDetectors(killed);
    const file = join(killed.out, 'predictions.csv');
    // Simulate a kill mid-write: keep the header, 70 rows and half of the next line.
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const keep = lines.slice(0, 71).join('\n').length + 1 + Math.floor(lines[71].length / 2);
    truncateSync(file, keep);

    const resumed = await runDetectors(killed);
    expect(resumed.detectors.map((d) => d.counts.resumed)).toEqual([64, 6]);
    expect(resumed.detectors.map((d) => d.counts.ok)).toEqual([0, 58]);
    expect(withoutTiming(file)).toEqual(reference);
  });

  it('turns missing, empty and corrupt images into error rows and goes on', async () => {
    const data = copyEvalset();
    writeFileSync(join(data, 'empty.png'), '');
    writeFileSync(join(data, 'corrupt.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
    appendMetadata(data, [
      ['x1', 'gone.png', 'ADE20K', '', '', 'fake'],
      ['x2', 'empty.png', 'ADE20K', '', '', 'fake'],
      ['x3', 'corrupt.jpg', 'ADE20K', '', '', 'real'],
    ]);
    const config = testConfig({ data, detectors: ['npr-residual'] });
    const result = await runDetectors(config);
    expect(result.detectors[0].counts).toEqual({ ok: 64, error: 3, cached: 0, resumed: 0, rescored: {} });
    const errors = readCsvLines(result.predictionsFile).slice(1).filter((l) => l.includes(',error,'));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^gone\.png,npr-residual,,1,error,file not found: .*gone\.png/);
    expect(errors[1]).toMatch(/^empty\.png,npr-residual,,1,error,empty file/);
    expect(errors[2]).toMatch(/^corrupt\.jpg,npr-residual,,0,error,.*corrupt\.jpg/);
  });

  it('keeps the first of repeated image_path rows, says so and records them in run.json; --strict-data stops', async () => {
    const data = copyEvalset();
    const first = readCsvLines(join(data, 'metadata.csv'))[1].split(',').slice(0, 2);
    appendMetadata(data, [[first[0], first[1], 'ADE20K', '', '', 'fake']]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const result = await runDetectors(testConfig({ data, detectors: ['npr-residual'] }));
      expect(result.samples).toBe(64);
      expect(warn.mock.calls[0][0]).toMatch(new RegExp(`^warning: 1 metadata.csv row\\(s\\) repeat .*'${first[1]}' \\(line 66, first on 2\\)`));
      const runJson = JSON.parse(readFileSync(result.runJson, 'utf8'));
      expect(runJson.data.duplicates).toEqual({ count: 1, first: [{ line: 66, imagePath: first[1], firstLine: 2 }] });
    } finally {
      warn.mockRestore();
    }
    await expect(runDetectors(testConfig({ data, detectors: ['npr-residual'], strictData: true }))).rejects.toThrow(/appears twice/);
  });

  it('reports a detector whose weights are missing, with the path, and runs the others', async () => {
    const config = testConfig({ detectors: ['npr-residual', 'cnnspot-blur-jpg-0.1'] });
    const result = await runDetectors(config);
    const [ran, missing] = result.detectors;
    expect(ran.status).toBe('ran');
    expect(missing.status).toBe('not run');
    expect(missing.reason).toContain(join(config.modelsDir, 'cnnspot/blur_jpg_prob0.1.onnx'));
    expect(missing.missingWeights).toBe(join(config.modelsDir, 'cnnspot/blur_jpg_prob0.1.onnx'));
    expect(ran.missingWeights).toBeUndefined();
    expect(readCsvLines(result.predictionsFile)).toHaveLength(65);
  });

  it('runs a user manifest from the manifests folder through the same adapter', async () => {
    const config = testConfig();
    // A real ONNX model (8 * mean pixel - 4, one logit) at a path relative to the models folder.
    mkdirSync(join(config.modelsDir, 'mine'), { recursive: true });
    writeFileSync(join(config.modelsDir, 'mine/mean.onnx'), meanModel({ scale: 8, bias: -4 }));
    mkdirSync(config.manifestsDir, { recursive: true });
    const manifest = { name: 'my-detector', description: 'user', model: { path: 'mine/mean.onnx', input: 'input', output: 'out' }, protocols: { native: [{ op: 'toTensor' }] }, output: { type: 'logit', threshold: 0.5 }, provenance: { calibrated: true } };
    writeFileSync(join(config.manifestsDir, 'my-detector.json'), JSON.stringify(manifest));
    const result = await runDetectors({ ...config, detectors: ['my-detector'] });
    expect(result.detectors[0]).toMatchObject({ name: 'my-detector', origin: 'user', status: 'ran', counts: { ok: 64, error: 0, resumed: 0 } });
    // Reference by hand: the mean of the decoded bytes (decoding has its own Pillow goldens), through the sigmoid.
    const rows: string[][] = parse(readFileSync(result.predictionsFile, 'utf8')).slice(1);
    expect(rows).toHaveLength(64);
    expect(new Set(rows.map((r) => Number(r[2]).toFixed(3))).size).toBeGreaterThan(32); // scores tell images apart
    for (const [sampleId, detector, score] of rows) {
      expect(detector).toBe('my-detector');
      const { data } = await decodeImage(join(config.data, sampleId));
      const mean = data.reduce((sum, v) => sum + v, 0) / data.length / 255;
      // onnxruntime's ReduceMean sums ~10^5 values in float32: agreement to ~1e-4, while images differ by ~1e-2.
      expect(Number(score)).toBeCloseTo(1 / (1 + Math.exp(-(8 * mean - 4))), 3);
    }
  });

  it('lists the known detectors, with the nearest match, for an unknown name', async () => {
    await expect(runDetectors(testConfig({ detectors: ['npr-resid'] }))).rejects.toThrow(/Unknown detector 'npr-resid'\. Did you mean 'npr-residual'\? Known: all, npr-residual, spectral-hf/);
    expect(existsSync(testConfig().out)).toBe(false);
  });

  it('names a metadata.csv column that is missing before any work starts', async () => {
    const data = copyEvalset();
    const file = join(data, 'metadata.csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^image_id,image_path,dataset/, 'image_id,image_path,source'));
    await expect(runDetectors(testConfig({ data }))).rejects.toThrow(/missing the required column 'dataset'/);
  });
});
