/**
 * AUTOMATIC1111 / Forge WebUI (started with --api): inpainting through `POST /sdapi/v1/img2img` with the prepared
 * mask (servers/a1111.ts holds the checkpoint check and the call).
 */
import type { InpaintBackend, InpaintRequest } from '../contracts.js';
import { A1111Client } from '../servers/a1111.js';
import { checkLatentSize, type ServerOptions } from '../servers/http.js';
import { DEFAULT_CHECKPOINTS, PIPELINE_DEFAULTS } from './models.js';

export interface A1111Options extends ServerOptions {
  steps?: number;
  cfgScale?: number;
  denoisingStrength?: number;
  samplerName?: string;
  /** 0 fill, 1 original, 2 latent noise, 3 latent nothing (what the masked area starts from). */
  inpaintingFill?: number;
}

export class A1111Backend implements InpaintBackend {
  readonly name = 'a1111';
  readonly models: readonly string[];
  private readonly client: A1111Client;

  constructor(url: string, private readonly options: A1111Options = {}) {
    this.client = new A1111Client(url, this.name, { ...DEFAULT_CHECKPOINTS, ...options.checkpoints }, options);
    this.models = this.client.models;
  }

  probe(models: readonly string[]): Promise<void> {
    return this.client.probe(models);
  }

  async inpaint(request: InpaintRequest): Promise<Buffer> {
    checkLatentSize(request.width, request.height, this.name);
    const o = this.options;
    return this.client.img2img(request.model, {
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
    }, request.signal);
  }
}
