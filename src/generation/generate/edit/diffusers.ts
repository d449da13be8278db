/**
 * Prompt-based editing through the "diffusers server" (servers/diffusers.ts; tools/diffusers_server.py runs
 * StableDiffusionImg2ImgPipeline with the authors' LANCE weights and DDIM scheduler):
 *
 *   POST /edit  {"model", "source_caption", "edited_caption", "seed", "width", "height", "image": base64 PNG,
 *                "strength", "steps", "guidance_scale"}
 *             → 200 image/png, the edited image of width x height
 *
 * The settings travel with each request so that every edit backend follows EDIT_DEFAULTS from one place.
 */
import type { EditBackend, EditRequest } from '../contracts.js';
import { DiffusersClient } from '../servers/diffusers.js';
import { EDIT_DEFAULTS, EDIT_MODELS, type EditBackendOptions } from './models.js';

export class DiffusersEditBackend implements EditBackend {
  readonly name = 'diffusers';
  readonly models = Object.keys(EDIT_MODELS);
  private readonly client: DiffusersClient;

  /** `checkpoints` and `workflow` do not apply: the server loads the authors' repositories itself. */
  constructor(url: string, options: EditBackendOptions = {}) {
    this.client = new DiffusersClient(url, this.name, options);
  }

  probe(models: readonly string[]): Promise<void> {
    return this.client.probe('edit_models', models);
  }

  edit(request: EditRequest): Promise<Buffer> {
    return this.client.post('/edit', {
      model: request.model,
      source_caption: request.sourceCaption,
      edited_caption: request.editedCaption,
      seed: request.seed,
      width: request.width,
      height: request.height,
      image: request.image.toString('base64'),
      strength: EDIT_DEFAULTS.strength,
      steps: EDIT_DEFAULTS.steps,
      guidance_scale: EDIT_DEFAULTS.guidanceScale,
    }, request.width, request.height, request.signal);
  }
}
