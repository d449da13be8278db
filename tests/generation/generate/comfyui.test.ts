import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComfyUIBackend, fillWorkflow, loadWorkflow, DEFAULT_COMFYUI_WORKFLOW } from '../../../src/generation/generate/inpaint/comfyui.js';
import { InpaintFailure } from '../../../src/generation/generate/inpaint/failure.js';
import { UserError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers.js';
import { CKPT, comfyStub } from './comfyui-stub.js';
import { HEIGHT, IMAGE, MASK, WIDTH, invertedPng } from './inpaint-fixtures.js';
import { startStub, type Stub } from './stub-server.js';

/** An inpainting workflow loads the uploaded photo and the uploaded mask. */
const inpaintStub = comfyStub((nodesOf, uploads, problems) => {
  if (!uploads.get(nodesOf('LoadImage')[0]?.inputs.image as string)?.equals(IMAGE)) problems.push('prompt: LoadImage does not name the uploaded image');
  if (!uploads.get(nodesOf('LoadImageMask')[0]?.inputs.image as string)?.equals(MASK)) problems.push('prompt: LoadImageMask does not name the uploaded mask');
});

describe('ComfyUI backend against a stub of its HTTP API', () => {
  let stub: Stub;
  let backend: ComfyUIBackend;
  // The timeout is tested on 'slow', which the stub never answers, so its short timeout races nothing; every
  // answered request gets a timeout no loaded machine reaches.
  let impatient: ComfyUIBackend;
  const request = (prompt: string) => ({ image: IMAGE, mask: MASK, prompt, seed: 7, width: WIDTH, height: HEIGHT, model: 'StableDiffusion_v5' });

  beforeAll(async () => {
    stub = await startStub(inpaintStub);
    backend = new ComfyUIBackend(stub.url, { timeoutMs: 30_000, retries: 1, backoffMs: 10, pollMs: 20 });
    impatient = new ComfyUIBackend(stub.url, { timeoutMs: 500, retries: 1, backoffMs: 10, pollMs: 20 });
  });
  afterAll(async () => {
    await stub.close();
  });

  it('probes the server and the mapped checkpoints', async () => {
    await expect(backend.probe(['StableDiffusion_v5', 'OpenJourney'])).resolves.toBeUndefined();
    await expect(backend.probe(['StableDiffusion_v4'])).rejects.toThrow(/no checkpoint 'sd-v1-4' for StableDiffusion_v4/);
  });

  it('uploads, queues the filled workflow, polls the history and returns the saved image', async () => {
    await backend.probe(['StableDiffusion_v5']);
    const out = await backend.inpaint(request('a green pear'));
    expect(out.equals(await invertedPng(IMAGE))).toBe(true);
    expect(stub.requests.filter((r) => r.path.startsWith('/history/')).length).toBeGreaterThanOrEqual(2);
    expect(stub.problems).toEqual([]);
  });

  it.each([
    ['http 500', 'http 500'],
    ['rejected', 'workflow rejected'],
    ['error', 'workflow error'],
    ['slow', 'timeout'],
    ['not png', 'not an image'],
    ['wrong size', 'wrong size'],
    ['black', 'blank image'],
  ])('a bad answer (%s) fails with reason %s', async (prompt, reason) => {
    const error = await (prompt === 'slow' ? impatient : backend).inpaint(request(prompt)).catch((e) => e);
    expect(error).toBeInstanceOf(InpaintFailure);
    expect(error.reason).toBe(reason);
  });

  it('an unreachable server is a user error at probe time', async () => {
    const gone = await startStub(() => () => {});
    await gone.close();
    await expect(new ComfyUIBackend(gone.url).probe(['StableDiffusion_v5'])).rejects.toThrow(/comfyui: cannot reach/);
  });
});

describe('ComfyUI workflow templates', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fills placeholders, numbers where the whole value is numeric', () => {
    const filled = fillWorkflow(loadWorkflow(DEFAULT_COMFYUI_WORKFLOW), {
      image: 'a.png', mask: 'm.png', prompt: 'a cat', negative_prompt: '', seed: 42, checkpoint: CKPT, width: 64, height: 48,
    });
    expect(filled['8'].inputs.seed).toBe(42);
    expect(filled['4'].inputs.text).toBe('a cat');
    expect(filled['2'].inputs.image).toBe('a.png');
    expect(JSON.stringify(filled)).not.toContain('{{');
  });

  it('rejects a template that is not API format, has unknown or lacks required placeholders', () => {
    const write = (name: string, value: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
      return path;
    };
    expect(() => loadWorkflow(write('ui.json', { nodes: [], links: [] }))).toThrow(/API format/);
    expect(() => loadWorkflow(write('bad.json', '{'))).toThrow(/not JSON/);
    const node = (inputs: Record<string, unknown>) => ({ '1': { class_type: 'X', inputs } });
    expect(() => loadWorkflow(write('unknown.json', node({ a: '{{image}}', b: '{{mask}}', c: '{{prompt}}', d: '{{seed}}', e: '{{steps}}' })))).toThrow(/unknown placeholder\(s\) \{\{steps\}\}/);
    expect(() => loadWorkflow(write('missing.json', node({ a: '{{image}}', b: '{{mask}}' })))).toThrow(/lacks \{\{prompt\}\}, \{\{seed\}\}/);
    expect(() => loadWorkflow(join(dir, 'absent.json'))).toThrow(UserError);
  });
});
