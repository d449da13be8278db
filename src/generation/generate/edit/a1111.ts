/**
 * Prompt-based editing through AUTOMATIC1111 / Forge WebUI (started with --api): one `POST /sdapi/v1/img2img`
 * of the whole photo, without a mask, prompted with the edited caption (servers/a1111.ts holds the checkpoint
 * check and the call). The source caption is not sent: img2img starts from the photo itself.
 */
import type { EditBackend, EditRequest } from '../contracts.js';
import { A1111Client } from '../servers/a1111.js';
import { checkLatentSize } from '../servers/http.js';
import { DEFAULT_EDIT_CHECKPOINTS, EDIT_DEFAULTS, type EditBackendOptions } from './models.js';

export class A1111EditBackend implements EditBackend {
  readonly name = 'a1111';
  readonly models: readonly string[];
  private readonly client: A1111Client;

  constructor(url: string, options: EditBackendOptions = {}) {
    this.client = new A1111Client(url, this.name, { ...DEFAULT_EDIT_CHECKPOINTS, ...options.checkpoints }, options);
    this.models = this.client.models;
  }

  probe(models: readonly string[]): Promise<void> {
    return this.client.probe(models);
  }

  async edit(request: EditRequest): Promise<Buffer> {
    checkLatentSize(request.width, request.height, this.name);
    return this.client.img2img(request.model, {
      prompt: request.editedCaption,
      negative_prompt: '',
      init_images: [request.image.toString('base64')],
      resize_mode: 0,
      denoising_strength: EDIT_DEFAULTS.strength,
      seed: request.seed,
      steps: EDIT_DEFAULTS.steps,
      cfg_scale: EDIT_DEFAULTS.guidanceScale,
      sampler_name: 'DDIM',
      width: request.width,
      height: request.height,
    }, request.signal);
  }
}
