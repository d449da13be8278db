import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ClassicalBackend, TELEA_MODEL } from '../../../src/generation/generate/inpaint/classical.js';
import { InpaintFailure } from '../../../src/generation/generate/inpaint/failure.js';
import { decodeImage } from '../../../src/image/decode.js';
import { encodeGreyPng } from '../../../src/image/grey.js';
import { UserError } from '../../../src/util/errors.js';

const DIR = resolve('tests/goldens/telea');
const image = readFileSync(join(DIR, 'inputs/ellipse_64x48_r3.png'));
const expected = join(DIR, 'expected/ellipse_64x48_r3.png');

/** The golden 64x48 ellipse mask with its inside set to `level` (a prepared mask is blurred: 0..255). */
async function maskWith(level: number): Promise<Buffer> {
  const golden = await sharp(join(DIR, 'inputs/ellipse_64x48_r3_mask.png')).extractChannel(0).raw().toBuffer();
  return encodeGreyPng({ width: 64, height: 48, data: new Uint8Array(golden).map((v) => (v ? level : 0)) });
}

const request = (mask: Buffer, over: Partial<Parameters<ClassicalBackend['inpaint']>[0]> = {}) => ({
  image, mask, prompt: 'a red apple', seed: 1, width: 64, height: 48, model: TELEA_MODEL, ...over,
});

describe('classical inpainting backend (Telea)', () => {
  const backend = new ClassicalBackend();

  it('names the algorithm, never a diffusion model, and probes only that', async () => {
    expect(backend.models).toEqual(['Telea_FMM']);
    await expect(backend.probe(['Telea_FMM'])).resolves.toBeUndefined();
    await expect(backend.probe(['StableDiffusion_v5'])).rejects.toThrow(UserError);
  });

  it('returns a PNG of the request size equal to cv2.inpaint on the binarised mask', async () => {
    const png = await backend.inpaint(request(await maskWith(255)));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const out = await decodeImage(png);
    const golden = await decodeImage(expected);
    expect([out.width, out.height]).toEqual([64, 48]);
    expect(Buffer.compare(Buffer.from(out.data), Buffer.from(golden.data))).toBe(0);
  });

  it('fills mask values >= 128 (diffusers binarises at 0.5) and leaves 127 alone', async () => {
    const original = await decodeImage(image);
    const at128 = await decodeImage(await backend.inpaint(request(await maskWith(128))));
    const at127 = await decodeImage(await backend.inpaint(request(await maskWith(127))));
    expect(Buffer.compare(Buffer.from(at128.data), Buffer.from((await decodeImage(expected)).data))).toBe(0);
    expect(Buffer.compare(Buffer.from(at127.data), Buffer.from(original.data))).toBe(0);
  });

  it('is deterministic and ignores prompt and seed', async () => {
    const mask = await maskWith(255);
    const a = await backend.inpaint(request(mask));
    const b = await backend.inpaint(request(mask, { prompt: 'something else', seed: 99 }));
    expect(a.equals(b)).toBe(true);
  });

  it('fails a request whose size or model does not match, with the reason', async () => {
    const mask = await maskWith(255);
    await expect(backend.inpaint(request(mask, { width: 65 }))).rejects.toThrow(/wrong size: the image is 64x48, the request 65x48/);
    await expect(backend.inpaint(request(mask, { model: 'OpenJourney' }))).rejects.toBeInstanceOf(InpaintFailure);
    const corrupt = await backend.inpaint(request(Buffer.from('not a png'))).catch((e) => e);
    expect(corrupt).toBeInstanceOf(InpaintFailure); // a failed row, not a stopped run
    expect(corrupt.message).toMatch(/^bad input: Cannot decode image <buffer>/);
  });
});
