/**
 * Inpainting through the "diffusers server" (servers/diffusers.ts), served by tools/diffusers_server.py with the
 * authors' exact pipelines (AutoPipelineForInpainting, fp16):
 *
 *   POST /inpaint   {"model", "prompt", "seed", "width", "height", "image": base64 PNG, "mask": base64 PNG}
 *                 → 200 image/png, the inpainted image of width x height
 *
 * The mask is the prepared one (masks stage); the server must not grow or blur it again.
 */
import type { InpaintBackend, InpaintRequest } from '../contracts.js';
import { DiffusersClient } from '../servers/diffusers.js';
import { checkLatentSize, type HttpOptions } from '../servers/http.js';
import { AUTHORS_MODELS } from './models.js';

export class DiffusersBackend implements InpaintBackend {
  readonly name = 'diffusers';
  readonly models = Object.keys(AUTHORS_MODELS);
  private readonly client: DiffusersClient;

  constructor(url: string, options: Partial<HttpOptions> = {}) {
    this.client = new DiffusersClient(url, this.name, options);
  }

  async probe(models: readonly string[]): Promise<void> {
    await this.client.probe('models', models);
  }

  async inpaint(request: InpaintRequest): Promise<Buffer> {
    checkLatentSize(request.width, request.height, this.name);
    return this.client.post('/inpaint', {
      model: request.model,
      prompt: request.prompt,
      seed: request.seed,
      width: request.width,
      height: request.height,
      image: request.image.toString('base64'),
      mask: request.mask.toString('base64'),
    }, request.width, request.height, request.signal);
  }
}
