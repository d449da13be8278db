import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDetector, MissingWeightsError, scoreProblem, sha256, toProbabilities } from '../../src/detectors/adapter.js';
import type { DetectorManifest } from '../../src/detectors/manifest.js';
import type { RgbImage } from '../../src/image/types.js';
import { GraphBuilder } from '../../src/detectors/onnx-graph.js';
import { tempDir } from '../helpers.js';
import { meanModel } from './tiny-models.js';

function manifestFor(file: string, output: DetectorManifest['output'], extra: Partial<DetectorManifest['model']> = {}): DetectorManifest {
  return {
    name: 'tiny',
    description: 'test model',
    model: { path: file, input: 'input', output: 'out', ...extra },
    protocols: { native: [{ op: 'toTensor' }] },
    output,
    provenance: { calibrated: true },
  };
}

function writeModel(bytes: Uint8Array): { dir: string; file: string } {
  const dir = tempDir();
  mkdirSync(join(dir, 'm'));
  writeFileSync(join(dir, 'm/tiny.onnx'), bytes);
  return { dir, file: 'm/tiny.onnx' };
}

/** A flat image whose every channel value is v, so the model's mean input is v / 255. */
const flat = (v: number): RgbImage => ({ width: 4, height: 2, data: new Uint8Array(24).fill(v) });

describe('ONNX adapter output semantics', () => {
  it('logit: sigmoid of the single output', async () => {
    const { dir, file } = writeModel(meanModel({ scale: 4, bias: -2 }));
    const d = await loadDetector(manifestFor(file, { type: 'logit', threshold: 0.5 }), { modelsDir: dir });
    const [a, b] = await d.score([await d.prepare(flat(255)), await d.prepare(flat(0))]);
    expect(a).toBeCloseTo(1 / (1 + Math.exp(-2)), 6); // mean 1 → logit 2
    expect(b).toBeCloseTo(1 / (1 + Math.exp(2)), 6); // mean 0 → logit -2
    await d.close();
  });

  it('prob: the output as is, for [N] outputs too', async () => {
    const { dir, file } = writeModel(meanModel({ flat: true }));
    const d = await loadDetector(manifestFor(file, { type: 'prob', threshold: 0.5 }), { modelsDir: dir });
    const [p] = await d.score([await d.prepare(flat(51))]);
    expect(p).toBeCloseTo(0.2, 6);
    await d.close();
  });

  it('softmax: the fake index picks the class (index 0 as in several HF detectors)', async () => {
    const { dir, file } = writeModel(meanModel({ outputs: 2 }));
    for (const [fakeIndex, expected] of [[1, Math.E / (1 + Math.E)], [0, 1 / (1 + Math.E)]]) {
      const d = await loadDetector(manifestFor(file, { type: 'softmax', fakeIndex, threshold: 0.5 }), { modelsDir: dir });
      const [p] = await d.score([await d.prepare(flat(100))]);
      expect(p).toBeCloseTo(expected, 6);
      await d.close();
    }
  });

  it('checks sha256, I/O names and the missing file, naming the field and the path', async () => {
    const bytes = meanModel();
    const { dir, file } = writeModel(bytes);
    const logit = { type: 'logit' as const, threshold: 0.5 };
    await expect(loadDetector(manifestFor(file, logit, { sha256: '0'.repeat(64) }), { modelsDir: dir })).rejects.toThrow(
      new RegExp(`model\\.sha256 mismatch .* file is ${sha256(bytes)}`),
    );
    await expect(loadDetector(manifestFor(file, logit, { input: 'pixel_values' }), { modelsDir: dir })).rejects.toThrow(
      /model\.input 'pixel_values' is not in the ONNX graph \(it has: input\)/,
    );
    await expect(loadDetector(manifestFor('nope.onnx', logit), { modelsDir: dir })).rejects.toThrow(MissingWeightsError);
    await expect(loadDetector(manifestFor('nope.onnx', logit), { modelsDir: dir })).rejects.toThrow(join(dir, 'nope.onnx'));
    const ok = await loadDetector(manifestFor(file, logit, { sha256: sha256(bytes) }), { modelsDir: dir });
    await ok.close();
  });

  it('rejects an input-size mismatch at load, not once per image', async () => {
    const { dir, file } = writeModel(meanModel());
    const logit = { type: 'logit' as const, threshold: 0.5 };
    const sized = (native: DetectorManifest['protocols']['native']) => ({ ...manifestFor(file, logit, { inputSize: [224, 224] }), protocols: { native } });
    await expect(loadDetector(sized([{ op: 'toTensor' }]), { modelsDir: dir })).rejects.toThrow(
      /protocol 'native' gives image-dependent sizes but the model needs 224x224/,
    );
    await expect(loadDetector(sized([{ op: 'pilResize', width: 100, height: 100 }, { op: 'toTensor' }]), { modelsDir: dir })).rejects.toThrow(
      /protocol 'native' gives 100x100 but the model needs 224x224/,
    );
    const d = await loadDetector(sized([{ op: 'resize', size: 256 }, { op: 'centerCrop', size: 224 }, { op: 'toTensor' }]), { modelsDir: dir });
    expect((await d.prepare(flat(1))).height).toBe(224);
    await d.close();
  });

  it('checks the ONNX input shape against the manifest (channels, fixed size)', async () => {
    const fixed = (channels: number, size: number) => {
      const g = new GraphBuilder(17);
      const x = g.input('input', ['N', channels, size, size]);
      g.op('ReduceMean', [x], { axes: [1, 2, 3], keepdims: 0 }, 'out');
      g.output('out', ['N']);
      return writeModel(g.build());
    };
    const logit = { type: 'logit' as const, threshold: 0.5 };
    const a = fixed(3, 224);
    await expect(loadDetector(manifestFor(a.file, logit, { inputSize: [256, 256] }), { modelsDir: a.dir })).rejects.toThrow(
      /model\.inputSize is 256x256 but the ONNX input is 224x224/,
    );
    // Without inputSize in the manifest, the graph's fixed size is what the protocol must produce.
    await expect(loadDetector(manifestFor(a.file, logit), { modelsDir: a.dir })).rejects.toThrow(/protocol 'native' gives image-dependent sizes but the model needs 224x224/);
    const d = await loadDetector({ ...manifestFor(a.file, logit), protocols: { native: [{ op: 'pilResize', width: 224, height: 224 }, { op: 'toTensor' }] } }, { modelsDir: a.dir });
    expect(d.inputShape).toEqual(['N', 3, 224, 224]);
    await d.close();
    const b = fixed(1, 32);
    await expect(loadDetector(manifestFor(b.file, logit), { modelsDir: b.dir })).rejects.toThrow(/model\.input 'input' expects 1 channels; semibench feeds RGB \(3\)/);
  });

  it('checks output.fakeIndex and one-value outputs against the graph at load', async () => {
    const two = writeModel(meanModel({ outputs: 2 }));
    await expect(loadDetector(manifestFor(two.file, { type: 'softmax', fakeIndex: 2, threshold: 0.5 }), { modelsDir: two.dir })).rejects.toThrow(
      /model\.output 'out' gives 2 values per image, so output\.fakeIndex 2 is out of range/,
    );
    await expect(loadDetector(manifestFor(two.file, { type: 'prob', threshold: 0.5 }), { modelsDir: two.dir })).rejects.toThrow(
      /gives 2 values per image; output\.type 'prob' needs one/,
    );
    // A symbolic class axis is measured with one probe inference when the input size is fixed.
    const g = new GraphBuilder(17);
    const x = g.input('input', ['N', 3, 8, 8]);
    const flatOut = g.op('Flatten', [g.op('AveragePool', [x], { kernel_shape: [4, 8], strides: [4, 8] })], { axis: 1 }); // [N, 3 * 2 * 1]
    g.op('Identity', [flatOut], {}, 'out');
    g.output('out', ['N', 'K']);
    const six = writeModel(g.build());
    const sized = (fakeIndex: number) => ({ ...manifestFor(six.file, { type: 'softmax' as const, fakeIndex, threshold: 0.5 }), protocols: { native: [{ op: 'pilResize' as const, width: 8, height: 8 }, { op: 'toTensor' as const }] } });
    await expect(loadDetector(sized(6), { modelsDir: six.dir })).rejects.toThrow(/gives 6 values per image, so output\.fakeIndex 6 is out of range/);
    await (await loadDetector(sized(5), { modelsDir: six.dir })).close();
  });

  it('scoreProblem: a non-finite score, or a prob output outside [0, 1], is a reason for an error row', () => {
    const prob = { type: 'prob' as const, threshold: 0.5 };
    expect(scoreProblem(0, prob)).toBeUndefined();
    expect(scoreProblem(1, prob)).toBeUndefined();
    expect(scoreProblem(1.25, prob)).toBe("model output 1.25 is outside [0, 1] for output.type 'prob' (a logit? then output.type is 'logit')");
    expect(scoreProblem(-0.5, prob)).toMatch(/^model output -0\.5 is outside \[0, 1\]/);
    expect(scoreProblem(NaN, prob)).toBe('model returned a non-finite score');
    expect(scoreProblem(toProbabilities(Float32Array.from([NaN]), [1], 1, { type: 'logit', threshold: 0.5 })[0], prob)).toBe('model returned a non-finite score');
  });

  it('turns non-finite outputs into NaN and rejects output shapes that do not fit the batch', () => {
    expect(toProbabilities(Float32Array.from([NaN, 0]), [2], 2, { type: 'logit', threshold: 0.5 })).toEqual([NaN, 0.5]);
    expect(() => toProbabilities(Float32Array.from([0, 1, 2]), [3], 2, { type: 'logit', threshold: 0.5 })).toThrow(/does not match a batch of 2/);
    expect(() => toProbabilities(Float32Array.from([0, 1]), [1, 2], 1, { type: 'prob', threshold: 0.5 })).toThrow(/needs one value per image, got 2/);
  });
});
