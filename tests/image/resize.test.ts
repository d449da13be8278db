import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { centerCrop } from '../../src/image/crop.js';
import { pilResize, RESAMPLE_FILTERS, resizedOutputSize, tvResize, tvResizeCenterCrop } from '../../src/image/resize.js';
import type { RgbImage } from '../../src/image/types.js';
import { diff, expectedImage, goldenCase, inputPath } from './goldens.js';

async function sharpResize(img: RgbImage, width: number, height: number, kernel: 'linear' | 'cubic' | 'lanczos3'): Promise<Uint8Array> {
  const raw = { width: img.width, height: img.height, channels: 3 as const };
  return new Uint8Array(await sharp(img.data, { raw }).resize(width, height, { fit: 'fill', kernel }).raw().toBuffer());
}

describe('torchvision Resize size rule (_compute_resized_output_size)', () => {
  it.each([
    [480, 640, 256, [256, 341]],
    [683, 1024, 256, [256, 383]],
    [500, 333, 256, [384, 256]],
    [150, 200, 256, [256, 341]],
    [512, 512, 224, [224, 224]],
    [71, 45, 32, [50, 32]],
  ] as const)('%i x %i (h x w), size %i → %j (long side truncated)', (h, w, size, expected) => {
    expect(resizedOutputSize(h, w, size)).toEqual(expected);
  });

  it('caps the long side at maxSize and shrinks the short side with int()', () => {
    expect(resizedOutputSize(61, 97, 40, 50)).toEqual([31, 50]);
    expect(resizedOutputSize(61, 97, 40, 100)).toEqual([40, 63]);
  });

  it('rejects maxSize <= size and maxSize with an exact size, like torchvision', () => {
    expect(() => resizedOutputSize(61, 97, 40, 40)).toThrow(/strictly greater/);
    expect(() => resizedOutputSize(61, 97, [10, 10], 50)).toThrow(/maxSize/);
  });

  it('returns the input itself when the size does not change', async () => {
    const img = await decodeImage(inputPath('rgb_41x29'));
    expect(tvResize(img, 29)).toBe(img);
  });
});

describe('pilResize', () => {
  it('rejects bad sizes and filters', async () => {
    const img = await decodeImage(inputPath('rgb_41x29'));
    expect(() => pilResize(img, 0, 10)).toThrow(/positive integers/);
    expect(() => pilResize(img, 10.5, 10)).toThrow(/positive integers/);
    expect(() => pilResize(img, 10, 10, 'mitchell' as never)).toThrow(/unknown filter 'mitchell'/);
  });

  it('copies on same size (Image.resize returns self.copy())', async () => {
    const img = await decodeImage(inputPath('rgb_41x29'));
    const out = pilResize(img, 41, 29);
    expect(out).not.toBe(img);
    expect(diff(out.data, img.data).count).toBe(0);
  });

  it('the filters are told apart by the goldens', async () => {
    const img = await decodeImage(inputPath('rgb_41x29'));
    const bicubic = expectedImage(goldenCase('pilResize/bicubic-up'));
    expect(diff(pilResize(img, 67, 47, 'bilinear').data, bicubic.data).count).toBeGreaterThan(100);
  });
});

describe('the goldens are discriminating: sharp/libvips resize is NOT Pillow', () => {
  it('upscale (libvips samples corner-aligned, Pillow centre-aligned)', async () => {
    const img = await decodeImage(inputPath('rgb_41x29'));
    const golden = expectedImage(goldenCase('pilResize/bilinear-up'));
    const d = diff(await sharpResize(img, 67, 47, 'linear'), golden.data);
    expect(d.max).toBeGreaterThan(20);
  });

  it('>5x downscale (libvips shrinks by an integer factor first)', async () => {
    const img = await decodeImage(inputPath('big_600x400'));
    const golden = expectedImage(goldenCase('downscale6x/lanczos'));
    expect(diff(await sharpResize(img, 97, 61, 'lanczos3'), golden.data).max).toBeGreaterThan(5);
  });
});

describe('tvResizeCenterCrop (fused Resize + CenterCrop)', () => {
  it('gives the bytes of Resize then CenterCrop for every filter, size and crop (200 random cases)', () => {
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let t = 0; t < 200; t++) {
      const width = 1 + rand(70);
      const height = 1 + rand(70);
      const data = new Uint8Array(width * height * 3).map(() => (rand(2) ? 255 : rand(256)));
      const img = { width, height, data };
      const size: number | [number, number] = t % 4 === 0 ? [1 + rand(90), 1 + rand(90)] : 1 + rand(90);
      const crop: [number, number] = [1 + rand(90), 1 + rand(90)];
      const filter = RESAMPLE_FILTERS[t % RESAMPLE_FILTERS.length];
      const fused = tvResizeCenterCrop(img, size, crop, filter);
      const twoStep = centerCrop(tvResize(img, size, filter), crop);
      expect([fused.width, fused.height]).toEqual([twoStep.width, twoStep.height]);
      expect(diff(fused.data, twoStep.data).count, JSON.stringify({ width, height, size, crop, filter })).toBe(0);
    }
  });
});
