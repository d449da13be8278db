/**
 * ComfyUI, as the inpainting and editing backends reach it: images are uploaded (`POST /upload/image`), a
 * workflow in API format is queued (`POST /prompt`), `GET /history/{prompt_id}` is polled until it is done and
 * the first saved image is fetched with `GET /view`. Workflows are JSON templates users can replace; strings
 * "{{name}}" in them are filled per request (a whole-string "{{seed}}", "{{width}}" or "{{height}}" becomes a
 * number). Each backend names the placeholders its template may use and those it must use.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError, errorMessage } from '../../../util/errors.js';
import { BackendFailure } from '../failure.js';
import { baseUrl, checkedImage, fetchWithRetry, jsonAnswer, probeJson, sleep, httpPolicy, type HttpOptions, type ServerOptions } from './http.js';

export type Workflow = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The placeholders a kind of workflow (inpainting, editing) may use, and those it cannot do without. */
export interface TemplateSpec {
  known: readonly string[];
  required: readonly string[];
}

const NUMERIC = ['seed', 'width', 'height'];

export interface ComfyUIOptions extends ServerOptions {
  /** How often to ask /history while a prompt runs. */
  pollMs?: number;
}

interface HistoryEntry {
  outputs?: Record<string, { images?: { filename: string; subfolder: string; type: string }[] }>;
  status?: { status_str?: string; completed?: boolean; messages?: unknown[] };
}

/** Reads and checks a workflow template: API format, the required placeholders, no unknown ones. */
export function loadWorkflow(path: string | URL, spec: TemplateSpec): Workflow {
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
  const unknown = [...used].filter((p) => !spec.known.includes(p));
  if (unknown.length) throw new UserError(`comfyui: unknown placeholder(s) ${unknown.map((p) => `{{${p}}}`).join(', ')} in ${String(path)} (known: ${spec.known.join(', ')})`);
  const missing = spec.required.filter((p) => !used.has(p));
  if (missing.length) throw new UserError(`comfyui: the workflow template ${String(path)} lacks ${missing.map((p) => `{{${p}}}`).join(', ')}`);
  return workflow;
}

/** The template with every "{{name}}" filled; whole-string numeric placeholders become numbers. */
export function fillWorkflow(workflow: Workflow, values: Readonly<Record<string, string | number>>): Workflow {
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = /^\{\{(\w+)\}\}$/.exec(v);
      if (whole && NUMERIC.includes(whole[1])) return Number(values[whole[1]]);
      return v.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => String(values[name]));
    }
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  return fill(workflow) as Workflow;
}

export class ComfyUIClient {
  readonly url: string;
  readonly http: HttpOptions;
  readonly workflow: Workflow;
  /** False when the template names its own model: then there is no checkpoint to check or fill in. */
  readonly usesCheckpoint: boolean;
  /** model value → the checkpoint file name found by probe. */
  private readonly files = new Map<string, string>();
  private readonly clientId = randomUUID();
  private readonly pollMs: number;

  constructor(
    url: string,
    private readonly name: string,
    private readonly checkpoints: Readonly<Record<string, string>>,
    template: { path: string | URL; spec: TemplateSpec },
    options: ComfyUIOptions,
  ) {
    this.url = baseUrl(url, name);
    this.http = httpPolicy(options);
    this.pollMs = options.pollMs ?? 500;
    this.workflow = loadWorkflow(template.path, template.spec);
    this.usesCheckpoint = JSON.stringify(this.workflow).includes('{{checkpoint}}');
  }

  get models(): string[] {
    return Object.keys(this.checkpoints);
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

  /** The checkpoint file for `model` ('' when the template names its own model). */
  checkpoint(model: string): string {
    const checkpoint = this.files.get(model) ?? this.checkpoints[model];
    if (this.usesCheckpoint && !checkpoint) throw new BackendFailure('unknown model', `${this.name} has no checkpoint for ${model}`);
    return checkpoint ?? '';
  }

  /** Uploads a PNG under a name derived from its bytes (the same file is stored once); returns what LoadImage takes. */
  async upload(png: Buffer, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    const name = `semibench_${createHash('sha256').update(png).digest('hex').slice(0, 20)}.png`;
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), name);
    form.append('type', 'input');
    form.append('overwrite', 'true');
    const response = await fetchWithRetry(`${this.url}/upload/image`, { method: 'POST', body: form }, this.http, signal);
    const answer = await jsonAnswer<{ name?: string; subfolder?: string }>(response, `${this.name} /upload/image`);
    if (typeof answer.name !== 'string') throw new BackendFailure('bad answer', `${this.name} /upload/image answered no name`);
    return answer.subfolder ? `${answer.subfolder}/${answer.name}` : answer.name;
  }

  /** Queues the template filled with `values`, waits for it, and returns its first saved image, checked, as PNG. */
  async run(values: Readonly<Record<string, string | number>>, width: number, height: number, signal?: AbortSignal): Promise<Buffer> {
    const prompt = fillWorkflow(this.workflow, values);
    const queued = await fetchWithRetry(`${this.url}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, client_id: this.clientId }),
    }, this.http, signal);
    if (queued.status === 400) {
      throw new BackendFailure('workflow rejected', `${this.name} /prompt: ${(await queued.text()).slice(0, 300)}`);
    }
    const { prompt_id: id } = await jsonAnswer<{ prompt_id?: string }>(queued, `${this.name} /prompt`);
    if (typeof id !== 'string') throw new BackendFailure('bad answer', `${this.name} /prompt answered no prompt_id`);
    const output = await this.waitFor(id, signal);
    const view = new URLSearchParams({ filename: output.filename, subfolder: output.subfolder, type: output.type });
    const response = await fetchWithRetry(`${this.url}/view?${view}`, {}, this.http, signal);
    if (!response.ok) throw new BackendFailure(`http ${response.status}`, `${this.name} /view ${output.filename} answered ${response.status}`);
    return checkedImage(Buffer.from(await response.arrayBuffer()), width, height, `${this.name} /view`);
  }

  /** Polls /history until the prompt has an output image; the whole wait is bounded by the request timeout. */
  private async waitFor(id: string, signal?: AbortSignal): Promise<{ filename: string; subfolder: string; type: string }> {
    const deadline = Date.now() + this.http.timeoutMs;
    for (;;) {
      const response = await fetchWithRetry(`${this.url}/history/${encodeURIComponent(id)}`, {}, this.http, signal);
      const history = await jsonAnswer<Record<string, HistoryEntry>>(response, `${this.name} /history`);
      const entry = history[id];
      if (entry?.status?.status_str === 'error') {
        throw new BackendFailure('workflow error', `${this.name} prompt ${id} failed: ${JSON.stringify(entry.status.messages ?? []).slice(0, 300)}`);
      }
      const images = Object.values(entry?.outputs ?? {}).flatMap((o) => o.images ?? []);
      const saved = images.find((i) => i.type === 'output') ?? images[0];
      if (saved) return saved;
      if (entry?.status?.completed) throw new BackendFailure('bad answer', `${this.name} prompt ${id} finished without an image`);
      if (Date.now() + this.pollMs > deadline) {
        throw new BackendFailure('timeout', `${this.name} prompt ${id} not done within ${this.http.timeoutMs} ms`, { retryable: true });
      }
      await sleep(this.pollMs, signal);
    }
  }
}
