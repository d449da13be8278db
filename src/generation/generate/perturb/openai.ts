import { createHash } from 'node:crypto';
import { Xoshiro128 } from '../../../util/random.js';
import { UserError } from '../../../util/errors.js';
import type { LabelBackend, PerturbRequest, PerturbResult } from '../contracts.js';
import { DEFAULT_HTTP, fetchWithRetries, probeGet, RequestFailed, type HttpPolicy } from './http.js';
import { buildPrompt, type PromptSet } from './prompts.js';
import { perturbWithRetries } from './retry.js';

/** The environment variable an API key is read from; the key is sent as a bearer token and never written. */
export const API_KEY_ENV = 'SEMIBENCH_LLM_API_KEY';

/** One line of the side log: what was asked and what came back (the image as its hash, the key never). */
export type LlmLog = (entry: Record<string, unknown>) => void;

export interface OpenAiOptions {
  /** Server root (http://host:8000) or its /v1 URL. */
  url: string;
  model: string;
  prompts: PromptSet;
  apiKey?: string;
  http?: HttpPolicy;
  log?: LlmLog;
}

/** One chat request: the prompt, the photo and the sampling settings. */
export interface ChatRequest {
  text: string;
  image: Buffer;
  sampling: { temperature: number; top_p: number; max_tokens: number };
  seed: number;
  signal?: AbortSignal;
}

/**
 * Any OpenAI-compatible chat server (vLLM, llama.cpp server, LM Studio, Ollama's /v1, OpenAI): the probe
 * (`GET /v1/models`) and one `POST /v1/chat/completions` with a prompt and the photo as a base64 data URL, each
 * logged to the side log (the image as its hash, the key never). The label and caption backends ask through it.
 */
export class OpenAiChat {
  readonly base: string;
  readonly http: HttpPolicy;

  constructor(private readonly options: { url: string; model: string; apiKey?: string; http?: HttpPolicy; log?: LlmLog }) {
    this.base = options.url.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.http = options.http ?? DEFAULT_HTTP;
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    return headers;
  }

  /** GET /v1/models: the server answers and serves the model. */
  async probe(): Promise<void> {
    const url = `${this.base}/v1/models`;
    const response = await probeGet(url, 'The LLM server', this.headers(), Math.min(this.http.timeoutMs, 30_000));
    const body = (await response.json().catch(() => undefined)) as { data?: { id?: string }[] } | undefined;
    const served = (body?.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
    if (!served.includes(this.options.model)) {
      throw new UserError(`The LLM server at ${this.base} does not serve '${this.options.model}' (it serves: ${served.join(', ') || 'nothing'}); pass --llm-model NAME.`, 'E_BACKEND');
    }
  }

  /** The answer's text, trimmed; throws RequestFailed when the server fails or answers without a message. `context` goes into the side log line. */
  async ask(request: ChatRequest, context: Record<string, unknown>): Promise<string> {
    const type = mimeType(request.image);
    const image = `data:${type};base64,${request.image.toString('base64')}`;
    const imageNote = `<${type} base64, ${request.image.length} bytes, sha256 ${createHash('sha256').update(request.image).digest('hex')}>`;
    const body = {
      model: this.options.model,
      messages: [{ role: 'user', content: [
        { type: 'text', text: request.text },
        { type: 'image_url', image_url: { url: image } },
      ] }],
      temperature: request.sampling.temperature,
      top_p: request.sampling.top_p,
      max_tokens: request.sampling.max_tokens,
      seed: request.seed,
    };
    const logged = { ...body, messages: [{ ...body.messages[0], content: [body.messages[0].content[0], { type: 'image_url', image_url: { url: imageNote } }] }] };
    try {
      const response = await fetchWithRetries(`${this.base}/v1/chat/completions`, { method: 'POST', headers: this.headers(), body: JSON.stringify(body) }, this.http, request.signal);
      const json = (await response.json().catch(() => undefined)) as { choices?: { message?: { content?: unknown } }[] } | undefined;
      const content = json?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') throw new RequestFailed('bad response: no choices[0].message.content');
      this.options.log?.({ ...context, request: logged, response: json });
      return content.trim();
    } catch (error) {
      this.options.log?.({ ...context, request: logged, error: (error as Error).message });
      throw error;
    }
  }
}

/** The label backend on an OpenAI-compatible chat server, with the authors' prompts. */
export class OpenAiLabelBackend implements LabelBackend {
  readonly name = 'openai';
  readonly languageModel: string;
  private readonly chat: OpenAiChat;

  constructor(private readonly options: OpenAiOptions) {
    this.languageModel = options.model;
    this.chat = new OpenAiChat(options);
  }

  probe(): Promise<void> {
    return this.chat.probe();
  }

  async perturb(request: PerturbRequest): Promise<PerturbResult> {
    const { prompts } = this.options;
    const types = Object.keys(prompts.prompts);
    // mask_change_inference draws the prompt type at random per attempt; here from the item's seed.
    const rng = new Xoshiro128(request.seed);
    try {
      return await perturbWithRetries(prompts.retry, request.mask.maskName, async (attempt) => {
        const type = types[rng.nextBelow(types.length)];
        const text = buildPrompt(prompts, type, request.mask.maskName, request.magnitude);
        return this.chat.ask({ text, image: request.image, sampling: prompts.sampling, seed: request.seed, signal: request.signal }, { mask_id: request.mask.maskId, attempt, prompt_type: type });
      });
    } catch (error) {
      if (error instanceof RequestFailed) return { ok: false, reason: `LLM request failed: ${error.reason}`, attempts: 0 };
      throw error;
    }
  }
}

/** The data URL's type from the file's magic bytes (sources mix JPEG and PNG). */
export function mimeType(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === '\x89PNG') return 'image/png';
  if (bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return 'application/octet-stream';
}
