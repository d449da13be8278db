import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import { DataFileError, readRegularFile } from '../util/fs.js';
import { DEFAULT_MAX_IMAGE_PIXELS } from './limits.js';
import type { RgbImage } from './types.js';

/** Why an image could not be decoded; `source` is the path (or "<buffer>"), `reason` a short cause. */
export class ImageDecodeError extends UserError {
  constructor(
    readonly source: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot decode image ${source}: ${reason}`, 'E_IMAGE', options);
    this.name = 'ImageDecodeError';
  }
}

export { DEFAULT_MAX_IMAGE_PIXELS };

export interface DecodeOptions {
  /** Apply the EXIF Orientation tag like `ImageOps.exif_transpose`. Default false: `Image.open` ignores it. */
  applyExifOrientation?: boolean;
  /** Refuse images with more pixels than this (default {@link DEFAULT_MAX_IMAGE_PIXELS}). */
  maxPixels?: number;
}

/**
 * Decodes an image file (or its bytes) to 8-bit RGB exactly as Pillow 9.4 `Image.open(f).convert('RGB')` does:
 * - an embedded ICC profile is NOT applied (sharp converts to sRGB by default; `keepIccProfile()` stops it);
 * - alpha is dropped without compositing (`RGBA→RGB` in Convert.c copies the colour bytes);
 * - greyscale, 1-bit and palette images are expanded (`l2rgb`, `bit2rgb`, palette lookup);
 * - CMYK: Pillow's `cmyk2rgb` (Convert.c: `nk = 255 - k; out = CLIP8(nk - MULDIV255(c, nk))`) on the raw
 *   (Adobe-inverted) CMYK samples, not a colour-managed conversion;
 * - 16-bit greyscale PNG opens as mode `I` and `i2rgb` CLIPS to 0..255 (so 1000 → 255, not 1000/257);
 *   other 16-bit PNGs (`RGB;16B`, `RGBA;16B`, `LA;16B` raw modes) keep the most significant byte;
 * - the EXIF orientation is ignored unless `applyExifOrientation` is set.
 *
 * Throws {@link ImageDecodeError} naming the path and the reason (missing, empty, corrupt or truncated data, or
 * more pixels than `maxPixels`). A path must name a regular file (a FIFO or device is refused, not read).
 */
export async function decodeImage(input: string | Buffer, opts: DecodeOptions = {}): Promise<RgbImage> {
  const source = typeof input === 'string' ? input : '<buffer>';
  const bytes = typeof input === 'string' ? await readInput(input) : input;
  if (bytes.length === 0) throw new ImageDecodeError(source, 'empty file (0 bytes)');
  try {
    return await decodeBytes(bytes, opts, source);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ImageDecodeError(source, `corrupt or unsupported image data (${reason})`, { cause: error });
  }
}

async function readInput(path: string): Promise<Buffer> {
  try {
    return await readRegularFile(path);
  } catch (error) {
    if (error instanceof DataFileError) throw new ImageDecodeError(path, error.reason, { cause: error });
    throw error;
  }
}

async function decodeBytes(bytes: Buffer, opts: DecodeOptions, source: string): Promise<RgbImage> {
  // 'truncated' mirrors Pillow: a cut-off file raises ("image file is truncated"), libjpeg warnings
  // such as extraneous bytes before a marker do not.
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  let image = sharp(bytes, { failOn: 'truncated', limitInputPixels: false });
  // JPEG and PNG headers are read here, so sharp is called once per image; other formats ask sharp for the
  // header first. The limit is checked here so it gives its own message (libvips' limitInputPixels would
  // refuse with a bare "exceeds pixel limit").
  const header = readHeader(bytes) ?? (await image.metadata());
  checkPixels(header.width ?? 0, header.height ?? 0, maxPixels, source);
  if (opts.applyExifOrientation) image = image.autoOrient();
  image = image.keepIccProfile();
  const sixteen = header.depth === 'ushort';

  if (header.space === 'cmyk') {
    // Keep sharp out of colour management: Pillow converts CMYK arithmetically.
    const raw = await image.pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
    return cmykToRgb(raw.data, raw.info.width, raw.info.height, raw.info.channels);
  }
  if (header.space === 'b-w' || header.space === 'grey16') {
    const space = sixteen ? 'grey16' : 'b-w';
    const raw = await image.toColourspace(space).raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    const { width, height, channels } = raw.info;
    // A lone 16-bit grey channel is Pillow mode I (clip); with alpha it is LA;16B (high byte).
    const toByte = !sixteen ? identity : channels === 1 ? clip8 : highByte;
    return greyToRgb(samples(raw.data, sixteen), width, height, channels, toByte);
  }
  // libvips drops the alpha (a copy of the colour bytes, as Pillow's RGBA→RGB): in C, and an 8-bit image then
  // comes back as the RGB bytes themselves, with no pass in JS (a 2048x1536 RGBA PNG: 84 → 65 ms of CPU).
  const raw = await image
    .removeAlpha()
    .toColourspace(sixteen ? 'rgb16' : 'srgb')
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = raw.info;
  return dropAlpha(samples(raw.data, sixteen), width, height, channels, sixteen ? highByte : identity);
}

/** What decoding needs from an image's header: its size, and the colour space and sample depth libvips gives it. */
export interface ImageHeader {
  width?: number;
  height?: number;
  space?: string;
  depth?: string;
}

/**
 * The header of a baseline JPEG (8-bit samples) or a PNG, read in JS as sharp's metadata() would report it
 * (tests/image/decode.test.ts compares them on every golden input); undefined for anything else, which
 * sharp then reads itself.
 */
export function readHeader(bytes: Uint8Array): ImageHeader | undefined {
  return pngHeader(bytes) ?? jpegHeader(bytes);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngHeader(b: Uint8Array): ImageHeader | undefined {
  // signature, then IHDR first: length 13, 'IHDR', width, height, bit depth, colour type
  if (b.length < 33 || PNG_SIGNATURE.some((v, i) => b[i] !== v) || String.fromCharCode(...b.subarray(12, 16)) !== 'IHDR') return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [bitDepth, colourType] = [b[24], b[25]];
  const grey = colourType === 0 || colourType === 4;
  if (!grey && colourType !== 2 && colourType !== 3 && colourType !== 6) return undefined;
  const sixteen = bitDepth === 16;
  return { width: view.getUint32(16), height: view.getUint32(20), space: grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb', depth: sixteen ? 'ushort' : 'uchar' };
}

function jpegHeader(b: Uint8Array): ImageHeader | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = (b[at + 2] << 8) | b[at + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width, components
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const [precision, height, width, components] = [b[at + 4], (b[at + 5] << 8) | b[at + 6], (b[at + 7] << 8) | b[at + 8], b[at + 9]];
      // 12-bit samples, a height given later (DNL) and unusual component counts: sharp decides
      if (precision !== 8 || height === 0 || ![1, 3, 4].includes(components)) return undefined;
      return { width, height, space: components === 1 ? 'b-w' : components === 4 ? 'cmyk' : 'srgb', depth: 'uchar' };
    }
    if (marker === 0xda || marker === 0xd9 || length < 2) return undefined; // scan data before any frame header
    at += 2 + length;
  }
  return undefined;
}

function checkPixels(width: number, height: number, maxPixels: number, source: string): void {
  if (width * height <= maxPixels) return;
  const mp = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MP` : `${n} pixels`);
  throw new ImageDecodeError(source, `image ${width}x${height} (${mp(width * height)}) is over the ${mp(maxPixels)} limit per image (maxImagePixels)`);
}

type ToByte = (v: number) => number;
const identity: ToByte = (v) => v;
const clip8: ToByte = (v) => (v > 255 ? 255 : v);
const highByte: ToByte = (v) => v >> 8;

function samples(data: Buffer, sixteen: boolean): Uint8Array | Uint16Array {
  if (!sixteen) return new Uint8Array(data.buffer, data.byteOffset, data.length);
  // sharp returns native-endian ushort; copy so the view is 2-byte aligned.
  const copy = new Uint8Array(data);
  return new Uint16Array(copy.buffer, 0, copy.length / 2);
}

function greyToRgb(src: Uint8Array | Uint16Array, width: number, height: number, channels: number, toByte: ToByte): RgbImage {
  const n = width * height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = toByte(src[i * channels]);
    data[i * 3] = v;
    data[i * 3 + 1] = v;
    data[i * 3 + 2] = v;
  }
  return { width, height, data };
}

/** The first three channels, as bytes; sharp's own buffer when it is already 8-bit RGB. */
function dropAlpha(src: Uint8Array | Uint16Array, width: number, height: number, channels: number, toByte: ToByte): RgbImage {
  const n = width * height;
  if (channels === 3 && src instanceof Uint8Array) return { width, height, data: src }; // sharp's buffer is ours
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = toByte(src[i * channels]);
    data[i * 3 + 1] = toByte(src[i * channels + 1]);
    data[i * 3 + 2] = toByte(src[i * channels + 2]);
  }
  return { width, height, data };
}

/** Pillow 9.4 Convert.c `cmyk2rgb`, with MULDIV255(a, b) = ((a*b+128) >> 8 + a*b+128) >> 8. */
function cmykToRgb(src: Buffer, width: number, height: number, channels: number): RgbImage {
  const n = width * height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const nk = 255 - src[i * channels + 3];
    for (let c = 0; c < 3; c++) {
      const t = src[i * channels + c] * nk + 128;
      const v = nk - (((t >> 8) + t) >> 8);
      data[i * 3 + c] = v < 0 ? 0 : v;
    }
  }
  return { width, height, data };
}
