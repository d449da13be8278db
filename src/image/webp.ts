import sharp from 'sharp';
import { decodeImage } from './decode.js';
import type { RgbImage } from './types.js';

/**
 * Re-encodes as lossy WebP at `quality` (libwebp's default preset, method 4: Pillow 9.4's
 * `im.save(f, 'WEBP', quality=q)`) and decodes it again. sharp bundles libwebp 1.6.0, Debian's Pillow 1.2.4; the
 * decoded bytes are equal on the goldens (tests/image/conditions.test.ts).
 */
export async function webpRoundTrip(img: RgbImage, quality: number): Promise<RgbImage> {
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) throw new Error(`webp: quality must be an integer in 1..100, got ${quality}`);
  const encoded = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .webp({ quality, effort: 4, smartSubsample: false, preset: 'default', alphaQuality: 100 })
    .toBuffer();
  return decodeImage(encoded);
}
