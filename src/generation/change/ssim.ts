import type { RgbImage } from '../../image/types.js';
import { ChangeMetricError } from './errors.js';
import { NumpySum } from './pairwise-sum.js';

/** `win_size=5` in `Change.calc_ssim`. */
export const SSIM_WIN_SIZE = 5;

/**
 * Mean SSIM of two RGB images, a port of scikit-image 0.19 `structural_similarity` as `Change.calc_ssim`
 * (SemiTruths/change_metrics/magnitude_change.py) calls it:
 * ```
 * score, diff = structural_similarity(real, fake, channel_axis=-1, win_size=5, full=True)
 * ```
 * With those arguments skimage (skimage/metrics/_structural_similarity.py):
 * - loops over the 3 channels and returns `np.mean` of the per-channel scores;
 * - uses float64 (`_supported_float_type(uint8)`), `data_range = 255` (uint8 dtype range), K1 0.01, K2 0.03,
 *   `gaussian_weights=False` → `scipy.ndimage.uniform_filter(size=5)`, and `use_sample_covariance=True`
 *   → `cov_norm = NP / (NP - 1)` with NP = 25;
 * - averages S over `crop(S, pad)` with pad = (win_size - 1) // 2 = 2.
 *
 * Every pixel kept by that crop has its whole 5×5 window inside the image, so the filter's 'reflect' border
 * never reaches the mean: we only compute the interior, with exact integer window sums (separable running sums).
 * `full=True` only adds the S image to the return value; it does not change the score.
 *
 * Throws when a side is shorter than 5 (skimage: "win_size exceeds image extent").
 */
export function ssimRgb(real: RgbImage, edited: RgbImage): number {
  const { width, height } = real;
  if (width < SSIM_WIN_SIZE || height < SSIM_WIN_SIZE) {
    throw new ChangeMetricError(
      `SSIM needs images of at least ${SSIM_WIN_SIZE}x${SSIM_WIN_SIZE} (win_size=${SSIM_WIN_SIZE}), got ${width}x${height}`,
      'E_TOO_SMALL',
    );
  }
  const sums = windowSsimSums(real.data, edited.data, width, height);
  const count = (width - 2 * PAD) * (height - 2 * PAD);
  // Per channel: crop(S, pad).mean(dtype=np.float64); then np.mean over the 3 channel scores, a plain
  // left-to-right sum for n < 8 in numpy's pairwise summation.
  let sum = 0;
  for (const s of sums) sum += s.sum() / count;
  return sum / 3;
}

const K1 = 0.01;
const K2 = 0.03;
const DATA_RANGE = 255;
// x * x rather than ** 2: both are the correctly rounded square Python's `(K1 * R) ** 2` gives.
const C1 = K1 * DATA_RANGE * (K1 * DATA_RANGE);
const C2 = K2 * DATA_RANGE * (K2 * DATA_RANGE);
const NP = SSIM_WIN_SIZE * SSIM_WIN_SIZE;
const COV_NORM = NP / (NP - 1);
/** skimage crops `pad = (win_size - 1) // 2` pixels off every side before averaging S. */
const PAD = (SSIM_WIN_SIZE - 1) >> 1;

/**
 * Sums the cropped S image of each channel in numpy's order (row-major, (H - 4) × (W - 4)) without storing it.
 * Every kept pixel has its whole 5×5 window in the image, so the window sums are plain integer box sums: per
 * image column, sums over the current 5 rows (channel-interleaved; add the new bottom row, drop the old top row),
 * then a running 5-wide window along the row. The statistics are then formed as skimage forms them from the
 * `uniform_filter` outputs (mean = window sum / NP).
 */
function windowSsimSums(a: Uint8Array, b: Uint8Array, width: number, height: number): NumpySum[] {
  const ow = width - 2 * PAD;
  const oh = height - 2 * PAD;
  const rowLen = width * 3;
  const sums = [new NumpySum(), new NumpySum(), new NumpySum()];
  // Column sums of x, y, x², y², xy (x = real, y = edited), indexed like the image row: column * 3 + channel.
  const cx = new Int32Array(rowLen);
  const cy = new Int32Array(rowLen);
  const cxx = new Int32Array(rowLen);
  const cyy = new Int32Array(rowLen);
  const cxy = new Int32Array(rowLen);
  for (let r = 0; r < SSIM_WIN_SIZE - 1; r++) {
    for (let i = 0, p = r * rowLen; i < rowLen; i++, p++) {
      const x = a[p], y = b[p];
      cx[i] += x; cy[i] += y; cxx[i] += x * x; cyy[i] += y * y; cxy[i] += x * y;
    }
  }
  const span = (SSIM_WIN_SIZE - 1) * 3; // from a window's first column to its last, in the interleaved row
  for (let r = 0; r < oh; r++) {
    // Rows r .. r + 4: add the bottom one.
    for (let i = 0, p = (r + SSIM_WIN_SIZE - 1) * rowLen; i < rowLen; i++, p++) {
      const x = a[p], y = b[p];
      cx[i] += x; cy[i] += y; cxx[i] += x * x; cyy[i] += y * y; cxy[i] += x * y;
    }
    for (let ch = 0; ch < 3; ch++) {
      const sum = sums[ch];
      let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
      for (let i = ch; i < span + ch; i += 3) {
        sx += cx[i]; sy += cy[i]; sxx += cxx[i]; syy += cyy[i]; sxy += cxy[i];
      }
      for (let c = 0, first = ch, last = ch + span; c < ow; c++, first += 3, last += 3) {
        sx += cx[last]; sy += cy[last]; sxx += cxx[last]; syy += cyy[last]; sxy += cxy[last];
        const ux = sx / NP;
        const uy = sy / NP;
        const vx = COV_NORM * (sxx / NP - ux * ux);
        const vy = COV_NORM * (syy / NP - uy * uy);
        const vxy = COV_NORM * (sxy / NP - ux * uy);
        const a1 = 2 * ux * uy + C1;
        const a2 = 2 * vxy + C2;
        const b1 = ux * ux + uy * uy + C1;
        const b2 = vx + vy + C2;
        sum.add((a1 * a2) / (b1 * b2));
        sx -= cx[first]; sy -= cy[first]; sxx -= cxx[first]; syy -= cyy[first]; sxy -= cxy[first];
      }
    }
    // Drop the top row before moving down.
    for (let i = 0, p = r * rowLen; i < rowLen; i++, p++) {
      const x = a[p], y = b[p];
      cx[i] -= x; cy[i] -= y; cxx[i] -= x * x; cyy[i] -= y * y; cxy[i] -= x * y;
    }
  }
  return sums;
}
