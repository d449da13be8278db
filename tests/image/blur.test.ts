import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { gaussianBlur, gaussianBoxRadius } from '../../src/image/blur.js';
import { decodeImage } from '../../src/image/decode.js';
import { diff, expectedImage, goldenCase, inputPath } from './goldens.js';

describe('gaussianBlur (Pillow extended box blur)', () => {
  it('maps sigma to the extended box radius of BoxBlur.c', () => {
    // sigma 2, 3 passes: sigma2 = 4/3, L = sqrt(17), l = 1, a = 3 * (2 - 4) / (6 * (4/3 - 4)) = 0.375
    expect(gaussianBoxRadius(2)).toBeCloseTo(1.375, 6);
    expect(gaussianBoxRadius(0)).toBe(0);
  });

  it('radius 0 is the identity', async () => {
    const img = await decodeImage(inputPath('rgb_41x29'));
    expect(diff(gaussianBlur(img, 0).data, img.data).count).toBe(0);
  });

  it('rejects negative or non-finite radii', async () => {
    const img = await decodeImage(inputPath('rgb_41x29'));
    expect(() => gaussianBlur(img, -1)).toThrow(/radius/);
    expect(() => gaussianBlur(img, Number.NaN)).toThrow(/radius/);
  });

  it("is not sharp's true Gaussian (golden is discriminating)", async () => {
    const img = await decodeImage(inputPath('rgb_97x61'));
    const golden = expectedImage(goldenCase('gaussianBlur/r2'));
    const raw = { width: img.width, height: img.height, channels: 3 as const };
    const viaSharp = new Uint8Array(await sharp(img.data, { raw }).blur(2).raw().toBuffer());
    expect(diff(viaSharp, golden.data).count).toBeGreaterThan(100);
  });
});
