/**
 * Prompt-based editing through ComfyUI: uploads the photo, queues the workflow template filled with the edited
 * caption and fetches its output (servers/comfyui.ts holds the API calls and the template rules). The default
 * template (comfyui-edit.json) is an img2img edit with any checkpoint: the photo VAE-encoded, then KSampler with
 * the edited caption at EDIT_DEFAULTS (50 DDIM steps, CFG 7.5, denoise 0.75). `{{source_prompt}}` gives a
 * replacement template the photo's own caption (for inversion-based workflows).
 */
import type { EditBackend, EditRequest } from '../contracts.js';
import { checkLatentSize } from '../servers/http.js';
import { ComfyUIClient, type ComfyUIOptions, type TemplateSpec } from '../servers/comfyui.js';
import { DEFAULT_EDIT_CHECKPOINTS } from './models.js';

export const DEFAULT_COMFYUI_EDIT_WORKFLOW = new URL('./comfyui-edit.json', import.meta.url);
export const EDIT_TEMPLATE: TemplateSpec = {
  known: ['image', 'prompt', 'source_prompt', 'negative_prompt', 'seed', 'checkpoint', 'width', 'height'],
  required: ['image', 'prompt', 'seed'],
};

export class ComfyUIEditBackend implements EditBackend {
  readonly name = 'comfyui';
  readonly models: readonly string[];
  private readonly client: ComfyUIClient;

  constructor(url: string, options: ComfyUIOptions = {}) {
    const template = { path: options.workflow ?? DEFAULT_COMFYUI_EDIT_WORKFLOW, spec: EDIT_TEMPLATE };
    this.client = new ComfyUIClient(url, this.name, { ...DEFAULT_EDIT_CHECKPOINTS, ...options.checkpoints }, template, options);
    this.models = this.client.models;
  }

  probe(models: readonly string[]): Promise<void> {
    return this.client.probe(models);
  }

  async edit(request: EditRequest): Promise<Buffer> {
    checkLatentSize(request.width, request.height, this.name);
    const checkpoint = this.client.checkpoint(request.model);
    const image = await this.client.upload(request.image, request.signal);
    return this.client.run({
      image, prompt: request.editedCaption, source_prompt: request.sourceCaption, negative_prompt: '',
      seed: request.seed, checkpoint, width: request.width, height: request.height,
    }, request.width, request.height, request.signal);
  }
}
