/**
 * AUTOMATIC1111 / Forge WebUI (started with --api), as the inpainting and editing backends reach it: the
 * checkpoints are checked once against `GET /sdapi/v1/sd-models`, and each image is one `POST /sdapi/v1/img2img`
 * with the checkpoint chosen per request by `override_settings.sd_model_checkpoint`.
 */
import { UserError } from '../../../util/errors.js';
import { BackendFailure } from '../failure.js';
import { baseUrl, checkedImage, fetchWithRetry, jsonAnswer, probeJson, httpPolicy, type HttpOptions } from './http.js';

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

/** The img2img fields a backend chooses; the client adds the checkpoint and the answer settings. */
export type Img2ImgFields = Record<string, unknown> & { width: number; height: number };

export class A1111Client {
  readonly url: string;
  readonly http: HttpOptions;
  /** model value → the sd-models title found by probe (what override_settings is given). */
  private readonly titles = new Map<string, string>();

  /** `name` is the backend id used in messages; `checkpoints` maps model value → checkpoint. */
  constructor(url: string, private readonly name: string, private readonly checkpoints: Readonly<Record<string, string>>, http: Partial<HttpOptions>) {
    this.url = baseUrl(url, name);
    this.http = httpPolicy(http);
  }

  get models(): string[] {
    return Object.keys(this.checkpoints);
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

  /** One img2img call with `model`'s checkpoint; the first image of the answer, checked, as PNG. */
  async img2img(model: string, fields: Img2ImgFields, signal?: AbortSignal): Promise<Buffer> {
    const checkpoint = this.titles.get(model) ?? this.checkpoints[model];
    if (!checkpoint) throw new BackendFailure('unknown model', `${this.name} has no checkpoint for ${model}`);
    const body = {
      ...fields,
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
    }, this.http, signal);
    const answer = await jsonAnswer<{ images?: unknown }>(response, `${this.name} img2img`);
    const first = Array.isArray(answer.images) ? answer.images[0] : undefined;
    if (typeof first !== 'string') throw new BackendFailure('bad answer', `${this.name} img2img answered no images`);
    // The API answers plain base64; some builds prefix a data URL.
    const bytes = Buffer.from(first.replace(/^data:image\/\w+;base64,/, ''), 'base64');
    return checkedImage(bytes, fields.width, fields.height, `${this.name} img2img`);
  }
}
