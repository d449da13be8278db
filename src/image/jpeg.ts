import sharp from 'sharp';
import { decodeImage } from './decode.js';
import type { RgbImage } from './types.js';

export type ChromaSubsampling = '4:2:0' | '4:4:4';

/**
 * Re-encodes as a baseline JPEG at `quality` and decodes it again, like Pillow 9.4
 * `im.save(f, 'JPEG', quality=q)` + `Image.open(f).convert('RGB')` (Pillow's default subsampling is 4:2:0;
 * `subsampling=0` is 4:4:4). sharp's bundled mozjpeg runs in its libjpeg-turbo-compatible mode here (no trellis
 * quantisation, standard IJG tables, `mozjpeg: true` would differ by up to 137/255); measured bit-exact
 * against Pillow's libjpeg-turbo 2.1.5, see docs/image-parity.md.
 */
export async function jpegRoundTrip(img: RgbImage, quality: number, subsampling: ChromaSubsampling = '4:2:0'): Promise<RgbImage> {
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 100)) {
    throw new Error(`jpeg: quality must be an integer in 1..100, got ${quality}`);
  }
  const encoded = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: subsampling, mozjpeg: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, quantisationTable: 0 })
    .toBuffer();
  return decodeImage(encoded);
}
