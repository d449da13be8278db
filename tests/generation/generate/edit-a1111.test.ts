import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A1111EditBackend } from '../../../src/generation/generate/edit/a1111.js';
import { EDIT_DEFAULTS } from '../../../src/generation/generate/edit/models.js';
import { BackendFailure } from '../../../src/generation/generate/failure.js';
import { UserError } from '../../../src/util/errors.js';
import { HEIGHT, IMAGE, WIDTH, invertedPng, isPng, solidPng } from './inpaint-fixtures.js';
import { expectField, sendJson, startStub, type Stub, type StubRequest } from './stub-server.js';

const TITLE = 'sd-v1-4.ckpt [fe4efff1e1]';

/**
 * The published A1111 API for a plain img2img edit: GET /sdapi/v1/sd-models → SDModelItem[]; POST
 * /sdapi/v1/img2img with StableDiffusionProcessingImg2Img (no mask) → {images: base64[], parameters, info}.
 * Unknown, mistyped or inpainting-only fields are recorded as problems. The prompt picks the stub's behaviour.
 */
function a1111Stub(stub: Stub) {
  return async (req: StubRequest, res: ServerResponse) => {
    if (req.method === 'GET' && req.path === '/sdapi/v1/sd-models') {
      return sendJson(res, 200, [
        { title: TITLE, model_name: 'sd-v1-4', hash: 'fe4efff1e1', sha256: 'x', filename: '/models/Stable-diffusion/sd-v1-4.ckpt', config: null },
        { title: 'mdjrny-v4.safetensors [5d5ad06cc2]', model_name: 'mdjrny-v4', hash: '5d5ad06cc2', sha256: 'y', filename: 'C:\\webui\\models\\Stable-diffusion\\mdjrny-v4.safetensors', config: null },
      ]);
    }
    if (req.method !== 'POST' || req.path !== '/sdapi/v1/img2img') return sendJson(res, 404, { detail: 'Not Found' });
    if (req.headers['content-type'] !== 'application/json') stub.problems.push('img2img: content-type is not application/json');
    const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
    const known = new Set(['prompt', 'negative_prompt', 'init_images', 'resize_mode', 'denoising_strength', 'seed', 'steps', 'cfg_scale',
      'sampler_name', 'width', 'height', 'batch_size', 'n_iter', 'override_settings', 'override_settings_restore_afterwards', 'send_images', 'save_images']);
    for (const key of Object.keys(body)) if (!known.has(key)) stub.problems.push(`img2img: unexpected field ${key}`);
    for (const [k, t] of [['prompt', 'string'], ['negative_prompt', 'string'], ['init_images', 'array'], ['seed', 'integer'], ['denoising_strength', 'number'],
      ['steps', 'integer'], ['cfg_scale', 'number'], ['sampler_name', 'string'], ['width', 'integer'], ['height', 'integer'],
      ['override_settings', 'object'], ['send_images', 'boolean']] as const) expectField(stub, 'img2img', body, k, t);
    const init = Buffer.from((body.init_images as string[])[0] ?? '', 'base64');
    if (!init.equals(IMAGE)) stub.problems.push('img2img: init_images[0] is not the base64 of the photo sent');
    if ((body.override_settings as Record<string, unknown>).sd_model_checkpoint !== TITLE) stub.problems.push('img2img: wrong sd_model_checkpoint');
    const strength = body.denoising_strength as number;
    if (!(strength > 0 && strength <= 1)) stub.problems.push('img2img: denoising_strength outside (0, 1]');

    const answer = (png: Buffer | string) => sendJson(res, 200, { images: [typeof png === 'string' ? png : png.toString('base64')], parameters: body, info: '{}' });
    switch (body.prompt) {
      case 'http 500': return sendJson(res, 500, { error: 'OutOfMemoryError', detail: 'CUDA out of memory' });
      case 'slow': return; // never answers: the client's timeout must fire
      case 'not png': return answer(Buffer.from('<html>not an image</html>'));
      case 'data url': return answer(`data:image/png;base64,${(await invertedPng(init)).toString('base64')}`);
      case 'jpeg': return answer(await sharp(init).negate({ alpha: false }).jpeg({ quality: 95 }).toBuffer());
      case 'wrong size': return answer(await sharp(init).resize(WIDTH, HEIGHT * 2).png().toBuffer());
      case 'black': return answer(await solidPng(WIDTH, HEIGHT, 0));
      case 'no images': return sendJson(res, 200, { images: [], parameters: body, info: '{}' });
      case 'invalid': return sendJson(res, 422, { detail: [{ loc: ['body', 'seed'], msg: 'value is not a valid integer' }] });
      default: return answer(await invertedPng(init));
    }
  };
}

describe('A1111 edit backend against a stub of the published img2img API', () => {
  let stub: Stub;
  let backend: A1111EditBackend;
  const request = (editedCaption: string) => ({
    image: IMAGE, sourceCaption: 'a photo of a house', editedCaption, seed: 99, width: WIDTH, height: HEIGHT, model: 'StableDiffusion_v4',
  });

  beforeAll(async () => {
    stub = await startStub(a1111Stub);
    backend = new A1111EditBackend(stub.url, { timeoutMs: 400, retries: 1, backoffMs: 10 });
  });
  afterAll(async () => {
    await stub.close();
  });

  it('offers the three LANCE models and probes their checkpoints: a missing one is a one-line user error', async () => {
    expect(backend.models).toEqual(['StableDiffusion_v4', 'StableDiffusion_v5', 'OpenJourney']);
    await expect(backend.probe(['StableDiffusion_v4', 'OpenJourney'])).resolves.toBeUndefined();
    await expect(backend.probe(['StableDiffusion_v5'])).rejects.toThrow(/a1111: the server has no checkpoint 'v1-5-pruned-emaonly' for StableDiffusion_v5 \(it has: sd-v1-4, mdjrny-v4\)/);
    await expect(backend.probe(['StableDiffusion_XL'])).rejects.toThrow(/no checkpoint is mapped to the model 'StableDiffusion_XL'/);
  });

  it('a checkpoint map from the options replaces the default names; unset options keep the defaults', async () => {
    const mapped = new A1111EditBackend(stub.url, { checkpoints: { StableDiffusion_v5: 'mdjrny-v4' } });
    await expect(mapped.probe(['StableDiffusion_v5'])).resolves.toBeUndefined();
    // What a factory passes for CLI flags the user left out.
    const unset = new A1111EditBackend(stub.url, { checkpoints: undefined, workflow: undefined, timeoutMs: undefined, retries: undefined });
    await unset.probe(['StableDiffusion_v4']);
    expect((await unset.edit(request('a castle'))).equals(await invertedPng(IMAGE))).toBe(true);
  });

  it('an unreachable server is a user error at probe time', async () => {
    const gone = await startStub(() => () => {});
    await gone.close();
    await expect(new A1111EditBackend(gone.url).probe(['StableDiffusion_v4'])).rejects.toThrow(/a1111: cannot reach .* is the server running\?/);
    expect(() => new A1111EditBackend('127.0.0.1:7860')).toThrow(UserError);
  });

  it('sends the photo, the edited caption, seed, settings and checkpoint without a mask, and returns the PNG', async () => {
    await backend.probe(['StableDiffusion_v4']);
    const out = await backend.edit(request('a photo of a castle'));
    expect(isPng(out)).toBe(true);
    expect(out.equals(await invertedPng(IMAGE))).toBe(true);
    const sent = JSON.parse(stub.requests.at(-1)!.body.toString());
    expect(sent).toMatchObject({
      prompt: 'a photo of a castle', seed: 99, width: WIDTH, height: HEIGHT, sampler_name: 'DDIM',
      denoising_strength: EDIT_DEFAULTS.strength, steps: EDIT_DEFAULTS.steps, cfg_scale: EDIT_DEFAULTS.guidanceScale,
    });
    expect(stub.problems).toEqual([]);
  });

  it('takes a data-URL answer, and re-encodes a JPEG answer as PNG', async () => {
    expect((await backend.edit(request('data url'))).equals(await invertedPng(IMAGE))).toBe(true);
    const fromJpeg = await backend.edit(request('jpeg'));
    expect(isPng(fromJpeg)).toBe(true);
    expect(await sharp(fromJpeg).metadata()).toMatchObject({ width: WIDTH, height: HEIGHT });
  });

  it.each([
    ['http 500', 'http 500', 2],
    ['slow', 'timeout', 2],
    ['not png', 'not an image', 1],
    ['wrong size', 'wrong size', 1],
    ['black', 'blank image', 1],
    ['no images', 'bad answer', 1],
    ['invalid', 'http 422', 1],
  ])('a bad answer (%s) fails with reason %s after %i request(s)', async (caption, reason, tries) => {
    const before = stub.requests.length;
    const error = await backend.edit(request(caption)).catch((e) => e);
    expect(error).toBeInstanceOf(BackendFailure);
    expect(error.reason).toBe(reason);
    expect(stub.requests.length - before).toBe(tries);
  });

  it('a photo whose sides are not multiples of 8 fails the row without a request (the WebUI would round it)', async () => {
    const before = stub.requests.length;
    const odd = await backend.edit({ ...request('x'), width: WIDTH + 4 }).catch((e) => e);
    expect(odd).toBeInstanceOf(BackendFailure);
    expect(odd.reason).toBe('size not a multiple of 8');
    expect(odd.message).toMatch(/a1111: the photo is 68x48; .*positive multiples of 8/);
    expect(stub.requests.length).toBe(before);
  });

  it('an unmapped model fails the row without a request; an abort stops at once', async () => {
    const before = stub.requests.length;
    const unknown = await backend.edit({ ...request('x'), model: 'Kandinsky_2_2' }).catch((e) => e);
    expect(unknown.reason).toBe('unknown model');
    expect(stub.requests.length).toBe(before);
    const controller = new AbortController();
    const pending = backend.edit({ ...request('slow'), signal: controller.signal });
    controller.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });
});
