import type { RgbImage } from '../../image/types.js';
import { ChangeMetricError } from './errors.js';
import type { GreyImage } from './types.js';

/** Mask values at or above this count as masked: diffusers binarises the inpainting mask at 0.5 (L >= 128). */
export const MASK_THRESHOLD = 128;

/**
 * `area_ratio` / `ratio`: the share of mask pixels the inpainting model repaints, `count(L >= 128) / (W·H)`.
 *
 * The authors' code that wrote the released `ratio` column is not public (the input metadata ships it
 * precomputed), so the rule is inferred from their data: ratio × 512² is an integer on every sample row (a pixel
 * count), and on their 10 sample masks `L > 0` matches only the 4 clean binary masks, while anti-aliased PNGs
 * (CityScapes) and JPEG masks (CelebAHQ, SUN_RGBD) come out 2–20 % too large; `L >= 128` is within about 1 % on
 * all 10. It is also what the edit covers: the inpainting step reads the mask as `Image.open(p).convert("L")`
 * (llava_guided_inpainting.py `inpaint_img`) and diffusers repaints pixels >= 0.5. An RGB mask is first reduced
 * to Pillow's "L" luma (`(R·19595 + G·38470 + B·7471 + 0x8000) >> 16`, Convert.c `rgb2l`); a grey mask expanded to
 * RGB (as `decodeImage` returns it) gives back its own values. Goldens: tools/parity/make_area_ratio_goldens.py.
 * Where the metadata has the released `ratio`, measure prefers it (src/generation/released.ts).
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
    for (let i = 0; i < n; i++) if (data[i] >= MASK_THRESHOLD) count++;
  } else if (data.length === n * 3) {
    for (let p = 0; p < data.length; p += 3) {
      if ((data[p] * 19595 + data[p + 1] * 38470 + data[p + 2] * 7471 + 0x8000) >> 16 >= MASK_THRESHOLD) count++;
    }
  } else {
    throw new ChangeMetricError(
      `mask ${width}x${height}: expected ${n} (grey) or ${n * 3} (RGB) bytes, got ${data.length}`,
      'E_BAD_BUFFER',
    );
  }
  return count / n;
}
