import { createHash } from 'node:crypto';
import { gaussianBlur } from './blur.js';
import { centerCrop, cropBox } from './crop.js';
import { tvResize, tvResizeCenterCrop } from './resize.js';
import type { RgbImage } from './types.js';

/** What a preprocessing op may know about the sample beyond its pixels. */
export interface SampleContext {
  /** The sample's edit mask, for a row that names one (`mask_path`); absent for a row without one. */
  mask?: () => Promise<RgbImage>;
  /** A stable per-sample key (the sample id): seeds the draws that run_1.py made unseeded. */
  key: string;
}

/** Which of run_1's branches produced a crop. */
export type Run1Branch = 'centre' | 'mask-centre' | 'mask-random' | 'mask-best';

const SIZE = 224;
const HALF = 112;

/**
 * The image stage of SemiTruths/stress_testing/run_1.py for one sample, quirks kept:
 *
 * - no mask (a real row), or a mask with nothing inside the Resize(256) → CenterCrop(224) window: the common
 *   transform, Resize(256) → CenterCrop(224), after PIL GaussianBlur(blurRadius) when one is given (UFD);
 * - a mask visible there: the search for a crop keeping ≥ 70 % of the mask (ratio of `maskArea` fractions,
 *   see below); the first candidate is the centre window; after that up to 51 random centres, then the best.
 *   The image is then cropped with `crop(img, cy, cx, 224, 224)`: the chosen *centre* becomes the *top-left*
 *   corner, the part past the image is zero padding, and no blur is applied (run_1 blurs only the other path).
 *
 * run_1 drew its random centres with Python's unseeded `random.randint`; here they come from a generator seeded by
 * `key`, so the branch and the crop of a 'mask-random' / 'mask-best' sample differ from the paper's run.
 */
export async function run1Crop(img: RgbImage, context: SampleContext | undefined, blurRadius?: number): Promise<{ image: RgbImage; branch: Run1Branch }> {
  const centre = () => ({ image: tvResizeCenterCrop(blurRadius ? gaussianBlur(img, blurRadius) : img, 256, SIZE, 'bilinear'), branch: 'centre' as const });
  if (!context?.mask) return centre();
  const mask = tvResize(await context.mask(), 256, 'bilinear');
  const whole = maskArea(mask);
  const draw = seededRandInt(context.key);
  let window = centerCrop(mask, SIZE);
  let at: [number, number] = [Math.floor(mask.height / 2), Math.floor(mask.width / 2)];
  let best = 0;
  let bestAt = at;
  for (let tries = 0; ; tries++) {
    const kept = maskArea(window);
    if (kept === 0) return centre(); // run_1's verify_mask: no mask in this window → the common transform
    const ratio = kept / whole;
    if (ratio > best) [best, bestAt] = [ratio, at];
    if (ratio >= 0.7 || tries > 50) {
      const [top, left] = tries > 50 ? bestAt : at;
      const branch = tries > 50 ? 'mask-best' : tries === 0 ? 'mask-centre' : 'mask-random';
      return { image: cropBox(tvResize(img, 256, 'bilinear'), left, top, SIZE, SIZE), branch };
    }
    at = [draw(HALF, mask.height - HALF), draw(HALF, mask.width - HALF)];
    window = cropBox(mask, at[1] - HALF, at[0] - HALF, SIZE, SIZE);
  }
}

/**
 * run_1's `mask_sa_ratio` (its helper module is not public): ASSUMED to be the mask's share of the picture, the
 * fraction of pixels with any channel > 0, so run_1's "ratio" compares the share in the 224² window with the share
 * in the whole resized mask.
 */
export function maskArea(mask: RgbImage): number {
  let n = 0;
  const d = mask.data;
  for (let i = 0; i < d.length; i += 3) if (d[i] || d[i + 1] || d[i + 2]) n++;
  return n / (mask.width * mask.height);
}

/** Python `random.randint(a, b)`-shaped draws (both ends included) from a generator seeded by `key` (mulberry32). */
function seededRandInt(key: string): (a: number, b: number) => number {
  let state = createHash('sha256').update(key).digest().readUInt32LE(0);
  return (a, b) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return a + Math.floor(u * (b - a + 1));
  };
}
