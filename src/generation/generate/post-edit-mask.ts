/**
 * Post-edit masks of prompt-based edits (the release's p2p_masks): a p2p edit rewrites the whole photo, so where it
 * changed is found after the edit from the change map, exactly as the authors' change metrics find it
 * (magnitude_change.py calc_metrics: resize the edit to the photo, per-pixel MSE > 0.1, then calc_cc_ratio_new,
 * whose `save_img` they wrote with cv2.imwrite). Golden-tested against that code (tools/parity/make_p2p_mask_goldens.py).
 */
import { decodeImage } from '../../image/decode.js';
import { encodeGreyPng } from '../../image/grey.js';
import { alignToReal } from '../change/align.js';
import { changeRegionMask } from '../change/change-regions.js';
import { pixelMse } from '../change/pixel-mse.js';

export interface PostEditMask {
  /** The mask as a greyscale PNG (255 changed, 0 not), at the photo's size. */
  png: Buffer;
  /** Changed pixels / all pixels (equals the pair's post_edit_ratio). */
  ratio: number;
}

/** The post-edit mask of an edit of a photo (file paths or encoded bytes). */
export async function postEditMask(photo: string | Buffer, edited: string | Buffer): Promise<PostEditMask> {
  const real = await decodeImage(photo);
  const { image } = alignToReal(real, await decodeImage(edited));
  const data = changeRegionMask(pixelMse(real, image).changed, real.width, real.height);
  let changed = 0;
  for (const v of data) if (v) changed++;
  return { png: await encodeGreyPng({ width: real.width, height: real.height, data }), ratio: changed / data.length };
}
