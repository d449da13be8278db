import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComfyUIEditBackend, DEFAULT_COMFYUI_EDIT_WORKFLOW, EDIT_TEMPLATE } from '../../../src/generation/generate/edit/comfyui.js';
import { EDIT_DEFAULTS } from '../../../src/generation/generate/edit/models.js';
import { BackendFailure } from '../../../src/generation/generate/failure.js';
import { loadWorkflow } from '../../../src/generation/generate/servers/comfyui.js';
import { tempDir } from '../../helpers.js';
import { comfyStub } from './comfyui-stub.js';
import { HEIGHT, IMAGE, WIDTH, invertedPng } from './inpaint-fixtures.js';
import { startStub, type Stub } from './stub-server.js';

/** An edit workflow loads the uploaded photo, has no mask, and samples from the photo's latent (img2img). */
const editStub = comfyStub((nodesOf, uploads, problems) => {
  if (!uploads.get(nodesOf('LoadImage')[0]?.inputs.image as string)?.equals(IMAGE)) problems.push('prompt: LoadImage does not name the uploaded photo');
  if (nodesOf('LoadImageMask').length || nodesOf('SetLatentNoiseMask').length) problems.push('prompt: an edit workflow has a mask');
  const denoise = nodesOf('KSampler')[0]?.inputs.denoise as number;
  if (!(denoise > 0 && denoise < 1)) problems.push(`prompt: KSampler denoise ${denoise} does not keep the photo`);
});

describe('ComfyUI edit backend against a stub of its HTTP API', () => {
  let stub: Stub;
  let backend: ComfyUIEditBackend;
  const request = (editedCaption: string) => ({
    image: IMAGE, sourceCaption: 'a dog on a sofa', editedCaption, seed: 11, width: WIDTH, height: HEIGHT, model: 'StableDiffusion_v5',
  });

  beforeAll(async () => {
    stub = await startStub(editStub);
    backend = new ComfyUIEditBackend(stub.url, { timeoutMs: 500, retries: 1, backoffMs: 10, pollMs: 20 });
  });
  afterAll(async () => {
    await stub.close();
  });

  it('probes the server and the mapped checkpoints; a missing one is a one-line user error', async () => {
    expect(backend.models).toEqual(['StableDiffusion_v4', 'StableDiffusion_v5', 'OpenJourney']);
    await expect(backend.probe(['StableDiffusion_v5', 'OpenJourney'])).resolves.toBeUndefined();
    await expect(backend.probe(['StableDiffusion_v4'])).rejects.toThrow(/comfyui: the server has no checkpoint 'sd-v1-4' for StableDiffusion_v4/);
  });

  it('uploads the photo, queues the img2img workflow with the edited caption and returns the saved image', async () => {
    await backend.probe(['StableDiffusion_v5']);
    const out = await backend.edit(request('a cat on a sofa'));
    expect(out.equals(await invertedPng(IMAGE))).toBe(true);
    const queued = JSON.parse(stub.requests.filter((r) => r.path === '/prompt').at(-1)!.body.toString()).prompt;
    expect(queued['3'].inputs.text).toBe('a cat on a sofa');
    expect(queued['6'].inputs).toMatchObject({ seed: 11, steps: EDIT_DEFAULTS.steps, cfg: EDIT_DEFAULTS.guidanceScale, denoise: EDIT_DEFAULTS.strength, sampler_name: 'ddim' });
    expect(stub.problems).toEqual([]);
  });

  it.each([
    ['http 500', 'http 500'],
    ['rejected', 'workflow rejected'],
    ['error', 'workflow error'],
    ['no image', 'bad answer'],
    ['slow', 'timeout'],
    ['not png', 'not an image'],
    ['wrong size', 'wrong size'],
    ['black', 'blank image'],
  ])('a bad answer (%s) fails with reason %s', async (caption, reason) => {
    const error = await backend.edit(request(caption)).catch((e) => e);
    expect(error).toBeInstanceOf(BackendFailure);
    expect(error.reason).toBe(reason);
  });

  it('a photo whose sides are not multiples of 8 fails before the upload (VAEEncode would crop it)', async () => {
    const before = stub.requests.length;
    const odd = await backend.edit({ ...request('x'), height: HEIGHT - 2 }).catch((e) => e);
    expect(odd).toBeInstanceOf(BackendFailure);
    expect(odd.reason).toBe('size not a multiple of 8');
    expect(odd.message).toMatch(/comfyui: the photo is 64x46/);
    expect(stub.requests.length).toBe(before);
  });

  it('an unreachable server is a user error at probe time', async () => {
    const gone = await startStub(() => () => {});
    await gone.close();
    await expect(new ComfyUIEditBackend(gone.url).probe(['StableDiffusion_v5'])).rejects.toThrow(/comfyui: cannot reach/);
  });
});

describe('ComfyUI edit workflow templates', () => {
  const dir = tempDir();
  const write = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('the bundled template is an img2img edit at EDIT_DEFAULTS', () => {
    const workflow = loadWorkflow(DEFAULT_COMFYUI_EDIT_WORKFLOW, EDIT_TEMPLATE);
    const sampler = Object.values(workflow).find((n) => n.class_type === 'KSampler')!.inputs;
    expect(sampler).toMatchObject({ steps: EDIT_DEFAULTS.steps, cfg: EDIT_DEFAULTS.guidanceScale, denoise: EDIT_DEFAULTS.strength });
    expect(Object.values(workflow).map((n) => n.class_type)).not.toContain('LoadImageMask');
  });

  it('a replacement template gets the source caption; a mask or a missing photo placeholder is refused', async () => {
    const custom = write('invert.json', {
      '1': { class_type: 'LoadImage', inputs: { image: '{{image}}' } },
      '2': { class_type: 'CLIPTextEncode', inputs: { text: '{{prompt}}' } },
      '3': { class_type: 'CLIPTextEncode', inputs: { text: 'from: {{source_prompt}}' } },
      '4': { class_type: 'KSampler', inputs: { seed: '{{seed}}', denoise: 0.5 } },
    });
    const stub = await startStub(editStub);
    try {
      const backend = new ComfyUIEditBackend(stub.url, { workflow: custom, timeoutMs: 500, retries: 0, pollMs: 20 });
      await backend.probe(['OpenJourney']); // the template names its own model: no checkpoint check
      await backend.edit({ image: IMAGE, sourceCaption: 'a red bus', editedCaption: 'a blue bus', seed: 5, width: WIDTH, height: HEIGHT, model: 'OpenJourney' });
      const queued = JSON.parse(stub.requests.find((r) => r.path === '/prompt')!.body.toString()).prompt;
      expect(queued['3'].inputs.text).toBe('from: a red bus');
      expect(queued['4'].inputs.seed).toBe(5);
    } finally {
      await stub.close();
    }
    const withMask = write('mask.json', { '1': { class_type: 'X', inputs: { a: '{{image}}', b: '{{mask}}', c: '{{prompt}}', d: '{{seed}}' } } });
    expect(() => new ComfyUIEditBackend('http://127.0.0.1:8188', { workflow: withMask })).toThrow(/unknown placeholder\(s\) \{\{mask\}\}/);
    const noImage = write('noimage.json', { '1': { class_type: 'X', inputs: { c: '{{prompt}}', d: '{{seed}}' } } });
    expect(() => new ComfyUIEditBackend('http://127.0.0.1:8188', { workflow: noImage })).toThrow(/lacks \{\{image\}\}/);
  });
});
