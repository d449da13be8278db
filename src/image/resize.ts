import { centerCrop, centerCropBox } from './crop.js';
import { resampleNearest } from './nearest.js';
import type { ResampleFilter } from './ops.js';
import { resampleConvolution } from './resample.js';
import type { RgbImage } from './types.js';

export const RESAMPLE_FILTERS: readonly ResampleFilter[] = ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'];

/**
 * Pillow 9.4 `Image.resize((width, height), filter)` for an RGB image (Image.py `resize`, no box, no
 * reducing_gap): same size → copy; NEAREST → `ImagingScaleAffine` (nearest.ts); others → `ImagingResample`
 * (resample.ts). Pillow's default filter for RGB is BICUBIC.
 */
export function pilResize(img: RgbImage, width: number, height: number, filter: ResampleFilter = 'bicubic'): RgbImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`resize: target size must be positive integers, got ${width}x${height}`);
  }
  if (!RESAMPLE_FILTERS.includes(filter)) throw new Error(`resize: unknown filter '${filter}' (known: ${RESAMPLE_FILTERS.join(', ')})`);
  if (img.width === width && img.height === height) return { width, height, data: new Uint8Array(img.data) };
  if (filter === 'nearest') return resampleNearest(img, width, height);
  return resampleConvolution(img, width, height, filter);
}

/**
 * torchvision 0.14 `_compute_resized_output_size` (transforms/functional.py): an int resizes the short side
 * to `size` and the long side to `int(size * long / short)` (truncation), then caps the long side at `maxSize`
 * (`new_short = int(max_size * new_short / new_long)`); [h, w] is taken as is. Returns [height, width].
 */
export function resizedOutputSize(height: number, width: number, size: number | [number, number], maxSize?: number): [number, number] {
  if (Array.isArray(size)) {
    if (maxSize !== undefined) throw new Error('resize: maxSize is only allowed when size is a single number (short side)');
    return [size[0], size[1]];
  }
  const [short, long] = width <= height ? [width, height] : [height, width];
  let newShort = size;
  let newLong = Math.trunc((size * long) / short);
  if (maxSize !== undefined) {
    if (maxSize <= size) throw new Error(`resize: maxSize = ${maxSize} must be strictly greater than the requested short side ${size}`);
    if (newLong > maxSize) [newShort, newLong] = [Math.trunc((maxSize * newShort) / newLong), maxSize];
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

/** torchvision 0.14 `transforms.Resize(size, interpolation, max_size)` on a PIL image; default filter bilinear. */
export function tvResize(img: RgbImage, size: number | [number, number], filter: ResampleFilter = 'bilinear', maxSize?: number): RgbImage {
  const [h, w] = resizedOutputSize(img.height, img.width, size, maxSize);
  if (h === img.height && w === img.width) return img; // F.resize returns the input unchanged
  return pilResize(img, w, h, filter);
}

/**
 * `Compose([Resize(size), CenterCrop(crop)])` in one step: when the crop lies inside the resized image only
 * that window is resampled (each output pixel has its own taps, so the bytes are those of resize-then-crop).
 * Falls back to the two steps for NEAREST, padding crops and no-op resizes.
 */
export function tvResizeCenterCrop(
  img: RgbImage, size: number | [number, number], crop: number | [number, number],
  filter: ResampleFilter = 'bilinear', maxSize?: number,
): RgbImage {
  const [h, w] = resizedOutputSize(img.height, img.width, size, maxSize);
  const box = centerCropBox(w, h, crop);
  const inside = box.left >= 0 && box.top >= 0 && box.left + box.width <= w && box.top + box.height <= h;
  if (filter === 'nearest' || !inside || (h === img.height && w === img.width)) {
    return centerCrop(tvResize(img, size, filter, maxSize), crop);
  }
  if (!RESAMPLE_FILTERS.includes(filter)) throw new Error(`resize: unknown filter '${filter}' (known: ${RESAMPLE_FILTERS.join(', ')})`);
  return resampleConvolution(img, w, h, filter, box);
}
