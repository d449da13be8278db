import { writeFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComfyUIBackend, fillWorkflow, loadWorkflow, DEFAULT_COMFYUI_WORKFLOW } from '../../../src/generation/generate/inpaint/comfyui.js';
import { InpaintFailure } from '../../../src/generation/generate/inpaint/failure.js';
import { UserError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers.js';
import { HEIGHT, IMAGE, MASK, WIDTH, invertedPng, solidPng } from './inpaint-fixtures.js';
import { sendJson, startStub, type Stub, type StubRequest } from './stub-server.js';

const CKPT = 'v1-5-pruned-emaonly.safetensors';

/** multipart/form-data parts of a request body: name → { filename, data }. */
function multipart(req: StubRequest): Map<string, { filename?: string; data: Buffer }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] ?? '');
  const parts = new Map<string, { filename?: string; data: Buffer }>();
  if (!boundary) return parts;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let at = req.body.indexOf(delimiter);
  while (at >= 0) {
    const next = req.body.indexOf(delimiter, at + delimiter.length);
    if (next < 0) break;
    const part = req.body.subarray(at + delimiter.length + 2, next - 2); // skip CRLF after delimiter and before next
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString();
    const name = /name="([^"]+)"/.exec(head)?.[1];
    if (name) parts.set(name, { filename: /filename="([^"]+)"/.exec(head)?.[1], data: part.subarray(split + 4) });
    at = next;
  }
  return parts;
}

/**
 * ComfyUI's server.py routes: POST /upload/image (multipart 'image', 'type', 'overwrite') → {name, subfolder, type};
 * POST /prompt {prompt, client_id} → {prompt_id, number, node_errors} or 400 {error, node_errors};
 * GET /history/{id} → {} while queued, then {id: {prompt, outputs, status}}; GET /view?filename&subfolder&type;
 * GET /system_stats; GET /object_info/CheckpointLoaderSimple. The positive prompt text picks the behaviour.
 */
function comfyStub(stub: Stub) {
  const uploads = new Map<string, Buffer>();
  const jobs = new Map<string, { behaviour: string; image: string; polls: number }>();
  let counter = 0;
  return async (req: StubRequest, res: ServerResponse) => {
    const route = `${req.method} ${req.path}`;
    if (route === 'GET /system_stats') return sendJson(res, 200, { system: { os: 'posix', comfyui_version: '0.3.0' }, devices: [] });
    if (route === 'GET /object_info/CheckpointLoaderSimple') {
      return sendJson(res, 200, { CheckpointLoaderSimple: { input: { required: { ckpt_name: [[CKPT, 'sd15/mdjrny-v4.ckpt']] } }, output: ['MODEL', 'CLIP', 'VAE'] } });
    }
    if (route === 'POST /upload/image') {
      const parts = multipart(req);
      const file = parts.get('image');
      if (!file?.filename) stub.problems.push('upload: no file part named image');
      if (parts.get('type')?.data.toString() !== 'input') stub.problems.push('upload: type is not input');
      uploads.set(file!.filename!, file!.data);
      return sendJson(res, 200, { name: file!.filename, subfolder: '', type: 'input' });
    }
    if (route === 'POST /prompt') {
      const body = JSON.parse(req.body.toString());
      if (typeof body.client_id !== 'string') stub.problems.push('prompt: no client_id');
      const nodes = Object.values(body.prompt ?? {}) as { class_type: string; inputs: Record<string, unknown> }[];
      if (nodes.length === 0 || nodes.some((n) => typeof n.class_type !== 'string' || typeof n.inputs !== 'object')) stub.problems.push('prompt: not API format');
      const byType = (t: string) => nodes.filter((n) => n.class_type === t);
      const image = byType('LoadImage')[0]?.inputs.image as string;
      const mask = byType('LoadImageMask')[0]?.inputs.image as string;
      if (!uploads.get(image)?.equals(IMAGE)) stub.problems.push('prompt: LoadImage does not name the uploaded image');
      if (!uploads.get(mask)?.equals(MASK)) stub.problems.push('prompt: LoadImageMask does not name the uploaded mask');
      if (byType('CheckpointLoaderSimple')[0]?.inputs.ckpt_name !== CKPT) stub.problems.push('prompt: wrong ckpt_name');
      const sampler = byType('KSampler')[0]?.inputs;
      if (!Number.isInteger(sampler?.seed)) stub.problems.push('prompt: KSampler seed is not an integer');
      if (JSON.stringify(body.prompt).includes('{{')) stub.problems.push('prompt: unfilled placeholder');
      const behaviour = byType('CLIPTextEncode')[0]?.inputs.text as string;
      if (behaviour === 'http 500') return sendJson(res, 500, { error: 'boom' });
      if (behaviour === 'rejected') return sendJson(res, 400, { error: { type: 'prompt_outputs_failed_validation' }, node_errors: {} });
      const id = `p${++counter}`;
      jobs.set(id, { behaviour, image, polls: 0 });
      return sendJson(res, 200, { prompt_id: id, number: counter, node_errors: {} });
    }
    if (req.method === 'GET' && req.path.startsWith('/history/')) {
      const id = decodeURIComponent(req.path.slice('/history/'.length));
      const job = jobs.get(id);
      if (!job || job.polls++ === 0 || job.behaviour === 'slow') return sendJson(res, 200, {}); // queued
      if (job.behaviour === 'error') return sendJson(res, 200, { [id]: { outputs: {}, status: { status_str: 'error', completed: false, messages: [['execution_error', { exception_message: 'CUDA OOM' }]] } } });
      return sendJson(res, 200, { [id]: { prompt: [], outputs: { '10': { images: [{ filename: `${id}_00001_.png`, subfolder: '', type: 'output' }] } }, status: { status_str: 'success', completed: true, messages: [] } } });
    }
    if (route === 'GET /view') {
      const id = (req.query.get('filename') ?? '').split('_')[0];
      const job = jobs.get(id);
      if (!job || req.query.get('type') !== 'output') return sendJson(res, 404, {});
      const source = uploads.get(job.image)!;
      const body = job.behaviour === 'not png' ? Buffer.from('{"oops": true}')
        : job.behaviour === 'wrong size' ? await sharp(source).resize(WIDTH, HEIGHT + 8).png().toBuffer()
        : job.behaviour === 'black' ? await solidPng(WIDTH, HEIGHT, 0)
        : await invertedPng(source);
      res.writeHead(200, { 'content-type': 'image/png' }).end(body);
      return;
    }
    return sendJson(res, 404, {});
  };
}

describe('ComfyUI backend against a stub of its HTTP API', () => {
  let stub: Stub;
  let backend: ComfyUIBackend;
  const request = (prompt: string) => ({ image: IMAGE, mask: MASK, prompt, seed: 7, width: WIDTH, height: HEIGHT, model: 'StableDiffusion_v5' });

  beforeAll(async () => {
    stub = await startStub(comfyStub);
    backend = new ComfyUIBackend(stub.url, { timeoutMs: 500, retries: 1, backoffMs: 10, pollMs: 20 });
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
    const error = await backend.inpaint(request(prompt)).catch((e) => e);
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
