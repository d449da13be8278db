import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffusersBackend } from '../../../src/generation/generate/inpaint/diffusers.js';
import { InpaintFailure } from '../../../src/generation/generate/inpaint/failure.js';
import { ClassicalBackend, createInpaintBackend, A1111Backend, ComfyUIBackend } from '../../../src/generation/generate/inpaint/index.js';
import { UserError } from '../../../src/util/errors.js';
import { HEIGHT, IMAGE, MASK, WIDTH, invertedPng, solidPng } from './inpaint-fixtures.js';
import { expectField, sendJson, startStub, type Stub, type StubRequest } from './stub-server.js';

/** The contract documented in diffusers.ts; the prompt picks the stub's behaviour. */
function diffusersStub(stub: Stub) {
  return async (req: StubRequest, res: ServerResponse) => {
    if (req.method === 'GET' && req.path === '/health') return sendJson(res, 200, { models: ['StableDiffusion_v5', 'Kandinsky_2_2'], device: 'cuda', dtype: 'float16' });
    if (req.method !== 'POST' || req.path !== '/inpaint') return sendJson(res, 404, { error: 'no route' });
    const body = JSON.parse(req.body.toString());
    for (const [k, t] of [['model', 'string'], ['prompt', 'string'], ['seed', 'integer'], ['width', 'integer'], ['height', 'integer'], ['image', 'string'], ['mask', 'string']] as const) {
      expectField(stub, 'inpaint', body, k, t);
    }
    if (!Buffer.from(body.image, 'base64').equals(IMAGE) || !Buffer.from(body.mask, 'base64').equals(MASK)) stub.problems.push('inpaint: image/mask not the base64 of what was sent');
    const png = (bytes: Buffer) => res.writeHead(200, { 'content-type': 'image/png' }).end(bytes);
    switch (body.prompt) {
      case 'http 503': return sendJson(res, 503, { error: 'CUDA out of memory' });
      case 'bad request': return sendJson(res, 400, { error: 'width and height must be positive multiples of 8' });
      case 'not png': return png(Buffer.from('GIF89a....'));
      case 'black': return png(await solidPng(WIDTH, HEIGHT, 0));
      case 'slow': return;
      default: return png(await invertedPng(IMAGE));
    }
  };
}

describe('diffusers server backend against a stub of its contract', () => {
  let stub: Stub;
  let backend: DiffusersBackend;
  // The timeout is tested on the 'slow' prompt, which the stub never answers, so its short timeout races nothing;
  // every answered request gets a timeout no loaded machine reaches.
  let impatient: DiffusersBackend;
  const request = (prompt: string) => ({ image: IMAGE, mask: MASK, prompt, seed: 3, width: WIDTH, height: HEIGHT, model: 'StableDiffusion_v5' });

  beforeAll(async () => {
    stub = await startStub(diffusersStub);
    backend = new DiffusersBackend(stub.url, { timeoutMs: 30_000, retries: 1, backoffMs: 10 });
    impatient = new DiffusersBackend(stub.url, { timeoutMs: 400, retries: 1, backoffMs: 10 });
  });
  afterAll(async () => {
    await stub.close();
  });

  it('offers the authors\' five models and probes what the server serves', async () => {
    expect(backend.models).toEqual(['StableDiffusion_v4', 'StableDiffusion_v5', 'StableDiffusion_XL', 'Kandinsky_2_2', 'OpenJourney']);
    await expect(backend.probe(['StableDiffusion_v5', 'Kandinsky_2_2'])).resolves.toBeUndefined();
    await expect(backend.probe(['OpenJourney'])).rejects.toThrow(/does not serve OpenJourney \(it serves: StableDiffusion_v5, Kandinsky_2_2\)/);
  });

  it('posts the request and returns the image', async () => {
    const out = await backend.inpaint(request('a blue car'));
    expect(out.equals(await invertedPng(IMAGE))).toBe(true);
    expect(stub.problems).toEqual([]);
  });

  it.each([
    ['http 503', 'http 503', 2],
    ['bad request', 'http 400', 1],
    ['not png', 'not an image', 1],
    ['black', 'blank image', 1],
    ['slow', 'timeout', 2],
  ])('a bad answer (%s) fails with reason %s after %i request(s)', async (prompt, reason, tries) => {
    const before = stub.requests.length;
    const error = await (prompt === 'slow' ? impatient : backend).inpaint(request(prompt)).catch((e) => e);
    expect(error).toBeInstanceOf(InpaintFailure);
    expect(error.reason).toBe(reason);
    expect(stub.requests.length - before).toBe(tries);
  });
});

describe('every HTTP inpainting client', () => {
  it('fails a photo whose sides are not multiples of 8 before any request, with the reason', async () => {
    const stub = await startStub(() => (_req, res) => sendJson(res, 500, { error: 'no request was expected' }));
    try {
      const backends = [new DiffusersBackend(stub.url), new A1111Backend(stub.url), new ComfyUIBackend(stub.url)];
      for (const backend of backends) {
        for (const [width, height] of [[63, 48], [64, 44], [0, 48]]) {
          const error = await backend.inpaint({ image: IMAGE, mask: MASK, prompt: 'a hat', seed: 1, width, height, model: 'StableDiffusion_v5' }).catch((e) => e);
          expect(error, backend.name).toBeInstanceOf(InpaintFailure);
          expect(error.reason).toBe('size not a multiple of 8');
          expect(error.message).toContain(`${backend.name}: the photo is ${width}x${height}`);
        }
      }
      expect(stub.requests).toEqual([]);
    } finally {
      await stub.close();
    }
  });
});

describe('tools/diffusers_server.py speaks the same contract (HTTP layer; no GPU, no weights needed)', () => {
  const python = '/usr/bin/python3';
  let child: ChildProcess | undefined;
  let url = '';

  beforeAll(async () => {
    if (!existsSync(python)) return;
    child = spawn(python, ['tools/diffusers_server.py', '--port', '0', '--models', 'StableDiffusion_v5,OpenJourney'], { stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child!.on('exit', (code) => reject(new Error(`diffusers_server.py exited ${code}`)));
    });
  });
  afterAll(() => {
    child?.kill();
  });

  it.skipIf(!existsSync(python))('answers /health, rejects unserved models and bad sizes before touching a GPU', async () => {
    const backend = new DiffusersBackend(url, { timeoutMs: 5_000, retries: 0, backoffMs: 10 });
    await expect(backend.probe(['StableDiffusion_v5', 'OpenJourney'])).resolves.toBeUndefined();
    await expect(backend.probe(['StableDiffusion_XL'])).rejects.toThrow(UserError);
    const unserved = await backend.inpaint({ image: IMAGE, mask: MASK, prompt: 'x', seed: 1, width: 64, height: 48, model: 'Kandinsky_2_2' }).catch((e) => e);
    expect(unserved.message).toMatch(/http 404: .*model Kandinsky_2_2 is not served/);
    // the client never sends such a size (above); the server refuses it too
    const odd = await fetch(`${url}/inpaint`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'StableDiffusion_v5', prompt: 'x', seed: 1, width: 63, height: 48, image: IMAGE.toString('base64'), mask: MASK.toString('base64') }),
    });
    expect(`${odd.status} ${(await odd.json()).error}`).toMatch(/^400 .*multiples of 8, got 63x48/);
  });
});

describe('createInpaintBackend', () => {
  it('parses the backend specs', () => {
    expect(createInpaintBackend('classical')).toBeInstanceOf(ClassicalBackend);
    expect(createInpaintBackend('a1111:http://127.0.0.1:7860')).toBeInstanceOf(A1111Backend);
    expect(createInpaintBackend('comfyui:http://127.0.0.1:8188/')).toBeInstanceOf(ComfyUIBackend);
    expect(createInpaintBackend('diffusers:http://gpu-box:8000')).toBeInstanceOf(DiffusersBackend);
  });

  it('a bad spec is a one-line user error', () => {
    expect(() => createInpaintBackend('dalle')).toThrow(/unknown inpainting backend 'dalle' \(expected classical \| a1111:URL/);
    expect(() => createInpaintBackend('a1111')).toThrow(/a1111 needs the server URL, e.g. a1111:http:\/\/127.0.0.1:7860/);
    expect(() => createInpaintBackend('comfyui:not a url')).toThrow(UserError);
  });
});
