import type { RgbImage } from '../../image/types.js';
import { ChangeMetricError } from './errors.js';
import type { GreyImage } from './types.js';

/**
 * `area_ratio` / `ratio`: the share of mask pixels that are non-zero, `count(mask > 0) / (W·H)`.
 *
 * The authors' code that fills this column is not in the repository (the input metadata ships it precomputed);
 * the rule here is inferred: their inpainting step reads masks as `Image.open(mask_path).convert("L")`
 * (image_augmentation/inpainting/llava_guided_inpainting.py `inpaint_img`), so an RGB mask is first reduced to
 * Pillow's "L" luma (`(R·19595 + G·38470 + B·7471 + 0x8000) >> 16`, Convert.c `rgb2l`), then counted where > 0.
 * A grey mask expanded to RGB (as `decodeImage` returns it) gives back its own values. The example row of the
 * input metadata, ratio 0.0659561157226562 = 17290 / 512², is consistent with this count.
 *
 * Pass `expected` (the real image's size) to refuse a mask of another size with a {@link ChangeMetricError}.
 */
export function maskAreaRatio(mask: RgbImage | GreyImage, expected?: { width: number; height: number }): number {
  const { width, height, data } = mask;
  if (expected && (expected.width !== width || expected.height !== height)) {
    throw new ChangeMetricError(
      `mask is ${width}x${height} but its image is ${expected.width}x${expected.height}`,
      'E_MASK_SIZE',
    );
  }
  const n = width * height;
  let count = 0;
  if (data.length === n) {
    for (let i = 0; i < n; i++) if (data[i] > 0) count++;
  } else if (data.length === n * 3) {
    for (let p = 0; p < data.length; p += 3) {
      if (((data[p] * 19595 + data[p + 1] * 38470 + data[p + 2] * 7471 + 0x8000) >> 16) > 0) count++;
    }
  } else {
    throw new ChangeMetricError(
      `mask ${width}x${height}: expected ${n} (grey) or ${n * 3} (RGB) bytes, got ${data.length}`,
      'E_BAD_BUFFER',
    );
  }
  return count / n;
}
