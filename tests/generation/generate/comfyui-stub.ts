/** A stub of ComfyUI's HTTP API for the inpainting and editing backends' tests. */
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { HEIGHT, WIDTH, invertedPng, solidPng } from './inpaint-fixtures.js';
import { multipart, sendJson, type Stub, type StubRequest } from './stub-server.js';

export const CKPT = 'v1-5-pruned-emaonly.safetensors';

export type GraphNode = { class_type: string; inputs: Record<string, unknown> };

/**
 * ComfyUI's server.py routes: POST /upload/image (multipart 'image', 'type', 'overwrite') → {name, subfolder, type};
 * POST /prompt {prompt, client_id} → {prompt_id, number, node_errors} or 400 {error, node_errors};
 * GET /history/{id} → {} while queued, then {id: {prompt, outputs, status}}; GET /view?filename&subfolder&type;
 * GET /system_stats; GET /object_info/CheckpointLoaderSimple. The first CLIPTextEncode's text (the positive
 * prompt) picks the behaviour; `checkGraph` records what a backend's workflow must contain. The answer is the
 * inverted first LoadImage upload.
 */
export function comfyStub(checkGraph: (nodesOf: (type: string) => GraphNode[], uploads: Map<string, Buffer>, problems: string[]) => void) {
  return (stub: Stub) => {
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
        const nodes = Object.values(body.prompt ?? {}) as GraphNode[];
        if (nodes.length === 0 || nodes.some((n) => typeof n.class_type !== 'string' || typeof n.inputs !== 'object')) stub.problems.push('prompt: not API format');
        const byType = (t: string) => nodes.filter((n) => n.class_type === t);
        const image = byType('LoadImage')[0]?.inputs.image as string;
        checkGraph(byType, uploads, stub.problems);
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
        if (job.behaviour === 'no image') return sendJson(res, 200, { [id]: { prompt: [], outputs: {}, status: { status_str: 'success', completed: true, messages: [] } } });
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
  };
}
