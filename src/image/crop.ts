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
 * torchvision 0.14 `F.center_crop` geometry (transforms/functional.py, center_crop): the crop box in the
 * image's own coordinates. When the crop is larger than the image torchvision first zero-pads with
 * left/top = (c - s) // 2 and right/bottom = (c - s + 1) // 2, so `left`/`top` may be negative; then it crops
 * at `int(round((h - ch) / 2.0))`, `int(round((w - cw) / 2.0))` with Python's round-half-to-even
 * (341 → 224 gives left 58, not 59).
 */
export function centerCropBox(width: number, height: number, size: number | [number, number]): { left: number; top: number; width: number; height: number } {
  const [ch, cw] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(ch) && Number.isInteger(cw) && ch > 0 && cw > 0)) {
    throw new Error(`centerCrop: size must be positive integers, got ${JSON.stringify(size)}`);
  }
  const padLeft = cw > width ? Math.floor((cw - width) / 2) : 0;
  const padTop = ch > height ? Math.floor((ch - height) / 2) : 0;
  const paddedW = cw > width ? width + padLeft + Math.floor((cw - width + 1) / 2) : width;
  const paddedH = ch > height ? height + padTop + Math.floor((ch - height + 1) / 2) : height;
  return {
    left: roundHalfEven((paddedW - cw) / 2) - padLeft,
    top: roundHalfEven((paddedH - ch) / 2) - padTop,
    width: cw,
    height: ch,
  };
}

/** torchvision 0.14 `transforms.CenterCrop(size)` on a PIL image: {@link centerCropBox}, zeros outside. */
export function centerCrop(img: RgbImage, size: number | [number, number]): RgbImage {
  const box = centerCropBox(img.width, img.height, size);
  if (box.left === 0 && box.top === 0 && box.width === img.width && box.height === img.height) return img;
  return cropBox(img, box.left, box.top, box.width, box.height);
}

/**
 * transformers `image_transforms.center_crop`: the box starts at `(H - h) // 2`, `(W - w) // 2` (Python floor
 * division, so negative when the crop is larger and the image sits ceil(margin / 2) from the top-left), zeros
 * outside. torchvision rounds half to even instead (centerCropBox).
 */
export function centerCropFloor(img: RgbImage, size: number | [number, number]): RgbImage {
  const [ch, cw] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(ch) && Number.isInteger(cw) && ch > 0 && cw > 0)) {
    throw new Error(`centerCropFloor: size must be positive integers, got ${JSON.stringify(size)}`);
  }
  if (ch === img.height && cw === img.width) return img;
  return cropBox(img, Math.floor((img.width - cw) / 2), Math.floor((img.height - ch) / 2), cw, ch);
}

/** Drops the last column and/or row when the width / height is odd (NPR needs even sizes). */
export function cropToEven(img: RgbImage): RgbImage {
  if (img.width < 2 || img.height < 2) {
    throw new Error(`image ${img.width}x${img.height} is smaller than the 2x2 that cropToEven (full-resolution detectors) needs`);
  }
  const width = img.width & ~1;
  const height = img.height & ~1;
  if (width === img.width && height === img.height) return img;
  return cropBox(img, 0, 0, width, height);
}
