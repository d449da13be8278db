/**
 * 8-bit single-channel images (Pillow mode "L"), as masks are handled: decode like `Image.open(f).convert("L")`
 * and encode as a greyscale PNG.
 */
import sharp from 'sharp';
import { decodeImage } from './decode.js';
import type { RgbImage } from './types.js';

/** An 8-bit greyscale image in row-major order, as PIL's mode "L" holds it. */
export interface GreyImage {
  width: number;
  height: number;
  /** length = width * height */
  data: Uint8Array;
}

/**
 * Pillow 9.4 Convert.c `rgb2l`: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16. Pillow's direct
 * RGBA/LA/P/1 → L conversions give the same bytes as going through RGB first, so decodeImage + this is
 * `convert("L")` for every mode decodeImage accepts.
 */
export function rgbToGrey(img: RgbImage): GreyImage {
  const n = img.width * img.height;
  const data = new Uint8Array(n);
  const src = img.data;
  for (let i = 0; i < n; i++) {
    data[i] = (src[i * 3] * 19595 + src[i * 3 + 1] * 38470 + src[i * 3 + 2] * 7471 + 0x8000) >>> 16;
  }
  return { width: img.width, height: img.height, data };
}

/** `Image.open(f).convert("L")`; throws ImageDecodeError (a UserError) on unreadable data. */
export async function decodeGrey(input: string | Buffer): Promise<GreyImage> {
  return rgbToGrey(await decodeImage(input));
}

/** A greyscale PNG of the image (lossless; the same bytes for the same pixels). */
export async function encodeGreyPng(img: GreyImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } }).png().toBuffer();
}

/** An RGB PNG of the image (lossless; the same bytes for the same pixels). */
export async function encodeRgbPng(img: RgbImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}
