/**
 * AUTOMATIC1111 / Forge WebUI (started with --api): inpainting through `POST /sdapi/v1/img2img` with the prepared
 * mask, the checkpoint chosen per request by `override_settings.sd_model_checkpoint`; the checkpoints are
 * checked once against `GET /sdapi/v1/sd-models`.
 */
import { UserError } from '../../../util/errors.js';
import type { InpaintBackend, InpaintRequest } from '../contracts.js';
import { InpaintFailure } from './failure.js';
import { DEFAULT_HTTP, baseUrl, checkedImage, fetchWithRetry, jsonAnswer, probeJson, type HttpOptions } from './http.js';
import { DEFAULT_CHECKPOINTS, PIPELINE_DEFAULTS } from './models.js';

export interface A1111Options extends Partial<HttpOptions> {
  /** model value → checkpoint (its title, name or file name without extension, as sd-models lists it). */
  checkpoints?: Record<string, string>;
  steps?: number;
  cfgScale?: number;
  denoisingStrength?: number;
  samplerName?: string;
  /** 0 fill, 1 original, 2 latent noise, 3 latent nothing (what the masked area starts from). */
  inpaintingFill?: number;
}

/** One entry of `GET /sdapi/v1/sd-models`. */
interface SdModelItem {
  title: string;
  model_name: string;
  filename: string;
  hash?: string | null;
}

/** `GET /sdapi/v1/sd-models` title "name.safetensors [hash]" → also matched without the hash and extension. */
function checkpointNames(item: SdModelItem): string[] {
  const file = item.filename.split(/[\\/]/).pop() ?? '';
  const stem = file.replace(/\.(safetensors|ckpt|pt|bin)$/, '');
  return [item.title, item.title.replace(/\s*\[[0-9a-f]+\]$/, ''), item.model_name, file, stem];
}

export class A1111Backend implements InpaintBackend {
  readonly name = 'a1111';
  readonly models: readonly string[];
  private readonly url: string;
  private readonly http: HttpOptions;
  private readonly checkpoints: Record<string, string>;
  /** model value → the sd-models title found by probe (what override_settings is given). */
  private readonly titles = new Map<string, string>();

  constructor(url: string, private readonly options: A1111Options = {}) {
    this.url = baseUrl(url, this.name);
    this.http = { ...DEFAULT_HTTP, ...options };
    this.checkpoints = { ...DEFAULT_CHECKPOINTS, ...options.checkpoints };
    this.models = Object.keys(this.checkpoints);
  }

  async probe(models: readonly string[]): Promise<void> {
    const url = `${this.url}/sdapi/v1/sd-models`;
    const items = await probeJson<SdModelItem[]>(url, this.name, Math.min(this.http.timeoutMs, 30_000));
    if (!Array.isArray(items)) throw new UserError(`${this.name}: ${url} did not answer a list of models`);
    for (const model of models) {
      const wanted = this.checkpoints[model];
      if (!wanted) throw new UserError(`${this.name}: no checkpoint is mapped to the model '${model}' (mapped: ${this.models.join(', ')})`);
      const found = items.find((item) => checkpointNames(item).includes(wanted));
      if (!found) {
        throw new UserError(`${this.name}: the server has no checkpoint '${wanted}' for ${model} (it has: ${items.map((i) => i.model_name).join(', ') || 'none'})`);
      }
      this.titles.set(model, found.title);
    }
  }

  async inpaint(request: InpaintRequest): Promise<Buffer> {
    const checkpoint = this.titles.get(request.model) ?? this.checkpoints[request.model];
    if (!checkpoint) throw new InpaintFailure('unknown model', `${this.name} has no checkpoint for ${request.model}`);
    const o = this.options;
    const body = {
      prompt: request.prompt,
      negative_prompt: '',
      init_images: [request.image.toString('base64')],
      mask: request.mask.toString('base64'),
      mask_blur: 0, // the mask comes blurred by the masks stage, as the authors blurred it
      inpainting_fill: o.inpaintingFill ?? 1,
      inpaint_full_res: false, // the whole picture, as diffusers' pipeline sees it
      inpainting_mask_invert: 0,
      resize_mode: 0,
      denoising_strength: o.denoisingStrength ?? PIPELINE_DEFAULTS.strength,
      seed: request.seed,
      steps: o.steps ?? PIPELINE_DEFAULTS.steps,
      cfg_scale: o.cfgScale ?? PIPELINE_DEFAULTS.guidanceScale,
      sampler_name: o.samplerName ?? 'DDIM',
      width: request.width,
      height: request.height,
      batch_size: 1,
      n_iter: 1,
      override_settings: { sd_model_checkpoint: checkpoint },
      override_settings_restore_afterwards: false,
      send_images: true,
      save_images: false,
    };
    const url = `${this.url}/sdapi/v1/img2img`;
    const response = await fetchWithRetry(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }, this.http, request.signal);
    const answer = await jsonAnswer<{ images?: unknown }>(response, `${this.name} img2img`);
    const first = Array.isArray(answer.images) ? answer.images[0] : undefined;
    if (typeof first !== 'string') throw new InpaintFailure('bad answer', `${this.name} img2img answered no images`);
    // The API answers plain base64; some builds prefix a data URL.
    const bytes = Buffer.from(first.replace(/^data:image\/\w+;base64,/, ''), 'base64');
    return checkedImage(bytes, request.width, request.height, `${this.name} img2img`);
  }
}
