import { gaussianBlur } from '../image/blur.js';
import { cropBox } from '../image/crop.js';
import { jpegRoundTrip } from '../image/jpeg.js';
import { gaussianNoise } from '../image/noise.js';
import { pilResize } from '../image/resize.js';
import type { RgbImage } from '../image/types.js';
import { webpRoundTrip } from '../image/webp.js';
import type { Condition, ConditionStep } from './spec.js';

/**
 * Applies a condition's steps in order to a decoded image. `imageKey` (the image file's sha256, 16 hex: the
 * row's cache_key) seeds the random steps, so an image gets the same noise in every run.
 */
export async function applyCondition(img: RgbImage, condition: Condition, imageKey: string): Promise<RgbImage> {
  let out = img;
  for (const step of condition.steps) out = await applyStep(out, step, imageKey);
  return out;
}

/** Half-up rounding of a scaled side, at least 1 pixel (Python: `max(1, int(n * s + 0.5))`). */
export const scaledSide = (n: number, s: number): number => Math.max(1, Math.floor(n * s + 0.5));

async function applyStep(img: RgbImage, step: ConditionStep, imageKey: string): Promise<RgbImage> {
  switch (step.op) {
    case 'jpeg':
      return jpegRoundTrip(img, step.quality);
    case 'webp':
      return webpRoundTrip(img, step.quality);
    case 'png':
      return img; // PNG is lossless: Pillow's save + reopen gives back the same RGB bytes
    case 'blur':
      return gaussianBlur(img, step.radius);
    case 'resize':
      return pilResize(img, scaledSide(img.width, step.scale), scaledSide(img.height, step.scale), step.filter);
    case 'crop': {
      const w = scaledSide(img.width, step.fraction);
      const h = scaledSide(img.height, step.fraction);
      return cropBox(img, Math.floor((img.width - w) / 2), Math.floor((img.height - h) / 2), w, h);
    }
    case 'noise':
      return gaussianNoise(img, step.sigma, imageKey, step.seed);
  }
}
