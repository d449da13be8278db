import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDetector } from '../../src/detectors/adapter.js';
import { isHfFolder, manifestFromHfFolder } from '../../src/detectors/huggingface.js';
import { listDetectors, selectDetectors } from '../../src/detectors/registry.js';
import { GraphBuilder } from '../../src/detectors/onnx-graph.js';
import { decodeImage } from '../../src/image/decode.js';
import { centerCropFloor } from '../../src/image/crop.js';
import { preprocess } from '../../src/image/pipeline.js';
import { tempDir } from '../helpers.js';

/** A Hugging Face-style folder with a tiny ONNX classifier: logits = [mean, 0] per image. */
function hfFolder(root: string, name: string, processor: object, id2label: object): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const g = new GraphBuilder(17);
  const x = g.input('pixel_values', ['N', 3, 224, 224]);
  const mean = g.op('ReduceMean', [x], { axes: [1, 2, 3], keepdims: 1 }); // [N,1,1,1]
  const flat = g.op('Reshape', [mean, g.ints([-1, 1])]);
  g.op('Concat', [flat, g.op('Mul', [flat, g.floats([0], [])])], { axis: 1 }, 'logits');
  g.output('logits', ['N', 2]);
  writeFileSync(join(dir, 'onnx/model.onnx'), g.build());
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['SwinForImageClassification'], id2label }));
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(processor));
  return dir;
}

const VIT = { do_resize: true, size: { height: 224, width: 224 }, resample: 3, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] };

describe('Hugging Face model folders as detectors', () => {
  it('reads the processor config into ops and the fake index from id2label', () => {
    const dir = hfFolder(tempDir(), 'sdxl-like', VIT, { 0: 'artificial', 1: 'human' });
    expect(isHfFolder(dir)).toBe(true);
    const m = manifestFromHfFolder(dir);
    expect(m.protocols.native).toEqual([
      { op: 'pilResize', width: 224, height: 224, filter: 'bicubic' },
      { op: 'toTensor' },
      { op: 'normalize', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    ]);
    expect(m.output).toEqual({ type: 'softmax', fakeIndex: 0, threshold: 0.5 });
  });

  it('handles shortest_edge + center crop and ConvNeXt crop_pct', () => {
    const root = tempDir();
    const clip = manifestFromHfFolder(hfFolder(root, 'clip', { size: { shortest_edge: 224 }, resample: 3, do_center_crop: true, crop_size: { height: 224, width: 224 }, image_mean: [0, 0, 0], image_std: [1, 1, 1] }, { 0: 'real', 1: 'fake' }));
    expect(clip.protocols.native.slice(0, 2)).toEqual([{ op: 'resize', size: 224, filter: 'bicubic' }, { op: 'centerCropFloor', size: [224, 224] }]);
    expect(clip.output.fakeIndex).toBe(1);
    const convnext = manifestFromHfFolder(hfFolder(root, 'convnext', { size: { shortest_edge: 224 }, crop_pct: 0.875, resample: 3, image_mean: [0, 0, 0], image_std: [1, 1, 1] }, { 0: 'ai_generated' }));
    expect(convnext.protocols.native.slice(0, 2)).toEqual([{ op: 'resize', size: 256, filter: 'bicubic' }, { op: 'centerCropFloor', size: 224 }]);
    expect(convnext.output.type).toBe('logit');
  });

  it('refuses to guess the fake class', () => {
    const dir = hfFolder(tempDir(), 'ambiguous', VIT, { 0: 'cat', 1: 'dog' });
    expect(() => manifestFromHfFolder(dir)).toThrow(/cannot tell which id2label entry is the fake class/);
  });

  it('runs from the manifests folder and as hf:PATH through the same adapter', async () => {
    const manifestsDir = tempDir();
    const dir = hfFolder(manifestsDir, 'tiny-hf', VIT, { 0: 'artificial', 1: 'human' });
    const registry = listDetectors({ modelsDir: tempDir(), manifestsDir });
    const [entry] = selectDetectors(['tiny-hf'], registry);
    expect(entry.origin).toBe('user');
    const [direct] = selectDetectors([`hf:${dir}`], registry);
    const detector = await loadDetector(direct.manifest, { modelsDir: tempDir() });
    const white = { width: 300, height: 200, data: new Uint8Array(300 * 200 * 3).fill(255) };
    const [p] = await detector.score([await detector.prepare(white)]);
    // pixel 1.0 → normalised 1.0 → logits [1, 0] → softmax at index 0 = e / (e + 1)
    expect(p).toBeCloseTo(Math.E / (Math.E + 1), 6);
    await detector.close();
  });
});

/** Goldens from tools/parity/make_hf_goldens.py: the slow CLIP / ConvNeXt image processors, step by step. */
const GOLDENS = 'tests/goldens/hf';
const goldenCases: { name: string; preprocessor_config: object; shape: number[] }[] = JSON.parse(readFileSync(`${GOLDENS}/cases.json`, 'utf8')).cases;

describe('Hugging Face preprocessing equals the image processor on textured images', () => {
  const root = tempDir();
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(goldenCases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const dir = hfFolder(root, c.name, c.preprocessor_config, { 0: 'real', 1: 'fake' });
    const manifest = manifestFromHfFolder(dir);
    const tensor = await preprocess(await decodeImage(`${GOLDENS}/${c.name}.png`), manifest.protocols.native);
    expect([tensor.channels, tensor.height, tensor.width]).toEqual(c.shape);
    const gz = gunzipSync(readFileSync(`${GOLDENS}/${c.name}.f32.gz`));
    const expected = new Float32Array(gz.buffer.slice(gz.byteOffset, gz.byteOffset + gz.length));
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(tensor.data[i] - expected[i]));
    expect(worst).toBeLessThan(1e-6);
  });

  it('centerCropFloor: offsets floor((H - h) / 2), the image ceil(margin / 2) from the top-left when padding', () => {
    // A 7x5 image whose pixel (x, y) holds 1 + x + 10 * y in every channel, so each output pixel names its source.
    const img = { width: 7, height: 5, data: new Uint8Array(7 * 5 * 3) };
    for (let i = 0; i < 35; i++) img.data.fill(1 + (i % 7) + 10 * Math.floor(i / 7), 3 * i, 3 * i + 3);
    const at = (o: { width: number; data: Uint8Array }, x: number, y: number) => o.data[3 * (y * o.width + x)];
    // Margin 3 across: Python (7 - 4) // 2 = 1 (torchvision would round 1.5 to 2).
    const crop = centerCropFloor(img, [5, 4]);
    expect([at(crop, 0, 0), at(crop, 3, 4)]).toEqual([2, 45]);
    // Crop 8x10 on 5x7: rows (5 - 8) // 2 = -2, columns (7 - 10) // 2 = -2 → two zero rows and columns first.
    const padded = centerCropFloor(img, [8, 10]);
    expect([at(padded, 1, 1), at(padded, 2, 2), at(padded, 8, 6), at(padded, 9, 7)]).toEqual([0, 1, 47, 0]);
  });
});
