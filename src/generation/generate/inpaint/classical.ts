/**
 * The weight-free inpainting backend: Telea's fast-marching method (OpenCV `cv2.inpaint`, INPAINT_TELEA), so the
 * whole pipeline runs on a CPU and in CI. It ignores the prompt and the seed: its `model` value names the
 * algorithm, never a diffusion model, so an eval set made with it can never pass for a diffusion edit.
 */
import { decodeImage } from '../../../image/decode.js';
import { decodeGrey, encodeRgbPng } from '../../../image/grey.js';
import { UserError, errorMessage } from '../../../util/errors.js';
import type { InpaintBackend, InpaintRequest } from '../contracts.js';
import { InpaintFailure } from './failure.js';
import { teleaInpaint } from './telea.js';

export const TELEA_MODEL = 'Telea_FMM';
/** OpenCV's documented example radius; the neighbourhood each filled pixel averages over. */
export const TELEA_RADIUS = 3;
/**
 * The prepared mask is blurred (0..255); diffusers' mask processor binarises it at 0.5 (v / 255 >= 0.5), so the
 * pixels a diffusion model repaints are those >= 128. The classical backend fills the same pixels.
 */
export const MASK_THRESHOLD = 128;

export class ClassicalBackend implements InpaintBackend {
  readonly name = 'classical';
  readonly models = [TELEA_MODEL] as const;

  constructor(private readonly radius = TELEA_RADIUS) {}

  async probe(models: readonly string[]): Promise<void> {
    const unknown = models.filter((m) => m !== TELEA_MODEL);
    if (unknown.length > 0) {
      throw new UserError(`classical inpainting has only the model ${TELEA_MODEL}, not ${unknown.join(', ')}`);
    }
  }

  async inpaint(request: InpaintRequest): Promise<Buffer> {
    request.signal?.throwIfAborted();
    if (request.model !== TELEA_MODEL) {
      throw new InpaintFailure('unknown model', `classical inpainting has only ${TELEA_MODEL}, asked for ${request.model}`);
    }
    const [image, mask] = await Promise.all([decodeImage(request.image), decodeGrey(request.mask)]).catch((error) => {
      throw new InpaintFailure('bad input', errorMessage(error), { cause: error });
    });
    for (const [what, img] of [['image', image], ['mask', mask]] as const) {
      if (img.width !== request.width || img.height !== request.height) {
        throw new InpaintFailure('wrong size', `the ${what} is ${img.width}x${img.height}, the request ${request.width}x${request.height}`);
      }
    }
    const inside = mask.data.map((v) => (v >= MASK_THRESHOLD ? 255 : 0));
    return encodeRgbPng(teleaInpaint(image, inside, this.radius));
  }
}
