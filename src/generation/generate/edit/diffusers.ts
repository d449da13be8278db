/**
 * Prompt-based editing through the "diffusers server" (servers/diffusers.ts; tools/diffusers_server.py loads the
 * authors' LANCE weights with LANCE's DDIM scheduler):
 *
 *   GET  /health → {"edit_models": [...], "edit_modes": {model: ["p2p", "img2img"], "InstructPix2Pix": ["instruct-pix2pix"]}}
 *   POST /edit   {"model", "mode", "source_caption", "edited_caption", "seed", "width", "height",
 *                 "image": base64 PNG, "strength", "steps", "guidance_scale"}
 *              → 200 image/png, the edited image of width x height
 *
 * `mode` 'p2p' (the default) is what the authors ran: null-text inversion of the photo under its caption, then
 * prompt-to-prompt sampling of [caption, edited caption] with LANCE's settings (the server holds them,
 * tools/lance_settings.py; seed and strength do not apply). 'img2img' is the WebUI backends' SDEdit rewrite.
 * 'instruct-pix2pix' is not the authors' (model InstructPix2Pix only; the server turns the captions into an
 * instruction; strength does not apply).
 * The settings travel with each request so that every edit backend follows EDIT_DEFAULTS from one place. The
 * backend's name carries the mode ('diffusers-p2p', 'diffusers-img2img', 'diffusers-instruct-pix2pix'):
 * generation.json records it as edit_backend, so a resumed run never mixes algorithms under one model value.
 */
import { UserError } from '../../../util/errors.js';
import type { EditBackend, EditRequest } from '../contracts.js';
import { DiffusersClient } from '../servers/diffusers.js';
import { checkLatentSize } from '../servers/http.js';
import { DIFFUSERS_EDIT_MODES, EDIT_DEFAULTS, EDIT_MODELS, INSTRUCT_PIX2PIX_MODELS, type DiffusersEditMode, type EditBackendOptions } from './models.js';

export class DiffusersEditBackend implements EditBackend {
  readonly name: string;
  readonly models: readonly string[];
  readonly mode: DiffusersEditMode;
  private readonly client: DiffusersClient;

  /** `checkpoints` and `workflow` do not apply: the server loads the authors' repositories itself. */
  constructor(url: string, options: EditBackendOptions = {}) {
    this.mode = options.editMode ?? 'p2p';
    if (!DIFFUSERS_EDIT_MODES.includes(this.mode)) {
      throw new UserError(`diffusers: unknown edit mode '${String(this.mode)}' (expected ${DIFFUSERS_EDIT_MODES.join(', ')})`);
    }
    this.models = this.mode === 'instruct-pix2pix' ? INSTRUCT_PIX2PIX_MODELS : Object.keys(EDIT_MODELS);
    this.name = `diffusers-${this.mode}`;
    this.client = new DiffusersClient(url, this.name, options);
  }

  /** The server must serve the models, and say that it runs this mode for each (an older server ran img2img only). */
  async probe(models: readonly string[]): Promise<void> {
    const health = await this.client.probe('edit_models', models);
    const modes = health.edit_modes as Record<string, unknown> | undefined;
    if (modes === undefined && this.mode === 'img2img') return;
    const lacking = models.filter((m) => !(Array.isArray(modes?.[m]) && (modes[m] as unknown[]).includes(this.mode)));
    if (lacking.length) {
      throw new UserError(`${this.name}: the server does not run ${this.mode} edits for ${lacking.join(', ')} (its /health edit_modes: ${JSON.stringify(modes ?? null)}); an older tools/diffusers_server.py runs img2img only: update it, or ask for --edit-mode img2img`);
    }
  }

  async edit(request: EditRequest): Promise<Buffer> {
    checkLatentSize(request.width, request.height, this.name);
    return this.client.post('/edit', {
      model: request.model,
      mode: this.mode,
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
