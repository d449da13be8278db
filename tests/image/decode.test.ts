import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, ImageDecodeError, readHeader } from '../../src/image/decode.js';
import { tempDir } from '../helpers.js';
import { diff, expectedImage, goldenCase, inputPath } from './goldens.js';

/** sharp's own default decode (colour-managed, 16-bit scaled), to prove the goldens catch it. */
async function sharpDefault(path: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer());
}

describe('decodeImage', () => {
  it("reads JPEG and PNG headers as sharp's metadata() does (so sharp is called once per image)", async () => {
    const dir = 'tests/goldens/image/inputs';
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(15);
    for (const file of files) {
      const bytes = readFileSync(join(dir, file));
      const { width, height, space, depth } = await sharp(bytes).metadata();
      expect(readHeader(bytes), file).toEqual({ width, height, space, depth });
    }
    // anything not JPEG or PNG, or a header cut short, is left to sharp
    expect(readHeader(await sharp(readFileSync(join(dir, 'png_rgb16.png'))).webp().toBuffer())).toBeUndefined();
    expect(readHeader(Buffer.from('hello, this is not a PNG'))).toBeUndefined();
    expect(readHeader(readFileSync(join(dir, 'jpeg_420_q90.jpg')).subarray(0, 40))).toBeUndefined();
  });

  it('reads a Buffer like a path', async () => {
    const fromPath = await decodeImage(inputPath('jpeg_420'));
    const fromBuffer = await decodeImage(readFileSync(inputPath('jpeg_420')));
    expect(diff(fromPath.data, fromBuffer.data).count).toBe(0);
  });

  it('ignores EXIF orientation unless asked (Image.open does not rotate)', async () => {
    const raw = await decodeImage(inputPath('jpeg_exif6'));
    const oriented = await decodeImage(inputPath('jpeg_exif6'), { applyExifOrientation: true });
    expect([raw.width, raw.height]).toEqual([97, 61]);
    expect([oriented.width, oriented.height]).toEqual([61, 97]);
  });

  it('does not apply an embedded ICC profile; sharp by default would (golden is discriminating)', async () => {
    const golden = expectedImage(goldenCase('decode/jpeg_icc'));
    expect(diff((await decodeImage(inputPath('jpeg_icc'))).data, golden.data).count).toBe(0);
    expect(diff(await sharpDefault(inputPath('jpeg_icc')), golden.data).max).toBeGreaterThan(50);
  });

  it('clips 16-bit greyscale like Pillow mode I; sharp scales it instead', async () => {
    const golden = expectedImage(goldenCase('decode/png_grey16'));
    expect(diff(await sharpDefault(inputPath('png_grey16')), golden.data).max).toBeGreaterThan(100);
  });

  it("converts CMYK arithmetically like Pillow; sharp's colour-managed CMYK differs", async () => {
    const golden = expectedImage(goldenCase('decode/jpeg_cmyk'));
    expect(diff(await sharpDefault(inputPath('jpeg_cmyk')), golden.data).max).toBeGreaterThan(20);
  });

  describe('errors name the path and the reason', () => {
    const dir = tempDir('semibench-decode-');

    async function failure(input: string | Buffer): Promise<ImageDecodeError> {
      const error = await decodeImage(input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ImageDecodeError);
      return error as ImageDecodeError;
    }

    it('missing file', async () => {
      const path = join(dir, 'nope.png');
      const e = await failure(path);
      expect(e.message).toBe(`Cannot decode image ${path}: file not found`);
      expect(e.source).toBe(path);
    });

    it('empty file', async () => {
      const path = join(dir, 'empty.jpg');
      writeFileSync(path, '');
      expect((await failure(path)).message).toBe(`Cannot decode image ${path}: empty file (0 bytes)`);
    });

    it('not an image', async () => {
      const path = join(dir, 'text.png');
      writeFileSync(path, 'hello, this is not a PNG');
      expect((await failure(path)).message).toMatch(new RegExp(`^Cannot decode image ${path}: corrupt or unsupported image data \\(.+\\)$`));
    });

    it('truncated JPEG (Pillow raises "image file is truncated")', async () => {
      const path = join(dir, 'truncated.jpg');
      const bytes = readFileSync(inputPath('jpeg_420'));
      writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
      expect((await failure(path)).message).toContain(`Cannot decode image ${path}: corrupt or unsupported image data`);
    });

    it('a directory', async () => {
      expect((await failure(dir)).message).toBe(`Cannot decode image ${dir}: not a regular file (a folder)`);
    });

    it('a buffer is named <buffer>', async () => {
      expect((await failure(Buffer.from([1, 2, 3]))).message).toMatch(/^Cannot decode image <buffer>: /);
    });
  });
});
