/**
 * Pillow 9.4 neighbourhood filters on mode "L" images, as `image.filter(...)` runs them:
 * - `ImageFilter.MaxFilter(size)` = RankFilter(size, size*size - 1): `image.expand(size // 2)` repeats the edge
 *   pixels (Filter.c ImagingExpand), then RankFilter.c picks the largest value of each size x size window;
 * - `ImageFilter.ModeFilter(size)` (ModeFilter.c): the most frequent value of the (2 * (size // 2) + 1)-square
 *   window clipped to the image (no edge repeat; an even size 10 is an 11 x 11 window), the smallest value on a
 *   tie, and the pixel itself when no value occurs more than twice.
 */
import { gaussianBlur } from './blur.js';
import type { GreyImage } from './grey.js';

/** `image.filter(ImageFilter.MaxFilter(size))` on an L image (size odd, as Pillow requires). */
export function maxFilter(img: GreyImage, size: number): GreyImage {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) throw new Error(`maxFilter: size must be odd, got ${size}`);
  const { width, height } = img;
  const r = size >> 1;
  // The maximum over a rectangle is separable: rows first, then columns, with edges repeated.
  const rows = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const line = y * width;
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let k = x - r; k <= x + r; k++) {
        const v = img.data[line + Math.min(Math.max(k, 0), width - 1)];
        if (v > m) m = v;
      }
      rows[line + x] = m;
    }
  }
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let k = y - r; k <= y + r; k++) {
        const v = rows[Math.min(Math.max(k, 0), height - 1) * width + x];
        if (v > m) m = v;
      }
      data[y * width + x] = m;
    }
  }
  return { width, height, data };
}

/** `image.filter(ImageFilter.ModeFilter(size))` on an L image. */
export function modeFilter(img: GreyImage, size: number): GreyImage {
  const { width, height } = img;
  const half = Math.trunc(size / 2);
  const data = new Uint8Array(width * height);
  // A sliding histogram (ModeFilter.c recounts each window; the counts are the same) plus the list of values
  // present, so finding the mode scans a few values instead of 256.
  const histogram = new Int32Array(256);
  const present = new Uint8Array(256);
  const slot = new Int32Array(256);
  let count = 0;
  const addColumn = (x: number, y0: number, y1: number, delta: 1 | -1): void => {
    if (x < 0 || x >= width) return;
    for (let y = y0; y <= y1; y++) {
      const v = img.data[y * width + x];
      if (delta === 1) {
        if (histogram[v]++ === 0) {
          slot[v] = count;
          present[count++] = v;
        }
      } else if (--histogram[v] === 0) {
        const last = present[--count];
        present[slot[v]] = last;
        slot[last] = slot[v];
      }
    }
  };
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(y - half, 0);
    const y1 = Math.min(y + half, height - 1);
    for (let i = 0; i < count; i++) histogram[present[i]] = 0;
    count = 0;
    for (let x = -half; x < half; x++) addColumn(x, y0, y1, 1);
    for (let x = 0; x < width; x++) {
      addColumn(x - half - 1, y0, y1, -1);
      addColumn(x + half, y0, y1, 1);
      // ModeFilter.c: the most frequent value, the smallest one on a tie.
      let maxPixel = 0;
      let maxCount = 0;
      for (let i = 0; i < count; i++) {
        const v = present[i];
        const c = histogram[v];
        if (c > maxCount || (c === maxCount && v < maxPixel)) {
          maxCount = c;
          maxPixel = v;
        }
      }
      data[y * width + x] = maxCount > 2 ? maxPixel : img.data[y * width + x];
    }
  }
  return { width, height, data };
}

/** `image.filter(ImageFilter.GaussianBlur(radius))` on an L image (BoxBlur.c blurs each band alike). */
export function greyGaussianBlur(img: GreyImage, radius: number): GreyImage {
  const { width, height } = img;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < img.data.length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = img.data[i];
  const blurred = gaussianBlur({ width, height, data: rgb }, radius);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = blurred.data[i * 3];
  return { width, height, data };
}
