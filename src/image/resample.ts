/**
 * A port of Pillow 9.4 `src/libImaging/Resample.c` for 8-bit images (`ImagingResample` with the
 * 8bpc passes): separable convolution, horizontal pass then vertical pass, 22-bit fixed-point
 * coefficients, 8-bit intermediate image. Bit-exact with `Image.resize` for every filter but NEAREST
 * (which Pillow routes elsewhere, see nearest.ts).
 */
import type { RgbImage } from './types.js';

export type ConvolutionFilter = 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

interface Filter {
  fn: (x: number) => number;
  support: number;
}

// Resample.c: `0.54f + 0.46f * cos(x)` uses float constants promoted to double.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0.0) return 1.0;
  x = x * Math.PI;
  return Math.sin(x) / x;
}

/** Resample.c filter table (box_filter … lanczos_filter and their supports). */
const FILTERS: Record<ConvolutionFilter, Filter> = {
  box: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1.0 : 0.0) },
  bilinear: {
    support: 1.0,
    fn: (x) => {
      if (x < 0.0) x = -x;
      return x < 1.0 ? 1.0 - x : 0.0;
    },
  },
  hamming: {
    support: 1.0,
    fn: (x) => {
      if (x < 0.0) x = -x;
      if (x === 0.0) return 1.0;
      if (x >= 1.0) return 0.0;
      x = x * Math.PI;
      return (Math.sin(x) / x) * (HAMMING_A + HAMMING_B * Math.cos(x));
    },
  },
  bicubic: {
    support: 2.0,
    fn: (x) => {
      const a = -0.5;
      if (x < 0.0) x = -x;
      if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
      if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
      return 0.0;
    },
  },
  lanczos: { support: 3.0, fn: (x) => (-3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0) },
};

/** `PRECISION_BITS = 32 - 8 - 2` in Resample.c. */
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** Fixed-point taps for one axis: output i reads `size[i]` inputs from `start[i]` with `ksize` slots each. */
interface Coeffs {
  ksize: number;
  start: Int32Array;
  size: Int32Array;
  k: Int32Array;
}

/**
 * Resample.c `precompute_coeffs` + `normalize_coeffs_8bpc`. The support widens by the downscale factor
 * (antialiasing); pixel centres sit at `in0 + (xx + 0.5) * scale`; C's `(int)` truncation is kept.
 */
function precomputeCoeffs(inSize: number, in0: number, in1: number, outSize: number, filter: Filter): Coeffs {
  // `(double)(in1 - in0)`: the box is float in C; exact for integer sizes below 2^24.
  const scale = Math.fround(in1 - in0) / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const size = new Int32Array(outSize);
  const k = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x++) {
      const v = filter.fn((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0.0 ? w[x] / ww : w[x];
      // normalize_coeffs_8bpc: round half away from zero, then C truncation.
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    start[xx] = xmin;
    size[xx] = xmax;
  }
  return { ksize, start, size, k };
}

/** Resample.c `clip8`: `_clip8_lookups[(ss >> PRECISION_BITS) + 640]`, i.e. clamp to 0..255. */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * ImagingResampleHorizontal_8bpc for output columns [x0, x0 + outWidth) on input rows [rowOffset, rowOffset + rows).
 * Every output pixel has its own taps, so computing a sub-range gives the same bytes as cropping afterwards.
 */
function horizontal(src: RgbImage, x0: number, outWidth: number, rowOffset: number, rows: number, c: Coeffs): RgbImage {
  const out = new Uint8Array(outWidth * rows * 3);
  const inRow = src.width * 3;
  const data = src.data;
  const { k, start, size, ksize } = c;
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + rowOffset) * inRow;
    let o = yy * outWidth * 3;
    for (let xx = x0; xx < x0 + outWidth; xx++) {
      const kBase = xx * ksize;
      const n = size[xx];
      let p = rowBase + start[xx] * 3;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const kv = k[kBase + x];
        s0 += data[p] * kv;
        s1 += data[p + 1] * kv;
        s2 += data[p + 2] * kv;
      }
      out[o++] = clip8(s0);
      out[o++] = clip8(s1);
      out[o++] = clip8(s2);
    }
  }
  return { width: outWidth, height: rows, data: out };
}

/**
 * ImagingResampleVertical_8bpc; `rowShift` is the `bounds_vert[i*2] -= ybox_first` shift. Same sums as the C
 * loop (int32, fixed tap order), accumulated a whole row at a time so memory is read sequentially.
 */
function vertical(src: RgbImage, y0: number, outHeight: number, rowShift: number, c: Coeffs): RgbImage {
  const rowLen = src.width * 3;
  const out = new Uint8Array(rowLen * outHeight);
  const acc = new Int32Array(rowLen);
  const data = src.data;
  for (let yy = y0; yy < y0 + outHeight; yy++) {
    const kBase = yy * c.ksize;
    const n = c.size[yy];
    const first = (c.start[yy] - rowShift) * rowLen;
    acc.fill(HALF);
    for (let y = 0; y < n; y++) {
      const kv = c.k[kBase + y];
      const row = first + y * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += data[row + i] * kv;
    }
    const o = (yy - y0) * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = clip8(acc[i]);
  }
  return { width: src.width, height: outHeight, data: out };
}

/** A window of the output image: what `Image.resize(...).crop(...)` would keep. */
export interface OutputRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Resample.c `ImagingResample` / `ImagingResampleInner` with the full-image box (0, 0, w, h).
 * The horizontal pass only computes the rows the vertical pass will read (`ybox_first..ybox_last`).
 * With `region`, only that window of the width x height result is computed (same bytes, less work).
 */
export function resampleConvolution(
  img: RgbImage, width: number, height: number, filterName: ConvolutionFilter,
  region: OutputRegion = { left: 0, top: 0, width, height },
): RgbImage {
  const { left, top } = region;
  if (left < 0 || top < 0 || left + region.width > width || top + region.height > height) {
    throw new Error(`resample: region ${JSON.stringify(region)} is outside the ${width}x${height} output`);
  }
  const filter = FILTERS[filterName];
  const needHorizontal = width !== img.width;
  const needVertical = height !== img.height;
  const vert = precomputeCoeffs(img.height, 0, img.height, height, filter);
  const bottom = top + region.height - 1;
  // Without a vertical pass the output rows are the input rows.
  const yFirst = needVertical ? vert.start[top] : top;
  const yLast = needVertical ? vert.start[bottom] + vert.size[bottom] : bottom + 1;
  let cur: RgbImage;
  if (needHorizontal) {
    const horiz = precomputeCoeffs(img.width, 0, img.width, width, filter);
    cur = horizontal(img, left, region.width, yFirst, yLast - yFirst, horiz);
  } else {
    cur = sliceRows(img, left, region.width, yFirst, yLast - yFirst);
  }
  return needVertical ? vertical(cur, top, region.height, yFirst, vert) : cur;
}

/** Columns [left, left + width) of rows [top, top + rows), copied. */
function sliceRows(img: RgbImage, left: number, width: number, top: number, rows: number): RgbImage {
  const data = new Uint8Array(width * rows * 3);
  for (let y = 0; y < rows; y++) {
    const src = ((top + y) * img.width + left) * 3;
    data.set(img.data.subarray(src, src + width * 3), y * width * 3);
  }
  return { width, height: rows, data };
}
