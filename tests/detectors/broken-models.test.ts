import { parse } from 'csv-parse/sync';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadModelError, loadDetector } from '../../src/detectors/adapter.js';
import type { DetectorManifest } from '../../src/detectors/manifest.js';
import { ZOO } from '../../src/detectors/zoo/index.js';
import { runDetectors } from '../../src/runner/run.js';
import { tempDir, testConfig } from '../helpers.js';
import { meanModel } from './tiny-models.js';

const temp = tempDir; // removed after the file by tests/setup.ts

const LFS_POINTER = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1216233872\n';
const good = meanModel();
/** The four ways a model file arrives broken, as real bytes on disk. */
const BROKEN: Record<string, { bytes: Uint8Array | string; reason: RegExp }> = {
  empty: { bytes: '', reason: /is empty \(0 bytes\), not an ONNX model/ },
  lfs: { bytes: LFS_POINTER, reason: /is a Git LFS pointer, not the model: fetch the real file \(git lfs pull\)/ },
  truncated: { bytes: good.subarray(0, Math.floor(good.length / 2)), reason: /is not a loadable ONNX model \(truncated or corrupt\?\): .*protobuf parsing failed/ },
  corrupt: { bytes: 'this is not a protobuf at all', reason: /is not a loadable ONNX model \(truncated or corrupt\?\)/ },
};

const userManifest = (name: string, path: string): DetectorManifest => ({
  name,
  description: 'user detector with a broken file',
  model: { path, input: 'input', output: 'out' },
  protocols: { native: [{ op: 'toTensor' }] },
  output: { type: 'logit', threshold: 0.5 },
  provenance: { calibrated: true },
});

function put(file: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

describe('a broken .onnx makes only its own detector "not run"', () => {
  it.each(Object.entries(BROKEN))('loadDetector names a %s file with a one-line reason', async (_, { bytes, reason }) => {
    const dir = temp();
    put(join(dir, 'm.onnx'), bytes);
    const error = await loadDetector(userManifest('u', 'm.onnx'), { modelsDir: dir }).catch((e) => e);
    expect(error).toBeInstanceOf(BadModelError);
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(join(dir, 'm.onnx'));
    expect(error.message).not.toContain('\n');
  });

  it('in a run, zoo and user manifests with broken files are reported and the other detectors still run', async () => {
    const config = testConfig({ modelsDir: temp(), manifestsDir: temp(), out: join(temp(), 'run') });
    // Zoo manifests: broken files at the paths the zoo expects.
    const [cnn1, cnn5, ufd, npr] = ['cnnspot-blur-jpg-0.1', 'cnnspot-blur-jpg-0.5', 'universal-fake-detect', 'npr'].map((n) => ZOO.find((m) => m.name === n)!);
    put(join(config.modelsDir, cnn1.model.path), BROKEN.empty.bytes);
    put(join(config.modelsDir, cnn5.model.path), BROKEN.lfs.bytes);
    put(join(config.modelsDir, ufd.model.path), BROKEN.truncated.bytes);
    put(join(config.modelsDir, npr.model.path), BROKEN.corrupt.bytes);
    // User manifests in the manifests folder: one broken, one with a working tiny model.
    put(join(config.modelsDir, 'user/broken.onnx'), BROKEN.truncated.bytes);
    put(join(config.modelsDir, 'user/tiny.onnx'), good);
    put(join(config.manifestsDir, 'user-broken.json'), JSON.stringify(userManifest('user-broken', 'user/broken.onnx')));
    put(join(config.manifestsDir, 'user-tiny.json'), JSON.stringify(userManifest('user-tiny', 'user/tiny.onnx')));

    const names = ['cnnspot-blur-jpg-0.1', 'cnnspot-blur-jpg-0.5', 'universal-fake-detect', 'npr', 'user-broken', 'npr-residual', 'user-tiny'];
    const result = await runDetectors({ ...config, detectors: names });
    const byName = Object.fromEntries(result.detectors.map((d) => [d.name, d]));
    expect(result.detectors.map((d) => [d.name, d.status])).toEqual(names.map((n) => [n, ['npr-residual', 'user-tiny'].includes(n) ? 'ran' : 'not run']));
    expect(byName['cnnspot-blur-jpg-0.1'].reason).toMatch(BROKEN.empty.reason);
    expect(byName['cnnspot-blur-jpg-0.5'].reason).toMatch(BROKEN.lfs.reason);
    expect(byName['universal-fake-detect'].reason).toMatch(BROKEN.truncated.reason);
    expect(byName.npr.reason).toMatch(BROKEN.corrupt.reason);
    expect(byName['user-broken'].reason).toMatch(BROKEN.truncated.reason);
    expect(byName['user-broken'].reason).toContain(join(config.modelsDir, 'user/broken.onnx'));
    for (const d of result.detectors.filter((d) => d.status === 'not run')) expect(d.missingWeights).toBeUndefined();
    expect(byName['npr-residual'].counts.ok).toBe(64);
    expect(byName['user-tiny'].counts.ok).toBe(64);
    expect(readFileSync(result.predictionsFile, 'utf8').trimEnd().split('\n')).toHaveLength(1 + 128);
  });
});

describe('model outputs that are not probabilities', () => {
  it('a prob output outside [0, 1] is an error row with the reason, not status=ok', async () => {
    const config = testConfig({ modelsDir: temp(), manifestsDir: temp(), out: join(temp(), 'run') });
    // scale 10, bias -4.5: mean pixel m gives 10m - 4.5, inside [0, 1] only for m in [0.45, 0.55].
    put(join(config.modelsDir, 'wide.onnx'), meanModel({ scale: 10, bias: -4.5 }));
    const manifest = { ...userManifest('wide-prob', 'wide.onnx'), output: { type: 'prob' as const, threshold: 0.5 } };
    put(join(config.manifestsDir, 'wide-prob.json'), JSON.stringify(manifest));
    const result = await runDetectors({ ...config, detectors: ['wide-prob'] });
    const rows: string[][] = parse(readFileSync(result.predictionsFile, 'utf8')).slice(1);
    const errors = rows.filter((r) => r[4] === 'error');
    const ok = rows.filter((r) => r[4] === 'ok');
    expect(errors.length + ok.length).toBe(64);
    expect(errors.length).toBeGreaterThan(0);
    for (const r of errors) {
      expect(r[2]).toBe('');
      expect(r[5]).toMatch(/^model output -?\d.* is outside \[0, 1\] for output\.type 'prob'/);
    }
    for (const r of ok) expect(Number(r[2])).toBeGreaterThanOrEqual(0);
    for (const r of ok) expect(Number(r[2])).toBeLessThanOrEqual(1);
    expect(result.detectors[0].counts).toEqual({ ok: ok.length, error: errors.length, cached: 0, resumed: 0, rescored: {} });
  });
});
