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

/** ImagingResampleHorizontal_8bpc on rows [rowOffset, rowOffset + rows) of an RGB image. */
function horizontal(src: RgbImage, outWidth: number, rowOffset: number, rows: number, c: Coeffs): RgbImage {
  const out = new Uint8Array(outWidth * rows * 3);
  const inRow = src.width * 3;
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + rowOffset) * inRow;
    for (let xx = 0; xx < outWidth; xx++) {
      const kBase = xx * c.ksize;
      const n = c.size[xx];
      let p = rowBase + c.start[xx] * 3;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++, p += 3) {
        const kv = c.k[kBase + x];
        s0 += src.data[p] * kv;
        s1 += src.data[p + 1] * kv;
        s2 += src.data[p + 2] * kv;
      }
      const o = (yy * outWidth + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width: outWidth, height: rows, data: out };
}

/** ImagingResampleVertical_8bpc; `rowShift` is the `bounds_vert[i*2] -= ybox_first` shift. */
function vertical(src: RgbImage, outHeight: number, rowShift: number, c: Coeffs): RgbImage {
  const rowLen = src.width * 3;
  const out = new Uint8Array(rowLen * outHeight);
  for (let yy = 0; yy < outHeight; yy++) {
    const kBase = yy * c.ksize;
    const n = c.size[yy];
    const first = (c.start[yy] - rowShift) * rowLen;
    const o = yy * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let s = HALF;
      let p = first + i;
      for (let y = 0; y < n; y++, p += rowLen) s += src.data[p] * c.k[kBase + y];
      out[o + i] = clip8(s);
    }
  }
  return { width: src.width, height: outHeight, data: out };
}

/**
 * Resample.c `ImagingResample` / `ImagingResampleInner` with the full-image box (0, 0, w, h).
 * The horizontal pass only computes the rows the vertical pass will read (`ybox_first..ybox_last`).
 */
export function resampleConvolution(img: RgbImage, width: number, height: number, filterName: ConvolutionFilter): RgbImage {
  const filter = FILTERS[filterName];
  const needHorizontal = width !== img.width;
  const needVertical = height !== img.height;
  const vert = precomputeCoeffs(img.height, 0, img.height, height, filter);
  const yFirst = vert.start[0];
  const yLast = vert.start[height - 1] + vert.size[height - 1];
  let cur = img;
  let rowShift = 0;
  if (needHorizontal) {
    const horiz = precomputeCoeffs(img.width, 0, img.width, width, filter);
    cur = horizontal(img, width, yFirst, yLast - yFirst, horiz);
    rowShift = yFirst;
  }
  if (needVertical) return vertical(cur, height, rowShift, vert);
  return cur === img ? { width: img.width, height: img.height, data: new Uint8Array(img.data) } : cur;
}
