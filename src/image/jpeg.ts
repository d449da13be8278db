import sharp from 'sharp';
import { decodeImage } from './decode.js';
import type { RgbImage } from './types.js';

/**
 * Re-encodes as a baseline JPEG at `quality` with 4:2:0 chroma subsampling (Pillow's `save(f, 'JPEG', quality=q)`
 * defaults) and decodes it again. sharp's bundled mozjpeg runs in its libjpeg-turbo-compatible mode here
 * (no trellis quantisation, standard IJG tables); docs/image-parity.md gives the measured distance to Pillow.
 */
export async function jpegRoundTrip(img: RgbImage, quality: number): Promise<RgbImage> {
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) {
    throw new Error(`jpeg: quality must be an integer in 1..100, got ${quality}`);
  }
  const encoded = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, quantisationTable: 0 })
    .toBuffer();
  return decodeImage(encoded);
}
