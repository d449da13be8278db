import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffusersEditBackend } from '../../../src/generation/generate/edit/diffusers.js';
import { EDIT_DEFAULTS } from '../../../src/generation/generate/edit/models.js';
import { BackendFailure } from '../../../src/generation/generate/failure.js';
import { DiffusersBackend } from '../../../src/generation/generate/inpaint/diffusers.js';
import { UserError } from '../../../src/util/errors.js';
import { HEIGHT, IMAGE, MASK, WIDTH, invertedPng, solidPng } from './inpaint-fixtures.js';
import { expectField, sendJson, startStub, type Stub, type StubRequest } from './stub-server.js';

const FIELDS = { model: 'string', mode: 'string', source_caption: 'string', edited_caption: 'string', seed: 'integer', width: 'integer', height: 'integer',
  image: 'string', strength: 'number', steps: 'integer', guidance_scale: 'number' } as const;

/** The /edit contract documented in servers/diffusers.ts and edit/diffusers.ts; the edited caption picks the behaviour. */
function diffusersStub(stub: Stub) {
  return async (req: StubRequest, res: ServerResponse) => {
    if (req.method === 'GET' && req.path === '/health') {
      return sendJson(res, 200, {
        models: ['StableDiffusion_v5', 'StableDiffusion_XL'], edit_models: ['StableDiffusion_v5', 'OpenJourney', 'InstructPix2Pix'],
        edit_modes: { StableDiffusion_v5: ['p2p', 'img2img'], OpenJourney: ['img2img'], InstructPix2Pix: ['instruct-pix2pix'] }, device: 'cuda',
      });
    }
    if (req.method !== 'POST' || req.path !== '/edit') return sendJson(res, 404, { error: 'no route' });
    if (req.headers['content-type'] !== 'application/json') stub.problems.push('edit: content-type is not application/json');
    const body = JSON.parse(req.body.toString());
    for (const key of Object.keys(body)) if (!(key in FIELDS)) stub.problems.push(`edit: unexpected field ${key}`);
    for (const [k, t] of Object.entries(FIELDS)) expectField(stub, 'edit', body, k, t);
    if (!Buffer.from(body.image, 'base64').equals(IMAGE)) stub.problems.push('edit: image is not the base64 of the photo sent');
    if (!['p2p', 'img2img', 'instruct-pix2pix'].includes(body.mode)) stub.problems.push(`edit: unknown mode ${body.mode}`);
    if ((body.model === 'InstructPix2Pix') !== (body.mode === 'instruct-pix2pix')) stub.problems.push(`edit: mode ${body.mode} does not apply to ${body.model}`);
    const png = (bytes: Buffer) => res.writeHead(200, { 'content-type': 'image/png' }).end(bytes);
    switch (body.edited_caption) {
      case 'http 503': return sendJson(res, 503, { error: 'CUDA out of memory' });
      case 'bad request': return sendJson(res, 400, { error: 'width and height must be positive multiples of 8' });
      case 'not png': return png(Buffer.from('GIF89a....'));
      case 'plain 500': return res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
      case 'wrong size': return png(await sharp(IMAGE).resize(WIDTH / 2, HEIGHT / 2).png().toBuffer());
      case 'black': return png(await solidPng(WIDTH, HEIGHT, 0));
      case 'slow': return;
      default: return png(await invertedPng(IMAGE));
    }
  };
}

describe('diffusers edit backend against a stub of the /edit contract', () => {
  let stub: Stub;
  let backend: DiffusersEditBackend;
  // The timeout is tested on 'slow', which the stub never answers, so its short timeout races nothing; every
  // answered request gets a timeout no loaded machine reaches.
  let impatient: DiffusersEditBackend;
  const request = (editedCaption: string) => ({
    image: IMAGE, sourceCaption: 'a man riding a horse', editedCaption, seed: 21, width: WIDTH, height: HEIGHT, model: 'OpenJourney',
  });

  beforeAll(async () => {
    stub = await startStub(diffusersStub);
    // the stub runs only img2img for OpenJourney (the requests below); p2p is the default, probed separately
    backend = new DiffusersEditBackend(stub.url, { timeoutMs: 30_000, retries: 1, backoffMs: 10, editMode: 'img2img' });
    impatient = new DiffusersEditBackend(stub.url, { timeoutMs: 400, retries: 1, backoffMs: 10, editMode: 'img2img' });
  });
  afterAll(async () => {
    await stub.close();
  });

  it('offers the three LANCE models and probes the edit models the server lists (not its inpainting ones)', async () => {
    expect(backend.models).toEqual(['StableDiffusion_v4', 'StableDiffusion_v5', 'OpenJourney']);
    await expect(backend.probe(['StableDiffusion_v5', 'OpenJourney'])).resolves.toBeUndefined();
    await expect(backend.probe(['StableDiffusion_v4'])).rejects.toThrow(/diffusers-img2img: the server does not serve StableDiffusion_v4 \(it serves: StableDiffusion_v5, OpenJourney, InstructPix2Pix\)/);
  });

  it('p2p (the default) needs a server that says it runs p2p for each model', async () => {
    const p2p = new DiffusersEditBackend(stub.url);
    expect([p2p.mode, p2p.name]).toEqual(['p2p', 'diffusers-p2p']);
    await expect(p2p.probe(['StableDiffusion_v5'])).resolves.toBeUndefined();
    await expect(p2p.probe(['StableDiffusion_v5', 'OpenJourney'])).rejects.toThrow(/diffusers-p2p: the server does not run p2p edits for OpenJourney/);
    expect(() => new DiffusersEditBackend(stub.url, { editMode: 'sdedit' as 'p2p' })).toThrow(/unknown edit mode 'sdedit'/);
  });

  it('instruct-pix2pix offers only InstructPix2Pix, probes its mode, and posts the captions for the server to turn into an instruction', async () => {
    const pix2pix = new DiffusersEditBackend(stub.url, { timeoutMs: 30_000, retries: 0, editMode: 'instruct-pix2pix' });
    expect([pix2pix.mode, pix2pix.name, pix2pix.models]).toEqual(['instruct-pix2pix', 'diffusers-instruct-pix2pix', ['InstructPix2Pix']]);
    await expect(pix2pix.probe(['InstructPix2Pix'])).resolves.toBeUndefined();
    await expect(pix2pix.probe(['OpenJourney'])).rejects.toThrow(/diffusers-instruct-pix2pix: the server does not run instruct-pix2pix edits for OpenJourney/);
    const out = await pix2pix.edit({ ...request('a man riding a zebra'), model: 'InstructPix2Pix' });
    expect(out.equals(await invertedPng(IMAGE))).toBe(true);
    expect(JSON.parse(stub.requests.at(-1)!.body.toString())).toMatchObject({
      model: 'InstructPix2Pix', mode: 'instruct-pix2pix', source_caption: 'a man riding a horse', edited_caption: 'a man riding a zebra', seed: 21,
    });
    expect(stub.problems).toEqual([]);
  });

  it('an older diffusers_server.py (no edit_modes: img2img only) serves img2img but is refused for p2p', async () => {
    const old = await startStub(() => (_req, res) => sendJson(res, 200, { models: [], edit_models: ['StableDiffusion_v5'] }));
    try {
      await expect(new DiffusersEditBackend(old.url, { editMode: 'img2img' }).probe(['StableDiffusion_v5'])).resolves.toBeUndefined();
      await expect(new DiffusersEditBackend(old.url).probe(['StableDiffusion_v5'])).rejects.toThrow(/an older tools\/diffusers_server.py runs img2img only/);
    } finally {
      await old.close();
    }
  });

  it('a server without /edit (an older diffusers_server.py) is a user error at probe time', async () => {
    const old = await startStub(() => (_req, res) => sendJson(res, 200, { models: ['StableDiffusion_v5'] }));
    try {
      await expect(new DiffusersEditBackend(old.url).probe(['StableDiffusion_v5'])).rejects.toThrow(/did not answer \{"edit_models": \[\.\.\.\]\}/);
    } finally {
      await old.close();
    }
  });

  it('a photo whose sides are not multiples of 8 fails the row without a request', async () => {
    const before = stub.requests.length;
    const odd = await backend.edit({ ...request('a man riding a zebra'), width: 63 }).catch((e) => e);
    expect(odd).toBeInstanceOf(BackendFailure);
    expect(odd.reason).toBe('size not a multiple of 8');
    expect(odd.message).toMatch(/diffusers-img2img: the photo is 63x48/);
    expect(stub.requests.length).toBe(before);
  });

  it('posts both captions, the seed, the size and EDIT_DEFAULTS, and returns the image', async () => {
    const out = await backend.edit(request('a man riding a zebra'));
    expect(out.equals(await invertedPng(IMAGE))).toBe(true);
    const sent = JSON.parse(stub.requests.at(-1)!.body.toString());
    expect(sent).toMatchObject({
      model: 'OpenJourney', mode: 'img2img', source_caption: 'a man riding a horse', edited_caption: 'a man riding a zebra', seed: 21, width: WIDTH, height: HEIGHT,
      strength: EDIT_DEFAULTS.strength, steps: EDIT_DEFAULTS.steps, guidance_scale: EDIT_DEFAULTS.guidanceScale,
    });
    expect(stub.problems).toEqual([]);
  });

  it.each([
    ['http 503', 'http 503', 2, /CUDA out of memory/],
    ['plain 500', 'http 500', 2, /Internal Server Error/],
    ['bad request', 'http 400', 1, /multiples of 8/],
    ['not png', 'not an image', 1, /GIF89a/],
    ['wrong size', 'wrong size', 1, /sent 32x24, asked for 64x48/],
    ['black', 'blank image', 1, /uniform \(0,0,0\)/],
    ['slow', 'timeout', 2, /no answer within 400 ms/],
  ])('a bad answer (%s) fails with reason %s after %i request(s)', async (caption, reason, tries, message) => {
    const before = stub.requests.length;
    const error = await (caption === 'slow' ? impatient : backend).edit(request(caption)).catch((e) => e);
    expect(error).toBeInstanceOf(BackendFailure);
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
    expect(stub.requests.length - before).toBe(tries);
  });

  it('an unreachable server is a user error at probe time', async () => {
    const gone = await startStub(() => () => {});
    await gone.close();
    await expect(new DiffusersEditBackend(gone.url).probe(['OpenJourney'])).rejects.toThrow(UserError);
  });
});

describe('tools/diffusers_server.py --dry-run accepts exactly what the clients send (no GPU, no weights)', () => {
  const python = '/usr/bin/python3';
  let child: ChildProcess | undefined;
  let url = '';

  beforeAll(async () => {
    if (!existsSync(python)) return;
    child = spawn(python, ['tools/diffusers_server.py', '--port', '0', '--dry-run', '--models', 'StableDiffusion_v5,StableDiffusion_XL,OpenJourney,InstructPix2Pix'], { stdio: ['ignore', 'pipe', 'pipe'] });
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

  const edit = { image: IMAGE, sourceCaption: 'a red car', editedCaption: 'a blue car', seed: 4, width: WIDTH, height: HEIGHT, model: 'OpenJourney' };
  const pixels = async (png: Buffer) => (await sharp(png).removeAlpha().raw().toBuffer());

  it.skipIf(!existsSync(python))('an edit request in either mode passes every server check and comes back as the photo', async () => {
    for (const editMode of ['p2p', 'img2img'] as const) {
      const backend = new DiffusersEditBackend(url, { timeoutMs: 10_000, retries: 0, editMode });
      await expect(backend.probe(['StableDiffusion_v5', 'OpenJourney'])).resolves.toBeUndefined();
      await expect(backend.probe(['StableDiffusion_XL'])).rejects.toThrow(/does not serve StableDiffusion_XL/); // inpainting only
      await expect(backend.probe(['InstructPix2Pix'])).rejects.toThrow(new RegExp(`does not run ${editMode} edits for InstructPix2Pix`));
      const out = await backend.edit(edit);
      expect((await pixels(out)).equals(await pixels(IMAGE))).toBe(true);
    }
  });

  it.skipIf(!existsSync(python))('an instruct-pix2pix request passes every server check and comes back as the photo', async () => {
    const backend = new DiffusersEditBackend(url, { timeoutMs: 10_000, retries: 0, editMode: 'instruct-pix2pix' });
    await expect(backend.probe([...backend.models])).resolves.toBeUndefined();
    await expect(backend.probe(['OpenJourney'])).rejects.toThrow(/does not run instruct-pix2pix edits for OpenJourney/);
    const out = await backend.edit({ ...edit, model: 'InstructPix2Pix' });
    expect((await pixels(out)).equals(await pixels(IMAGE))).toBe(true);
  });

  /** A raw /edit request as the contract allows it (optional fields the TypeScript client does not send). */
  const post = (body: object) => fetch(`${url}/edit`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'OpenJourney', source_caption: 'a red car', edited_caption: 'a blue car', seed: 4, width: WIDTH, height: HEIGHT, image: IMAGE.toString('base64'), ...body }),
  });

  it.skipIf(!existsSync(python))('reports its modes and the mode each edit ran (p2p unless asked), LANCE settings optional', async () => {
    const health = await (await fetch(`${url}/health`)).json();
    expect(health.edit_models).toEqual(['StableDiffusion_v5', 'OpenJourney', 'InstructPix2Pix']);
    expect(health.edit_modes).toEqual({ StableDiffusion_v5: ['p2p', 'img2img'], OpenJourney: ['p2p', 'img2img'], InstructPix2Pix: ['instruct-pix2pix'] });
    expect(health.dry_run).toBe(true);
    const modeOf = async (body: object) => {
      const res = await post(body);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      return res.headers.get('x-edit-mode');
    };
    expect(await modeOf({})).toBe('p2p');
    expect(await modeOf({ mode: 'img2img', strength: 0.5 })).toBe('img2img');
    expect(await modeOf({ cross_replace_steps: 0.6, self_replace_steps: 0.4, edit_word_weight: 2, local_blend: true, controller: 'auto', null_text_steps: 0 })).toBe('p2p');
    expect(await modeOf({ model: 'InstructPix2Pix', image_guidance_scale: 1.2 })).toBe('instruct-pix2pix');
  });

  it.skipIf(!existsSync(python))('so does an inpainting request on the same server', async () => {
    const backend = new DiffusersBackend(url, { timeoutMs: 10_000, retries: 0 });
    await expect(backend.probe(['StableDiffusion_XL'])).resolves.toBeUndefined();
    const out = await backend.inpaint({ image: IMAGE, mask: MASK, prompt: 'a hat', seed: 1, width: WIDTH, height: HEIGHT, model: 'StableDiffusion_XL' });
    expect((await pixels(out)).equals(await pixels(IMAGE))).toBe(true);
  });

  it.skipIf(!existsSync(python))('refuses, before any model, what it cannot run, with the reason', async () => {
    const backend = new DiffusersEditBackend(url, { timeoutMs: 10_000, retries: 0 });
    const failure = (overrides: object) => backend.edit({ ...edit, ...overrides }).catch((e: BackendFailure) => e.message);
    expect(await failure({ model: 'StableDiffusion_XL' })).toMatch(/http 404: .*model StableDiffusion_XL is not served \(served: StableDiffusion_v5, OpenJourney, InstructPix2Pix\)/);
    expect(await failure({ height: 56 })).toMatch(/http 400: .*the image is 64x48, the request says 64x56/);
    expect(await failure({ editedCaption: ' ' })).toMatch(/http 400: .*'edited_caption' must be a non-empty string/);
    expect(await failure({ image: Buffer.from('not a png') })).toMatch(/http 400: .*bad request: UnidentifiedImageError/);
    const refusal = async (body: object) => {
      const res = await post(body);
      return `${res.status} ${(await res.json()).error}`;
    };
    expect(await refusal({ width: 63 })).toMatch(/^400 width and height must be positive multiples of 8, got 63x48/); // the client never sends it
    expect(await refusal({ mode: 'instruct-pix2pix' })).toBe("400 mode 'instruct-pix2pix' does not apply to OpenJourney (its modes: p2p, img2img)");
    expect(await refusal({ model: 'InstructPix2Pix', mode: 'p2p' })).toBe("400 mode 'p2p' does not apply to InstructPix2Pix (its modes: instruct-pix2pix)");
    expect(await refusal({ self_replace_steps: 1.5 })).toBe("400 'self_replace_steps' must be a number in [0, 1], got 1.5");
    expect(await refusal({ local_blend: 'yes' })).toBe("400 'local_blend' must be true or false, got 'yes'");
    expect(await refusal({ controller: 'replace' })).toMatch(/^400 'controller' must be 'refine' \(LANCE\) or 'auto'/);
    expect(await refusal({ mode: 'img2img', strength: 0 })).toMatch(/^400 need 0 < strength <= 1/);
  });
});
