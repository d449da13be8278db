import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { jpegRoundTrip } from '../../src/image/jpeg.js';
import type { PreprocessOp } from '../../src/image/ops.js';
import { preprocess, validateOps } from '../../src/image/pipeline.js';
import { clamp, normalize, toNormalizedTensor, toTensor } from '../../src/image/tensor.js';
import type { RgbImage } from '../../src/image/types.js';
import { diff, expectedImage, goldenCase, inputPath, readExpected, runCase } from './goldens.js';

const img: RgbImage = { width: 3, height: 3, data: new Uint8Array(27).fill(128) };

describe('preprocess stages', () => {
  it.each([
    [[{ op: 'toTensor' }, { op: 'cropToEven' }], /op #1 \(cropToEven\) works on the 8-bit image but comes after toTensor \(op #0\)/],
    [[{ op: 'clamp', min: 0, max: 1 }, { op: 'toTensor' }], /op #0 \(clamp\) works on the float tensor but comes before toTensor/],
    [[{ op: 'toTensor' }, { op: 'toTensor' }], /op #1 \(toTensor\): toTensor already ran at op #0/],
    [[{ op: 'cropToEven' }], /never reach toTensor/],
    [[{ op: 'toTensor' }, { op: 'sharpen' }], /op #1: unknown op 'sharpen'/],
  ])('rejects %j', async (ops, message) => {
    expect(() => validateOps(ops as PreprocessOp[])).toThrow(message);
    await expect(preprocess(img, ops as PreprocessOp[])).rejects.toThrow(message);
  });

  it("prefixes an op's own error with its index", async () => {
    await expect(preprocess(img, [{ op: 'centerCrop', size: 0 }, { op: 'toTensor' }])).rejects.toThrow(/^preprocess op #0 \(centerCrop\): centerCrop: size/);
    await expect(preprocess(img, [{ op: 'toTensor' }, { op: 'normalize', mean: [0], std: [1] }])).rejects.toThrow(/^preprocess op #1 \(normalize\): normalize: mean and std need 3 values/);
  });

  it('ToTensor + Normalize are bit-identical to torch float32 (true division, float32 mean/std)', async () => {
    for (const id of ['tensor/imagenet', 'tensor/clip', 'pipeline/run1-jpeg']) {
      const c = goldenCase(id);
      const t = await runCase(c);
      expect(diff((t as { data: Float32Array }).data, readExpected(c)).max, id).toBe(0);
    }
  });
});

describe('jpegRoundTrip', () => {
  it('rejects qualities outside 1..100', async () => {
    await expect(jpegRoundTrip(img, 0)).rejects.toThrow(/quality/);
    await expect(jpegRoundTrip(img, 101)).rejects.toThrow(/quality/);
  });

  it("is discriminating: mozjpeg's trellis quantisation is not Pillow's libjpeg-turbo", async () => {
    const src = await decodeImage(inputPath('rgb_97x61'));
    const golden = expectedImage(goldenCase('jpeg/q75-420'));
    const raw = { width: src.width, height: src.height, channels: 3 as const };
    const moz = await decodeImage(await sharp(src.data, { raw }).jpeg({ quality: 75, mozjpeg: true }).toBuffer());
    expect(diff(moz.data, golden.data).max).toBeGreaterThan(10);
  });
});

describe('ToTensor + per-value ops fused (toNormalizedTensor, preprocess)', () => {
  // Every byte value in every channel, in an image whose width makes HWC and CHW orders differ.
  const all: RgbImage = { width: 256, height: 3, data: new Uint8Array(256 * 3 * 3).map((_, i) => (i * 7 + (i % 3) * 85) & 255) };
  it.each([
    ['ImageNet', [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]],
    ['CLIP', [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]],
    ['0.5', [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]],
  ])('gives the float32 values of normalize(toTensor()) bit for bit (%s)', (_, mean, std) => {
    const fused = toNormalizedTensor(all, mean, std);
    const twoStep = normalize(toTensor(all), mean, std);
    expect(fused.width).toBe(256);
    expect(Buffer.from(fused.data.buffer).equals(Buffer.from(twoStep.data.buffer))).toBe(true);
  });

  it.each<[string, PreprocessOp[]]>([
    ['normalize, clamp (run_1.py)', [{ op: 'normalize', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, { op: 'clamp', min: 0, max: 1 }]],
    ['clamp, normalize, clamp', [{ op: 'clamp', min: 0.1, max: 0.9 }, { op: 'normalize', mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4] }, { op: 'clamp', min: -0.5, max: 2 }]],
    ['normalize twice', [{ op: 'normalize', mean: [0.1, 0.2, 0.3], std: [0.3, 0.2, 0.1] }, { op: 'normalize', mean: [1, -1, 0.5], std: [2, 3, 0.7] }]],
  ])('preprocess gives the float32 bits of each op run on the whole tensor (%s)', async (_, tensorOps) => {
    const fused = await preprocess(all, [{ op: 'toTensor' }, ...tensorOps]);
    let reference = toTensor(all);
    for (const op of tensorOps) reference = op.op === 'clamp' ? clamp(reference, op.min, op.max) : op.op === 'normalize' ? normalize(reference, op.mean, op.std) : reference;
    expect([fused.channels, fused.height, fused.width]).toEqual([3, 3, 256]);
    expect(Buffer.from(fused.data.buffer).equals(Buffer.from(reference.data.buffer))).toBe(true);
  });

  it('is what preprocess runs for toTensor then normalize, and keeps the op index in errors', async () => {
    const ops: PreprocessOp[] = [{ op: 'toTensor' }, { op: 'normalize', mean: [0.1, 0.2, 0.3], std: [0.3, 0.2, 0.1] }, { op: 'clamp', min: -1, max: 1 }];
    const t = await preprocess(all, ops);
    expect(t.data[0]).toBe(Math.max(-1, Math.min(1, Math.fround(Math.fround(Math.fround(all.data[0] / 255) - Math.fround(0.1)) / Math.fround(0.3)))));
    await expect(preprocess(all, [{ op: 'toTensor' }, { op: 'normalize', mean: [0, 0, 0], std: [1, 0, 1] }])).rejects.toThrow(/^preprocess op #1 \(normalize\): normalize: std contains 0/);
    await expect(preprocess(all, [{ op: 'toTensor' }, { op: 'clamp', min: 0, max: 1 }, { op: 'normalize', mean: [0], std: [1] }])).rejects.toThrow(/^preprocess op #2 \(normalize\): normalize: mean and std need 3 values/);
  });
});
