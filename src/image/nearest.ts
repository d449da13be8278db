import type { RgbImage } from './types.js';

/** Geometry.c `COORD(v)`: negative → -1, otherwise C truncation. */
const coord = (v: number): number => (v < 0.0 ? -1 : Math.trunc(v));

/**
 * Pillow 9.4 `Image.resize(size, NEAREST)`: `_imaging.c _resize` does not use Resample.c for NEAREST but an
 * affine transform with a = [w_in / w_out, 0, 0, 0, h_in / h_out, 0], which Geometry.c hands to
 * `ImagingScaleAffine`: source index `COORD(xo)` with xo starting at `a[0] * 0.5` and ACCUMULATED by `+= a[0]`
 * per pixel (the accumulated rounding error is part of the result, so it is kept).
 */
export function resampleNearest(img: RgbImage, width: number, height: number): RgbImage {
  const a0 = img.width / width;
  const a4 = img.height / height;
  const xintab = new Int32Array(width);
  let xmin = width;
  let xmax = 0;
  let xo = 0 + a0 * 0.5;
  for (let x = 0; x < width; x++) {
    const xin = coord(xo);
    if (xin >= 0 && xin < img.width) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xintab[x] = xin;
    }
    xo += a0;
  }
  const out = new Uint8Array(width * height * 3); // fill = 1: pixels with no source stay 0
  let yo = 0 + a4 * 0.5;
  for (let y = 0; y < height; y++) {
    const yi = coord(yo);
    if (yi >= 0 && yi < img.height) {
      const inRow = yi * img.width * 3;
      for (let x = xmin; x < xmax; x++) {
        const s = inRow + xintab[x] * 3;
        const o = (y * width + x) * 3;
        out[o] = img.data[s];
        out[o + 1] = img.data[s + 1];
        out[o + 2] = img.data[s + 2];
      }
    }
    yo += a4;
  }
  return { width, height, data: out };
}
