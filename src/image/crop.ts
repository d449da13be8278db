import type { RgbImage } from './types.js';

/** Python 3 `round()` for the x.0 / x.5 values torchvision feeds it: ties go to the even integer. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Pillow `Image.crop((left, top, left + width, top + height))`; pixels outside the image are 0
 * (Pillow fills the out-of-bounds part of a crop box with zeros).
 */
export function cropBox(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const x0 = Math.max(0, left);
  const x1 = Math.min(img.width, left + width);
  if (x1 > x0) {
    for (let y = Math.max(0, top); y < Math.min(img.height, top + height); y++) {
      const src = (y * img.width + x0) * 3;
      data.set(img.data.subarray(src, src + (x1 - x0) * 3), ((y - top) * width + (x0 - left)) * 3);
    }
  }
  return { width, height, data };
}

/**
 * torchvision 0.14 `F.center_crop` on a PIL image (transforms/functional.py, center_crop):
 * when the crop is larger than the image it first zero-pads with left/top = (c - s) // 2 and
 * right/bottom = (c - s + 1) // 2, then crops at `int(round((h - ch) / 2.0))`, `int(round((w - cw) / 2.0))`
 * with Python's round-half-to-even (341 → 224 gives left 58, not 59).
 */
export function centerCrop(img: RgbImage, size: number | [number, number]): RgbImage {
  const [ch, cw] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(ch) && Number.isInteger(cw) && ch > 0 && cw > 0)) {
    throw new Error(`centerCrop: size must be positive integers, got ${JSON.stringify(size)}`);
  }
  // Padding shifts the image by (padLeft, padTop); in the padded frame the crop starts at round-half-even.
  const padLeft = cw > img.width ? Math.floor((cw - img.width) / 2) : 0;
  const padTop = ch > img.height ? Math.floor((ch - img.height) / 2) : 0;
  const paddedW = cw > img.width ? img.width + padLeft + Math.floor((cw - img.width + 1) / 2) : img.width;
  const paddedH = ch > img.height ? img.height + padTop + Math.floor((ch - img.height + 1) / 2) : img.height;
  const top = roundHalfEven((paddedH - ch) / 2) - padTop;
  const left = roundHalfEven((paddedW - cw) / 2) - padLeft;
  if (left === 0 && top === 0 && cw === img.width && ch === img.height) return img;
  return cropBox(img, left, top, cw, ch);
}

/** Drops the last column and/or row when the width / height is odd (NPR needs even sizes). */
export function cropToEven(img: RgbImage): RgbImage {
  const width = img.width & ~1;
  const height = img.height & ~1;
  if (width === img.width && height === img.height) return img;
  return cropBox(img, 0, 0, width, height);
}
