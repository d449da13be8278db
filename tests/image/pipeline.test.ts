import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { jpegRoundTrip } from '../../src/image/jpeg.js';
import type { PreprocessOp } from '../../src/image/ops.js';
import { preprocess, validateOps } from '../../src/image/pipeline.js';
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
