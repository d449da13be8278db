/**
 * ComfyUI: uploads the image and the prepared mask (`POST /upload/image`), queues a workflow in API format
 * (`POST /prompt`), polls `GET /history/{prompt_id}` until it is done and fetches the first saved image with
 * `GET /view`. The workflow is a JSON template users can replace; strings "{{name}}" in it are filled per request
 * (a whole-string "{{seed}}", "{{width}}" or "{{height}}" becomes a number). The default template
 * (comfyui-inpaint.json) is plain latent-mask inpainting with any checkpoint: 50 steps, CFG 7.5, denoise 1.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError, errorMessage } from '../../../util/errors.js';
import type { InpaintBackend, InpaintRequest } from '../contracts.js';
import { InpaintFailure } from './failure.js';
import { DEFAULT_HTTP, baseUrl, checkedImage, fetchWithRetry, jsonAnswer, probeJson, sleep, type HttpOptions } from './http.js';
import { DEFAULT_CHECKPOINTS } from './models.js';

export const DEFAULT_COMFYUI_WORKFLOW = new URL('./comfyui-inpaint.json', import.meta.url);
const PLACEHOLDERS = ['image', 'mask', 'prompt', 'negative_prompt', 'seed', 'checkpoint', 'width', 'height'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const REQUIRED: readonly Placeholder[] = ['image', 'mask', 'prompt', 'seed'];
const NUMERIC: readonly Placeholder[] = ['seed', 'width', 'height'];

export interface ComfyUIOptions extends Partial<HttpOptions> {
  /** model value → checkpoint file (as CheckpointLoaderSimple lists it, with or without extension). */
  checkpoints?: Record<string, string>;
  /** Path of a workflow template in API format ("Save (API Format)" in ComfyUI). */
  workflow?: string | URL;
  /** How often to ask /history while a prompt runs. */
  pollMs?: number;
}

type Workflow = Record<string, { class_type: string; inputs: Record<string, unknown> }>;
interface HistoryEntry {
  outputs?: Record<string, { images?: { filename: string; subfolder: string; type: string }[] }>;
  status?: { status_str?: string; completed?: boolean; messages?: unknown[] };
}

/** Reads and checks a workflow template: API format, the required placeholders, no unknown ones. */
export function loadWorkflow(path: string | URL): Workflow {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`comfyui: cannot read the workflow template ${String(path)} (${errorMessage(error)})`);
  }
  let workflow: Workflow;
  try {
    workflow = JSON.parse(text);
  } catch {
    throw new UserError(`comfyui: the workflow template ${String(path)} is not JSON`);
  }
  const nodes = Object.values(workflow ?? {});
  if (nodes.length === 0 || nodes.some((n) => typeof n?.class_type !== 'string' || typeof n.inputs !== 'object')) {
    throw new UserError(`comfyui: ${String(path)} is not a workflow in API format (nodes with class_type and inputs); export it with "Save (API Format)"`);
  }
  const used = new Set([...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]));
  const unknown = [...used].filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length) throw new UserError(`comfyui: unknown placeholder(s) ${unknown.map((p) => `{{${p}}}`).join(', ')} in ${String(path)} (known: ${PLACEHOLDERS.join(', ')})`);
  const missing = REQUIRED.filter((p) => !used.has(p));
  if (missing.length) throw new UserError(`comfyui: the workflow template ${String(path)} lacks ${missing.map((p) => `{{${p}}}`).join(', ')}`);
  return workflow;
}

/** The template with every "{{name}}" filled; whole-string numeric placeholders become numbers. */
export function fillWorkflow(workflow: Workflow, values: Record<Placeholder, string | number>): Workflow {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = /^\{\{(\w+)\}\}$/.exec(v);
      if (whole && (NUMERIC as readonly string[]).includes(whole[1])) return Number(values[whole[1] as Placeholder]);
      return v.replace(/\{\{(\w+)\}\}/g, (_m, name: Placeholder) => String(values[name]));
    }
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  return fill(workflow) as Workflow;
}

export class ComfyUIBackend implements InpaintBackend {
  readonly name = 'comfyui';
  readonly models: readonly string[];
  private readonly url: string;
  private readonly http: HttpOptions;
  private readonly checkpoints: Record<string, string>;
  private readonly workflow: Workflow;
  private readonly usesCheckpoint: boolean;
  /** model value → the checkpoint file name found by probe. */
  private readonly files = new Map<string, string>();
  private readonly clientId = randomUUID();

  constructor(url: string, private readonly options: ComfyUIOptions = {}) {
    this.url = baseUrl(url, this.name);
    this.http = { ...DEFAULT_HTTP, ...options };
    this.checkpoints = { ...DEFAULT_CHECKPOINTS, ...options.checkpoints };
    this.models = Object.keys(this.checkpoints);
    this.workflow = loadWorkflow(options.workflow ?? DEFAULT_COMFYUI_WORKFLOW);
    this.usesCheckpoint = JSON.stringify(this.workflow).includes('{{checkpoint}}');
  }

  async probe(models: readonly string[]): Promise<void> {
    const probeTimeout = Math.min(this.http.timeoutMs, 30_000);
    await probeJson(`${this.url}/system_stats`, this.name, probeTimeout);
    if (!this.usesCheckpoint) return; // the template names its own model
    const info = await probeJson<Record<string, { input?: { required?: { ckpt_name?: [string[]] } } }>>(
      `${this.url}/object_info/CheckpointLoaderSimple`, this.name, probeTimeout);
    const files = info.CheckpointLoaderSimple?.input?.required?.ckpt_name?.[0] ?? [];
    for (const model of models) {
      const wanted = this.checkpoints[model];
      if (!wanted) throw new UserError(`${this.name}: no checkpoint is mapped to the model '${model}' (mapped: ${this.models.join(', ')})`);
      const found = files.find((f) => f === wanted || f.replace(/\.(safetensors|ckpt|pt|bin)$/, '').split('/').pop() === wanted);
      if (!found) throw new UserError(`${this.name}: the server has no checkpoint '${wanted}' for ${model} (it has: ${files.join(', ') || 'none'})`);
      this.files.set(model, found);
    }
  }

  async inpaint(request: InpaintRequest): Promise<Buffer> {
    const checkpoint = this.files.get(request.model) ?? this.checkpoints[request.model];
    if (this.usesCheckpoint && !checkpoint) throw new InpaintFailure('unknown model', `${this.name} has no checkpoint for ${request.model}`);
    const image = await this.upload(request.image, request.signal);
    const mask = await this.upload(request.mask, request.signal);
    const prompt = fillWorkflow(this.workflow, {
      image, mask, prompt: request.prompt, negative_prompt: '', seed: request.seed,
      checkpoint: checkpoint ?? '', width: request.width, height: request.height,
    });
    const queued = await fetchWithRetry(`${this.url}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, client_id: this.clientId }),
    }, this.http, request.signal);
    if (queued.status === 400) {
      throw new InpaintFailure('workflow rejected', `${this.name} /prompt: ${(await queued.text()).slice(0, 300)}`);
    }
    const { prompt_id: id } = await jsonAnswer<{ prompt_id?: string }>(queued, `${this.name} /prompt`);
    if (typeof id !== 'string') throw new InpaintFailure('bad answer', `${this.name} /prompt answered no prompt_id`);
    const output = await this.waitFor(id, request.signal);
    const view = new URLSearchParams({ filename: output.filename, subfolder: output.subfolder, type: output.type });
    const response = await fetchWithRetry(`${this.url}/view?${view}`, {}, this.http, request.signal);
    if (!response.ok) throw new InpaintFailure(`http ${response.status}`, `${this.name} /view ${output.filename} answered ${response.status}`);
    return checkedImage(Buffer.from(await response.arrayBuffer()), request.width, request.height, `${this.name} /view`);
  }

  /** Uploads a PNG under a name derived from its bytes (the same file is stored once); returns what LoadImage takes. */
  private async upload(png: Buffer, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    const name = `semibench_${createHash('sha256').update(png).digest('hex').slice(0, 20)}.png`;
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), name);
    form.append('type', 'input');
    form.append('overwrite', 'true');
    const response = await fetchWithRetry(`${this.url}/upload/image`, { method: 'POST', body: form }, this.http, signal);
    const answer = await jsonAnswer<{ name?: string; subfolder?: string }>(response, `${this.name} /upload/image`);
    if (typeof answer.name !== 'string') throw new InpaintFailure('bad answer', `${this.name} /upload/image answered no name`);
    return answer.subfolder ? `${answer.subfolder}/${answer.name}` : answer.name;
  }

  /** Polls /history until the prompt has an output image; the whole wait is bounded by the request timeout. */
  private async waitFor(id: string, signal?: AbortSignal): Promise<{ filename: string; subfolder: string; type: string }> {
    const deadline = Date.now() + this.http.timeoutMs;
    const pollMs = this.options.pollMs ?? 500;
    for (;;) {
      const response = await fetchWithRetry(`${this.url}/history/${encodeURIComponent(id)}`, {}, this.http, signal);
      const history = await jsonAnswer<Record<string, HistoryEntry>>(response, `${this.name} /history`);
      const entry = history[id];
      if (entry?.status?.status_str === 'error') {
        throw new InpaintFailure('workflow error', `${this.name} prompt ${id} failed: ${JSON.stringify(entry.status.messages ?? []).slice(0, 300)}`);
      }
      const images = Object.values(entry?.outputs ?? {}).flatMap((o) => o.images ?? []);
      const saved = images.find((i) => i.type === 'output') ?? images[0];
      if (saved) return saved;
      if (entry?.status?.completed) throw new InpaintFailure('bad answer', `${this.name} prompt ${id} finished without an image`);
      if (Date.now() + pollMs > deadline) {
        throw new InpaintFailure('timeout', `${this.name} prompt ${id} not done within ${this.http.timeoutMs} ms`, { retryable: true });
      }
      await sleep(pollMs, signal);
    }
  }
}
