import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A1111Backend } from '../../../src/generation/generate/inpaint/a1111.js';
import { InpaintFailure } from '../../../src/generation/generate/inpaint/failure.js';
import { UserError } from '../../../src/util/errors.js';
import { HEIGHT, IMAGE, MASK, WIDTH, invertedPng, isPng, solidPng } from './inpaint-fixtures.js';
import { expectField, sendJson, startStub, type Stub, type StubRequest } from './stub-server.js';

const TITLE = 'v1-5-pruned-emaonly.safetensors [6ce0161689]';

/**
 * The published A1111 API: GET /sdapi/v1/sd-models → SDModelItem[] {title, model_name, hash, sha256, filename,
 * config}; POST /sdapi/v1/img2img with StableDiffusionProcessingImg2Img → ImageToImageResponse {images: base64[],
 * parameters, info}. Unknown or mistyped fields are recorded as problems. The prompt picks the stub's behaviour.
 */
function a1111Stub(stub: Stub) {
  let flaky = 0;
  return async (req: StubRequest, res: ServerResponse) => {
    if (req.method === 'GET' && req.path === '/sdapi/v1/sd-models') {
      return sendJson(res, 200, [
        { title: TITLE, model_name: 'v1-5-pruned-emaonly', hash: '6ce0161689', sha256: 'x', filename: '/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors', config: null },
        { title: 'mdjrny-v4.ckpt [5d5ad06cc2]', model_name: 'mdjrny-v4', hash: '5d5ad06cc2', sha256: 'y', filename: '/models/Stable-diffusion/mdjrny-v4.ckpt', config: null },
      ]);
    }
    if (req.method !== 'POST' || req.path !== '/sdapi/v1/img2img') return sendJson(res, 404, { detail: 'Not Found' });
    if (req.headers['content-type'] !== 'application/json') stub.problems.push('img2img: content-type is not application/json');
    const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
    const known = new Set(['prompt', 'negative_prompt', 'init_images', 'mask', 'mask_blur', 'inpainting_fill', 'inpaint_full_res',
      'inpainting_mask_invert', 'resize_mode', 'denoising_strength', 'seed', 'steps', 'cfg_scale', 'sampler_name', 'width', 'height',
      'batch_size', 'n_iter', 'override_settings', 'override_settings_restore_afterwards', 'send_images', 'save_images']);
    for (const key of Object.keys(body)) if (!known.has(key)) stub.problems.push(`img2img: unknown field ${key}`);
    for (const [k, t] of [['prompt', 'string'], ['init_images', 'array'], ['mask', 'string'], ['seed', 'integer'], ['denoising_strength', 'number'],
      ['inpainting_fill', 'integer'], ['mask_blur', 'integer'], ['steps', 'integer'], ['cfg_scale', 'number'], ['width', 'integer'],
      ['height', 'integer'], ['override_settings', 'object'], ['inpaint_full_res', 'boolean']] as const) expectField(stub, 'img2img', body, k, t);
    const init = Buffer.from((body.init_images as string[])[0] ?? '', 'base64');
    if (!init.equals(IMAGE)) stub.problems.push('img2img: init_images[0] is not the base64 of the image sent');
    if (!Buffer.from(body.mask as string, 'base64').equals(MASK)) stub.problems.push('img2img: mask is not the base64 of the mask sent');
    if ((body.override_settings as Record<string, unknown>).sd_model_checkpoint !== TITLE) stub.problems.push('img2img: wrong sd_model_checkpoint');
    if (![0, 1, 2, 3].includes(body.inpainting_fill as number)) stub.problems.push('img2img: inpainting_fill outside 0..3');

    const answer = (png: Buffer | string) => sendJson(res, 200, { images: [typeof png === 'string' ? png : png.toString('base64')], parameters: body, info: '{}' });
    switch (body.prompt) {
      case 'http 500': return sendJson(res, 500, { error: 'OutOfMemoryError', detail: 'CUDA out of memory' });
      case 'flaky': return flaky++ === 0 ? sendJson(res, 503, { error: 'busy' }) : answer(await invertedPng(init));
      case 'slow': return; // never answers: the client's timeout must fire
      case 'not png': return answer(Buffer.from('<html>not an image</html>'));
      case 'wrong size': return answer(await sharp(init).resize(WIDTH * 2, HEIGHT).png().toBuffer());
      case 'black': return answer(await solidPng(WIDTH, HEIGHT, 0));
      case 'invalid': return sendJson(res, 422, { detail: [{ loc: ['body', 'seed'], msg: 'value is not a valid integer' }] });
      default: return answer(await invertedPng(init));
    }
  };
}

describe('A1111 / Forge backend against a stub of the published API', () => {
  let stub: Stub;
  let backend: A1111Backend;
  // The timeout is tested on 'slow', which the stub never answers, so its short timeout races nothing; every
  // answered request gets a timeout no loaded machine reaches.
  let impatient: A1111Backend;
  const request = (prompt: string) => ({ image: IMAGE, mask: MASK, prompt, seed: 1234, width: WIDTH, height: HEIGHT, model: 'StableDiffusion_v5' });

  beforeAll(async () => {
    stub = await startStub(a1111Stub);
    backend = new A1111Backend(stub.url, { timeoutMs: 30_000, retries: 1, backoffMs: 10 });
    impatient = new A1111Backend(stub.url, { timeoutMs: 400, retries: 1, backoffMs: 10 });
  });
  afterAll(async () => {
    await stub.close();
  });

  it('probes the checkpoints once: a mapped one is found, a missing one is a one-line user error', async () => {
    await expect(backend.probe(['StableDiffusion_v5', 'OpenJourney'])).resolves.toBeUndefined();
    await expect(backend.probe(['StableDiffusion_v4'])).rejects.toThrow(/no checkpoint 'sd-v1-4' for StableDiffusion_v4 \(it has: v1-5-pruned-emaonly, mdjrny-v4\)/);
    await expect(backend.probe(['Kandinsky_2_2'])).rejects.toThrow(UserError);
  });

  it('an unreachable server is a user error at probe time', async () => {
    const gone = await startStub(() => () => {});
    await gone.close();
    await expect(new A1111Backend(gone.url).probe(['StableDiffusion_v5'])).rejects.toThrow(/a1111: cannot reach .* is the server running\?/);
    expect(() => new A1111Backend('localhost:7860')).toThrow(UserError);
  });

  it('sends the image, mask, prompt, seed and checkpoint in the published shape and returns the answer as PNG', async () => {
    await backend.probe(['StableDiffusion_v5']);
    const out = await backend.inpaint(request('a red apple'));
    expect(isPng(out)).toBe(true);
    expect(out.equals(await invertedPng(IMAGE))).toBe(true);
    const sent = JSON.parse(stub.requests.at(-1)!.body.toString());
    expect(sent).toMatchObject({ prompt: 'a red apple', seed: 1234, width: WIDTH, height: HEIGHT, mask_blur: 0, denoising_strength: 1, steps: 50, cfg_scale: 7.5 });
    expect(stub.problems).toEqual([]);
  });

  it('retries a 5xx and succeeds; gives up after the retries with the status as reason', async () => {
    await expect(backend.inpaint(request('flaky'))).resolves.toBeInstanceOf(Buffer);
    const before = stub.requests.length;
    const error = await backend.inpaint(request('http 500')).catch((e) => e);
    expect(error).toBeInstanceOf(InpaintFailure);
    expect(error.reason).toBe('http 500');
    expect(error.message).toMatch(/CUDA out of memory/);
    expect(stub.requests.length - before).toBe(2); // first try + 1 retry
  });

  it('a request with no answer times out (and is retried)', async () => {
    const before = stub.requests.length;
    const error = await impatient.inpaint(request('slow')).catch((e) => e);
    expect(error.reason).toBe('timeout');
    expect(stub.requests.length - before).toBe(2);
  });

  it.each([
    ['not png', 'not an image'],
    ['wrong size', 'wrong size'],
    ['black', 'blank image'],
    ['invalid', 'http 422'],
  ])('a bad answer (%s) fails with reason %s, without retry', async (prompt, reason) => {
    const before = stub.requests.length;
    const error = await backend.inpaint(request(prompt)).catch((e) => e);
    expect(error).toBeInstanceOf(InpaintFailure);
    expect(error.reason).toBe(reason);
    expect(stub.requests.length - before).toBe(1);
  });

  it('stops at once when the run is aborted', async () => {
    const controller = new AbortController();
    const pending = backend.inpaint({ ...request('slow'), signal: controller.signal });
    controller.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });
});
