import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDetector, toProbabilities } from '../../src/detectors/adapter.js';
import { forProtocol, validateManifest, type DetectorManifest } from '../../src/detectors/manifest.js';
import { argmaxSigmoid } from '../../src/detectors/output.js';
import { deFake } from '../../src/detectors/zoo/de-fake.js';
import { scoreIdentity } from '../../src/runner/identity.js';
import type { RgbImage } from '../../src/image/types.js';
import { tempDir } from '../helpers.js';
import { meanModel } from './tiny-models.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe("run_1's DE-FAKE scoring (argmaxSigmoid)", () => {
  it('sigmoid of the winning logit, inverted when the winner is the real class; first of equal maxima; NaN stays NaN', () => {
    expect(argmaxSigmoid([0.3, 1.2], 1)).toBeCloseTo(sigmoid(1.2), 7);
    expect(argmaxSigmoid([2, -1], 1)).toBeCloseTo(1 - sigmoid(2), 7);
    expect(argmaxSigmoid([1, 1], 1)).toBeCloseTo(1 - sigmoid(1), 7); // torch.argmax: index 0
    // argmax says fake, yet the score is under 0.5: run_1's prediction column (the argmax) and this score disagree
    expect(argmaxSigmoid([-3, -1], 1)).toBeCloseTo(sigmoid(-1), 7);
    expect(argmaxSigmoid([NaN, 1], 1)).toBeNaN();
    // not a softmax: softmax([0.3, 1.2])[1] = sigmoid(0.9)
    expect(Math.abs(argmaxSigmoid([0.3, 1.2], 1) - sigmoid(0.9))).toBeGreaterThan(0.05);
    expect(toProbabilities(new Float32Array([0.3, 1.2, 2, -1]), [2, 2], 2, { type: 'argmaxSigmoid', fakeIndex: 1, threshold: 0.5 })).toEqual([
      argmaxSigmoid([0.3, 1.2].map(Math.fround), 1),
      argmaxSigmoid([2, -1], 1),
    ]);
  });

  it("de-fake's semitruths-run1 protocol scores with it; native and semitruths keep the softmax", () => {
    expect(forProtocol(deFake, 'semitruths-run1').output).toEqual({ type: 'argmaxSigmoid', fakeIndex: 1, threshold: 0.5 });
    expect(forProtocol(deFake, 'semitruths').output.type).toBe('softmax');
    expect(forProtocol(deFake, 'native').output.type).toBe('softmax');
    expect(validateManifest(deFake)).toBe(deFake);
  });

  it('a protocol output is validated: known protocol, fakeIndex for a class output', () => {
    const bad = (protocolOutputs: unknown) => () => validateManifest({ ...deFake, protocolOutputs });
    expect(bad({ 'semitruths-run2': { type: 'argmaxSigmoid', fakeIndex: 1, threshold: 0.5 } })).toThrow(/protocolOutputs\.semitruths-run2: .*semitruths-run1/);
    expect(bad({ 'semitruths-run1': { type: 'argmaxSigmoid', threshold: 0.5 } })).toThrow(/protocolOutputs\.semitruths-run1\.fakeIndex: a argmaxSigmoid output needs the index/);
  });

  it('a loaded detector scores with its protocol\'s output, and the mapping is part of the score identity', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm/two.onnx'), meanModel({ outputs: 2, scale: 4, bias: -3 })); // logits [v, v + 1], v = 4·mean − 3
    const manifest: DetectorManifest = {
      name: 'two-class',
      description: 'test',
      model: { path: 'm/two.onnx', input: 'input', output: 'out' },
      protocols: { native: [{ op: 'toTensor' }], 'semitruths-run1': [{ op: 'toTensor' }] },
      output: { type: 'softmax', fakeIndex: 1, threshold: 0.5 },
      protocolOutputs: { 'semitruths-run1': { type: 'argmaxSigmoid', fakeIndex: 1, threshold: 0.5 } },
      provenance: { calibrated: true },
    };
    const image: RgbImage = { width: 4, height: 2, data: new Uint8Array(24).fill(0) }; // mean 0 → logits [-3, -2]
    const native = await loadDetector(manifest, { modelsDir: dir });
    const run1 = await loadDetector(manifest, { modelsDir: dir, protocol: 'semitruths-run1' });
    try {
      const [pNative] = await native.score([await native.prepare(image)]);
      const [pRun1] = await run1.score([await run1.prepare(image)]);
      expect(pNative).toBeCloseTo(Math.E / (1 + Math.E), 6);
      expect(pRun1).toBeCloseTo(sigmoid(-2), 6);
      // same ops, same model: only the output mapping differs, and the pipeline hash says so
      expect(run1.ops).toEqual(native.ops);
      expect(scoreIdentity(run1).pipeline_hash).not.toBe(scoreIdentity(native).pipeline_hash);
      expect(run1.manifest.output.type).toBe('argmaxSigmoid');
    } finally {
      await native.close();
      await run1.close();
    }
  });
});
