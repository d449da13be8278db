/**
 * The masks stage: each object mask is prepared for inpainting exactly as the authors' `inpaint_img`
 * (SemiTruths/image_augmentation/inpainting/llava_guided_inpainting.py) does before calling the diffusion
 * pipeline — grown twice by a 9x9 max filter so the edit covers the object's outline, smoothed by a 10-size
 * mode filter, then blurred by the pipeline's `mask_processor.blur(mask, blur_factor=16)`, which in diffusers is
 * `ImageFilter.GaussianBlur(16)` (their fallback when the pipeline has no mask processor is the same blur).
 * Pillow-exact: tests/generation/generate/masks.test.ts compares every step with Pillow 9.4.
 */
import { decodeGrey, encodeGreyPng, type GreyImage } from '../../image/grey.js';
import { greyGaussianBlur, maxFilter, modeFilter } from '../../image/rank-filters.js';

/** The authors' settings (inpaint_img's filters and its `mask_blur=16` default). */
export const MASK_PREP = { maxFilterSize: 9, maxFilterPasses: 2, modeFilterSize: 10, blurRadius: 16 } as const;

export interface PreparedMask {
  /** The prepared mask (mode L), as the authors pass it to the inpainting pipeline. */
  mask: GreyImage;
  /** The same mask as a greyscale PNG, what inpainting backends are sent. */
  png: Buffer;
}

/**
 * `Image.open(mask).convert("L")`, MaxFilter(9) twice, ModeFilter(10), GaussianBlur(blurRadius).
 * `maskPng` is the encoded mask file (any mode Pillow's convert("L") accepts); throws ImageDecodeError
 * (a UserError naming the reason) when it cannot be decoded.
 */
export async function prepareMask(maskPng: Buffer | string, blurRadius: number = MASK_PREP.blurRadius): Promise<PreparedMask> {
  let mask = await decodeGrey(maskPng);
  for (let i = 0; i < MASK_PREP.maxFilterPasses; i++) mask = maxFilter(mask, MASK_PREP.maxFilterSize);
  mask = modeFilter(mask, MASK_PREP.modeFilterSize);
  mask = greyGaussianBlur(mask, blurRadius);
  return { mask, png: await encodeGreyPng(mask) };
}
