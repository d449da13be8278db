import { describe, expect, it } from 'vitest';
import { diff } from './goldens.js';
import { centerCrop, cropBox, cropToEven, roundHalfEven } from '../../src/image/crop.js';
import type { RgbImage } from '../../src/image/types.js';

function ramp(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
  return { width, height, data };
}

describe('roundHalfEven (Python 3 round)', () => {
  it.each([
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [58.5, 58],
    [79.5, 80],
    [3, 3],
    [2.4, 2],
  ])('round(%d) = %d', (x, r) => expect(roundHalfEven(x)).toBe(r));
});

describe('centerCrop', () => {
  it('crops 341x256 to 224 at left 58 (58.5 rounds to even), top 16', () => {
    const img = ramp(341, 256);
    expect(diff(centerCrop(img, 224).data, cropBox(img, 58, 16, 224, 224).data).count).toBe(0);
    expect(diff(centerCrop(img, 224).data, cropBox(img, 59, 16, 224, 224).data).count).toBeGreaterThan(0);
  });

  it('crops 383x256 to 224 at left 80 (79.5 rounds to even)', () => {
    const img = ramp(383, 256);
    expect(diff(centerCrop(img, 224).data, cropBox(img, 80, 16, 224, 224).data).count).toBe(0);
  });

  it('zero-pads when the crop is larger (left pad (c - w) // 2)', () => {
    const img = ramp(3, 1);
    const out = centerCrop(img, [1, 6]);
    // pad left 1, right 2: [0, p0, p1, p2, 0, 0]
    expect(Array.from(out.data)).toEqual([0, 0, 0, ...img.data, 0, 0, 0, 0, 0, 0]);
  });

  it('returns the image itself when the size already matches', () => {
    const img = ramp(5, 4);
    expect(centerCrop(img, [4, 5])).toBe(img);
  });

  it('rejects non-positive or fractional sizes', () => {
    expect(() => centerCrop(ramp(5, 5), 0)).toThrow(/positive integers/);
    expect(() => centerCrop(ramp(5, 5), [2.5, 2])).toThrow(/positive integers/);
  });
});

describe('cropToEven', () => {
  it('drops the last odd row and column', () => {
    const img = ramp(5, 3);
    expect(cropToEven(img)).toEqual(cropBox(img, 0, 0, 4, 2));
  });

  it('keeps even images as they are', () => {
    const img = ramp(4, 2);
    expect(cropToEven(img)).toBe(img);
  });
});
