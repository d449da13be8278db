/**
 * ComfyUI inpainting: uploads the image and the prepared mask, queues the workflow template and fetches its
 * output (servers/comfyui.ts holds the API calls and the template rules). The default template
 * (comfyui-inpaint.json) is plain latent-mask inpainting with any checkpoint: 50 steps, CFG 7.5, denoise 1.
 */
import type { InpaintBackend, InpaintRequest } from '../contracts.js';
import { ComfyUIClient, loadWorkflow as loadTemplate, type ComfyUIOptions, type TemplateSpec, type Workflow } from '../servers/comfyui.js';
import { checkLatentSize } from '../servers/http.js';
import { DEFAULT_CHECKPOINTS } from './models.js';

export { fillWorkflow } from '../servers/comfyui.js';
export type { ComfyUIOptions } from '../servers/comfyui.js';

export const DEFAULT_COMFYUI_WORKFLOW = new URL('./comfyui-inpaint.json', import.meta.url);
export const INPAINT_TEMPLATE: TemplateSpec = {
  known: ['image', 'mask', 'prompt', 'negative_prompt', 'seed', 'checkpoint', 'width', 'height'],
  required: ['image', 'mask', 'prompt', 'seed'],
};

/** Reads and checks an inpainting workflow template. */
export function loadWorkflow(path: string | URL): Workflow {
  return loadTemplate(path, INPAINT_TEMPLATE);
}

export class ComfyUIBackend implements InpaintBackend {
  readonly name = 'comfyui';
  readonly models: readonly string[];
  private readonly client: ComfyUIClient;

  constructor(url: string, options: ComfyUIOptions = {}) {
    const template = { path: options.workflow ?? DEFAULT_COMFYUI_WORKFLOW, spec: INPAINT_TEMPLATE };
    this.client = new ComfyUIClient(url, this.name, { ...DEFAULT_CHECKPOINTS, ...options.checkpoints }, template, options);
    this.models = this.client.models;
  }

  probe(models: readonly string[]): Promise<void> {
    return this.client.probe(models);
  }

  async inpaint(request: InpaintRequest): Promise<Buffer> {
    checkLatentSize(request.width, request.height, this.name);
    const checkpoint = this.client.checkpoint(request.model);
    const image = await this.client.upload(request.image, request.signal);
    const mask = await this.client.upload(request.mask, request.signal);
    return this.client.run({
      image, mask, prompt: request.prompt, negative_prompt: '', seed: request.seed,
      checkpoint, width: request.width, height: request.height,
    }, request.width, request.height, request.signal);
  }
}
