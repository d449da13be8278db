import type { RgbImage } from '../../image/types.js';
import { NumpySum } from './pairwise-sum.js';

/** `Change.mse_threshold` (magnitude_change.py `__init__`): a pixel counts as changed above this per-pixel MSE. */
export const MSE_THRESHOLD = 0.1;

/** 255·255·3, the per-pixel normaliser of `calc_mse`. */
const RGB_NORM = 255 * 255 * 3;

/**
 * Smallest integer sum of squared channel differences whose normalised MSE exceeds the threshold.
 * numpy divides the float32 sum by the Python int 195075, which value-based casting promotes to float64
 * (195075 needs uint32, and uint32 → float32 is not safe), so the comparison happens in float64: we find the
 * cut-off once instead of dividing per pixel.
 */
const CHANGED_MIN_SQ = (() => {
  let d = Math.floor(MSE_THRESHOLD * RGB_NORM);
  while (d / RGB_NORM > MSE_THRESHOLD) d--;
  while (!(d / RGB_NORM > MSE_THRESHOLD)) d++;
  return d;
})();

export interface PixelMse {
  /** `np.mean(mse.flatten())`: the `mse` / `mse_rgb` column. */
  mean: number;
  /** `mse > mse_threshold` as 0/1 per pixel, row-major (the authors store it as 0/255 uint8; only > 0 matters). */
  changed: Uint8Array;
}

/**
 * Per-pixel RGB MSE map, its mean and the changed-pixel mask, mirroring `Change.calc_mse`
 * (SemiTruths/change_metrics/magnitude_change.py):
 * ```
 * mse = np.square(real[:,:,0].astype(np.float32) - fake[:,:,0].astype(np.float32)) + … (channels 1, 2)
 * mse = mse / (255*255*3)
 * mask = (mse > self.mse_threshold)
 * return np.mean(mse.flatten()), binary_image, mse
 * ```
 * The float32 sum of integer squares is exact (≤ 195075 < 2²⁴); the division is float64 (see CHANGED_MIN_SQ), and
 * the mean reproduces numpy's buffered pairwise summation, so `mean` is bit-identical to numpy's.
 */
export function pixelMse(real: RgbImage, edited: RgbImage): PixelMse {
  const n = real.width * real.height;
  const a = real.data;
  const b = edited.data;
  const sum = new NumpySum();
  const changed = new Uint8Array(n);
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const d0 = a[p] - b[p];
    const d1 = a[p + 1] - b[p + 1];
    const d2 = a[p + 2] - b[p + 2];
    const sq = d0 * d0 + d1 * d1 + d2 * d2;
    sum.add(sq / RGB_NORM);
    changed[i] = sq >= CHANGED_MIN_SQ ? 1 : 0;
  }
  return { mean: sum.sum() / n, changed };
}
