import type { DetectorManifest } from './manifest.js';
import { IMAGENET } from './zoo/protocols.js';

/**
 * The starting point `semibench detectors add NAME` writes: an ImageNet-style classifier. Every field is a
 * guess the user must confirm against the detector's own test code (docs/adding-a-detector.md).
 */
export function scaffoldManifest(name: string, model?: { path: string; sha256: string; input: string; output: string }): DetectorManifest {
  return {
    name,
    description: `${name}: describe the detector (architecture, what it was trained on).`,
    model: model ?? { path: `${name}/${name}.onnx`, input: 'input', output: 'logit' },
    protocols: {
      native: [
        { op: 'resize', size: 256, filter: 'bilinear' },
        { op: 'centerCrop', size: 224 },
        { op: 'toTensor' },
        { op: 'normalize', ...IMAGENET },
      ],
    },
    output: { type: 'logit', threshold: 0.5 },
    provenance: { paper: '', code: '', weights: '', trainingData: '', licence: '', calibrated: true },
  };
}

/** The vitest file scaffolded next to a new manifest. */
export function scaffoldTest(name: string, manifestFile: string): string {
  return `import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDetector, modelPath } from '../../../src/detectors/adapter.js';
import { validateManifest } from '../../../src/detectors/manifest.js';
import { decodeImage } from '../../../src/image/decode.js';

const manifest = validateManifest(JSON.parse(readFileSync(${JSON.stringify(manifestFile)}, 'utf8')));
const modelsDir = 'models';
const weights = modelPath(manifest, modelsDir);

describe(${JSON.stringify(name)}, () => {
  it('has a valid manifest', () => {
    expect(manifest.name).toBe(${JSON.stringify(name)});
  });

  it.skipIf(weights !== undefined && !existsSync(weights))('scores a fixture image as a probability', async () => {
    const detector = await loadDetector(manifest, { modelsDir });
    const image = await decodeImage('fixtures/evalset/original/images/ADE20K/ADE_train_00000001.jpg');
    const [score] = await detector.score([await detector.prepare(image)]);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    // Replace with a known score from the detector's own PyTorch code on this image (tools/reference/predict.py).
    await detector.close();
  });
});
`;
}
