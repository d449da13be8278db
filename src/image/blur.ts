/**
 * Pillow 9.4 `ImageFilter.GaussianBlur(radius)`: `ImagingGaussianBlur` (libImaging/BoxBlur.c) turns the
 * standard deviation into an extended-box radius (`_gaussian_blur_radius`, Gwosdek et al. 2011) and runs
 * `ImagingBoxBlur` with 3 passes: 3 horizontal box blurs, transpose, 3 more, transpose back.
 * All C `float` arithmetic is emulated with Math.fround; the line blur uses the same 24-bit fixed point.
 */
import type { RgbImage } from './types.js';

const f32 = Math.fround;

/** BoxBlur.c `_gaussian_blur_radius` (every intermediate is a C float; constants like 12.0 are double). */
export function gaussianBoxRadius(radius: number, passes = 3): number {
  const r = f32(radius); // _imaging.c parses the radius with "f"
  const sigma2 = f32(f32(r * r) / passes);
  const L = f32(Math.sqrt(12.0 * sigma2 + 1.0));
  const l = f32(Math.floor((L - 1.0) / 2.0));
  let a = f32(f32(f32(2 * l) + 1) * f32(f32(l * f32(l + 1)) - f32(3 * sigma2)));
  a = f32(a / f32(6 * f32(sigma2 - f32(f32(l + 1) * f32(l + 1)))));
  return f32(l + a);
}

/**
 * BoxBlur.c `ImagingLineBoxBlur32` for one channel of one line: reads `len` samples at `src[offset + i*stride]`
 * and writes to `dst` the same way. Edge pixels are repeated; the fractional part of the radius weighs the
 * two far samples with `fw`.
 */
function boxBlurLine(
  src: Uint8Array, dst: Uint8Array, offset: number, stride: number, len: number,
  radius: number, edgeA: number, edgeB: number, ww: number, fw: number,
): void {
  const lastx = len - 1;
  const at = (x: number): number => src[offset + x * stride];
  // UINT32 bulk: `>>> 24` wraps like C; `& 255` is the (UINT8) cast.
  const save = (x: number, acc: number, left: number, right: number): void => {
    dst[offset + x * stride] = ((acc * ww + (at(left) + at(right)) * fw + 0x800000) >>> 24) & 255;
  };
  let acc = at(0) * (radius + 1);
  for (let x = 0; x < edgeA - 1; x++) acc += at(x);
  acc += at(lastx) * (radius - edgeA + 1);
  if (edgeA <= edgeB) {
    for (let x = 0; x < edgeA; x++) {
      acc += at(x + radius) - at(0);
      save(x, acc, 0, x + radius + 1);
    }
    for (let x = edgeA; x < edgeB; x++) {
      acc += at(x + radius) - at(x - radius - 1);
      save(x, acc, x - radius - 1, x + radius + 1);
    }
    for (let x = edgeB; x <= lastx; x++) {
      acc += at(lastx) - at(x - radius - 1);
      save(x, acc, x - radius - 1, lastx);
    }
  } else {
    for (let x = 0; x < edgeB; x++) {
      acc += at(x + radius) - at(0);
      save(x, acc, 0, x + radius + 1);
    }
    for (let x = edgeB; x < edgeA; x++) {
      acc += at(lastx) - at(0);
      save(x, acc, 0, lastx);
    }
    for (let x = edgeA; x <= lastx; x++) {
      acc += at(lastx) - at(x - radius - 1);
      save(x, acc, x - radius - 1, lastx);
    }
  }
}

/**
 * BoxBlur.c `ImagingHorizontalBoxBlur` applied along one axis of an RGB buffer, in place (Pillow blurs
 * into a line buffer and commits it, so in place with a scratch line is equivalent).
 */
function boxBlurAxis(data: Uint8Array, lines: number, len: number, lineStep: number, sampleStep: number, floatRadius: number): void {
  const radius = Math.trunc(floatRadius);
  const ww = Math.trunc(f32(16777216 / f32(f32(floatRadius * 2) + 1)));
  const fw = Math.trunc(((16777216 - (radius * 2 + 1) * ww) >>> 0) / 2);
  const edgeA = Math.min(radius + 1, len);
  const edgeB = Math.max(len - radius - 1, 0);
  const line = new Uint8Array(len * 3);
  const out = new Uint8Array(len * 3);
  for (let l = 0; l < lines; l++) {
    for (let i = 0; i < len; i++) {
      const s = l * lineStep + i * sampleStep;
      line[i * 3] = data[s];
      line[i * 3 + 1] = data[s + 1];
      line[i * 3 + 2] = data[s + 2];
    }
    for (let c = 0; c < 3; c++) boxBlurLine(line, out, c, 3, len, radius, edgeA, edgeB, ww, fw);
    for (let i = 0; i < len; i++) {
      const s = l * lineStep + i * sampleStep;
      data[s] = out[i * 3];
      data[s + 1] = out[i * 3 + 1];
      data[s + 2] = out[i * 3 + 2];
    }
  }
}

/** Pillow 9.4 `ImagingBoxBlur(imOut, imIn, radius, passes)`: n horizontal passes, then n vertical passes. */
export function boxBlur(img: RgbImage, radius: number, passes = 1): RgbImage {
  if (!(radius >= 0)) throw new Error(`boxBlur: radius must be >= 0, got ${radius}`);
  const data = new Uint8Array(img.data);
  const r = f32(radius);
  const { width, height } = img;
  for (let i = 0; i < passes; i++) boxBlurAxis(data, height, width, width * 3, 3, r);
  for (let i = 0; i < passes; i++) boxBlurAxis(data, width, height, 3, width * 3, r);
  return { width, height, data };
}

/** Pillow 9.4 `image.filter(ImageFilter.GaussianBlur(radius))` on an RGB image. */
export function gaussianBlur(img: RgbImage, radius: number): RgbImage {
  if (!(radius >= 0 && Number.isFinite(radius))) throw new Error(`gaussianBlur: radius must be a finite number >= 0, got ${radius}`);
  return boxBlur(img, gaussianBoxRadius(radius, 3), 3);
}
