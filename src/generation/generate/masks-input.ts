import { decodeGrey, encodeGreyPng } from '../../image/grey.js';

/**
 * The source mask as the backend gets it until the mask-preparation stage (masks.ts) is wired in: greyscale PNG,
 * checked against the photo's size.
 */
export async function sourceMaskPng(mask: Buffer, width: number, height: number): Promise<Buffer> {
  const grey = await decodeGrey(mask);
  if (grey.width !== width || grey.height !== height) throw new Error(`the mask is ${grey.width}x${grey.height}, the photo ${width}x${height}`);
  return encodeGreyPng(grey);
}
