/** Small real inputs for the inpainting backend tests: a procedural photo, its mask, and answers made from them. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sharp from 'sharp';

export const IMAGE = readFileSync(resolve('tests/goldens/telea/inputs/ellipse_64x48_r3.png'));
export const MASK = readFileSync(resolve('tests/goldens/telea/inputs/ellipse_64x48_r3_mask.png'));
export const WIDTH = 64;
export const HEIGHT = 48;

/** A deterministic "inpainted" answer: the image with its colours inverted (a real, non-blank PNG). */
export async function invertedPng(image: Buffer): Promise<Buffer> {
  return sharp(image).negate({ alpha: false }).png().toBuffer();
}

export async function solidPng(width: number, height: number, value = 0): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: value, g: value, b: value } } }).png().toBuffer();
}

export function isPng(bytes: Buffer): boolean {
  return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}
