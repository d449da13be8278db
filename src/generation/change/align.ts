import { pilResize } from '../../image/resize.js';
import type { RgbImage } from '../../image/types.js';

/**
 * The edited image at the real image's size, as `calc_metrics` prepares it
 * (SemiTruths/change_metrics/magnitude_change.py):
 * ```
 * img_fake_rgb = img_fake_rgb.resize(img_real_rgb.size)
 * ```
 * Pillow 9.x `Image.resize` with no `resample` uses BICUBIC for RGB images (NEAREST only for ";" special modes),
 * no `reducing_gap`, and returns a copy when the size already matches: same size → the image unchanged.
 */
export function alignToReal(real: RgbImage, edited: RgbImage): { image: RgbImage; resized: boolean } {
  if (edited.width === real.width && edited.height === real.height) return { image: edited, resized: false };
  return { image: pilResize(edited, real.width, real.height, 'bicubic'), resized: true };
}
