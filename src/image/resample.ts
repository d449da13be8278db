/**
 * A port of Pillow 9.4 `src/libImaging/Resample.c` for 8-bit images (`ImagingResample` with the
 * 8bpc passes): separable convolution, horizontal pass then vertical pass, 22-bit fixed-point
 * coefficients, 8-bit intermediate image. Bit-exact with `Image.resize` for every filter but NEAREST
 * (which Pillow routes elsewhere, see nearest.ts).
 */
import { simdKernels, simdMemory } from './resample-simd.js';
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
  const right = left + region.width - 1;
  const bottom = top + region.height - 1;
  const vert = precomputeCoeffs(img.height, 0, img.height, height, filter);
  const horiz = needHorizontal ? precomputeCoeffs(img.width, 0, img.width, width, filter) : undefined;
  // Input rows the vertical pass reads (`ybox_first..ybox_last`) and input columns the horizontal pass reads;
  // without a pass the output rows / columns are the input ones.
  const yFirst = needVertical ? vert.start[top] : top;
  const rows = (needVertical ? vert.start[bottom] + vert.size[bottom] : bottom + 1) - yFirst;
  const xFirst = horiz ? horiz.start[left] : left;
  const srcStride = ((horiz ? horiz.start[right] + horiz.size[right] : right + 1) - xFirst) * 3;
  const rowLen = region.width * 3;

  // WebAssembly memory layout: copied input window | horizontal output | vertical output | taps. The kernels read
  // up to 8 bytes past a buffer and store up to 8 past one, hence PAD.
  const layout = new Layout();
  const srcAt = layout.take(srcStride * rows);
  const midAt = needHorizontal ? layout.take(rowLen * rows) : srcAt;
  const outAt = needVertical ? layout.take(rowLen * region.height) : midAt;
  const hTaps = horiz && layout.taps(horiz, left, region.width);
  const vTaps = needVertical ? layout.taps(vert, top, region.height) : undefined;
  const mem = simdMemory(layout.end);
  const kernels = simdKernels();
  for (let y = 0; y < rows; y++) {
    const from = ((yFirst + y) * img.width + xFirst) * 3;
    mem.set(img.data.subarray(from, from + srcStride), srcAt + y * srcStride);
  }
  if (horiz && hTaps) {
    hTaps.write(mem, horiz, left, region.width, (start) => (start - xFirst) * 3);
    kernels.horizontal(srcAt, srcStride, rows, midAt, region.width, hTaps.start, hTaps.size, hTaps.k, horiz.ksize * 4);
  }
  if (vTaps) {
    vTaps.write(mem, vert, top, region.height, (start) => (start - yFirst) * rowLen);
    kernels.vertical(midAt, rowLen, outAt, region.height, vTaps.start, vTaps.size, vTaps.k, vert.ksize * 4, 0);
  }
  return { width: region.width, height: region.height, data: mem.slice(outAt, outAt + rowLen * region.height) };
}

const PAD = 16;

/** Byte offsets in the WebAssembly memory, 16-aligned. */
class Layout {
  end = 0;

  take(bytes: number): number {
    const at = this.end;
    this.end = Math.ceil((at + bytes + PAD) / 16) * 16;
    return at;
  }

  /** Room for the taps of outputs [first, first + count): byte starts, sizes and `ksize` coefficients each. */
  taps(c: Coeffs, first: number, count: number) {
    const start = this.take(count * 4);
    const size = this.take(count * 4);
    const k = this.take(count * c.ksize * 4);
    return {
      start, size, k,
      write(mem: Uint8Array, coeffs: Coeffs, from: number, n: number, byteStart: (start: number) => number): void {
        const starts = new Int32Array(mem.buffer, start, n);
        for (let i = 0; i < n; i++) starts[i] = byteStart(coeffs.start[from + i]);
        new Int32Array(mem.buffer, size, n).set(coeffs.size.subarray(from, from + n));
        new Int32Array(mem.buffer, k, n * coeffs.ksize).set(coeffs.k.subarray(from * coeffs.ksize, (from + n) * coeffs.ksize));
      },
    };
  }
}
