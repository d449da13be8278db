import { describe, expect, it } from 'vitest';
import { BUILTIN_DETECTORS } from '../../src/detectors/builtin/index.js';
import { validateManifest, type DetectorManifest } from '../../src/detectors/manifest.js';
import { ZOO } from '../../src/detectors/zoo/index.js';

const good = (): DetectorManifest => structuredClone(ZOO.find((m) => m.name === 'cnnspot-blur-jpg-0.1')!);

describe('validateManifest', () => {
  it('accepts every builtin and zoo manifest', () => {
    for (const m of [...BUILTIN_DETECTORS.map((b) => b.manifest), ...ZOO]) expect(validateManifest(structuredClone(m)).name).toBe(m.name);
  });

  it.each([
    ['unknown op, with a suggestion', (m: any) => (m.protocols.native[0] = { op: 'centreCrop', size: 224 }), /protocols\.native\[0\]\.op: Unknown op 'centreCrop'\. Did you mean 'centerCrop'\?/],
    ['wrong mean length', (m: any) => (m.protocols.native[2].mean = [0.5, 0.5]), /protocols\.native\[2\]\.mean: must be 3 numbers, one per RGB channel \(got 2\)/],
    ['zero std', (m: any) => (m.protocols.native[2].std = [0.2, 0, 0.2]), /protocols\.native\[2\]\.std: must not contain 0/],
    ['a stray field', (m: any) => (m.protocols.native[0].sise = 3), /protocols\.native\[0\]\.sise: not a field of centerCrop/],
    ['normalize before toTensor', (m: any) => m.protocols.native.reverse(), /protocols\.native: .*normalize.*before toTensor/],
    ['no toTensor', (m: any) => (m.protocols.native = [{ op: 'centerCrop', size: 224 }]), /protocols\.native: .*toTensor/],
    ['softmax without fake index', (m: any) => (m.output = { type: 'softmax', threshold: 0.5 }), /output\.fakeIndex: a softmax output needs/],
    ['bad output type', (m: any) => (m.output.type = 'sigmoid'), /output\.type: must be one of logit, prob, softmax, argmaxSigmoid \(got "sigmoid"\)/],
    ['bad sha256', (m: any) => (m.model.sha256 = 'abc'), /model\.sha256: must be 64 lowercase hex digits/],
    ['missing input name', (m: any) => delete m.model.input, /model\.input: must be a non-empty string/],
    ['calibration unstated', (m: any) => delete m.provenance.calibrated, /provenance\.calibrated/],
  ])('names the bad field: %s', (_, damage, message) => {
    const m = good();
    damage(m);
    expect(() => validateManifest(m)).toThrow(message);
  });
});
