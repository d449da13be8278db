/**
 * The prompt-based editing models of Semi-Truths and the settings every server edit backend asks for.
 */
import { DEFAULT_CHECKPOINTS } from '../inpaint/models.js';
import type { ServerOptions } from '../servers/http.js';

/**
 * The release's `model` value → the Hugging Face repository LANCE's `ImageEditor` loads with
 * `StableDiffusionPipeline.from_pretrained(repo, scheduler=DDIMScheduler(...))` for its `ldm_type`
 * (SDv4, SDv5, OJ: `diff_models_LANCE` in generate_semi_truths.py; SemiTruths/image_augmentation/LANCE/lance/edit_images.py).
 * The release names them as the inpainting models are named (prompt-based-editing/LlaVA-Hermes/{DS}/{Model}/).
 */
export const EDIT_MODELS: Readonly<Record<string, string>> = {
  StableDiffusion_v4: 'CompVis/stable-diffusion-v1-4',
  StableDiffusion_v5: 'runwayml/stable-diffusion-v1-5',
  OpenJourney: 'prompthero/openjourney',
};

/** The same weights as WebUI single-file checkpoints: the inpainting backends' names for these three models. */
export const DEFAULT_EDIT_CHECKPOINTS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.keys(EDIT_MODELS).map((model) => [model, DEFAULT_CHECKPOINTS[model]]),
);

/**
 * What every server edit backend asks for: an img2img (SDEdit) rewrite of the photo from the edited caption (the
 * diffusers backend's p2p mode sends them too; it uses steps and guidance, and LANCE has no strength).
 * Steps and guidance are prompt-to-prompt's (50 DDIM steps, guidance 7.5), which LANCE says it keeps
 * ("default hyperparams from Prompt-to-prompt"). The strength is A1111's img2img default (0.75): LANCE has none
 * (it inverts the photo exactly and edits cross-attention), and 0.75 keeps the photo's layout while the
 * caption's change shows. The bundled ComfyUI template hard-codes the same numbers (a test checks it).
 */
export const EDIT_DEFAULTS = { steps: 50, guidanceScale: 7.5, strength: 0.75 } as const;

/** The --edit backends createEditBackend (index.ts) builds. */
export const EDIT_SPECS = 'offline | a1111:URL | comfyui:URL | diffusers:URL';

/**
 * What the diffusers server's /edit runs (tools/diffusers_server.py): for LANCE's models 'p2p' is the authors'
 * algorithm (LANCE's null-text inversion + prompt-to-prompt attention control, with LANCE's settings, which live
 * in tools/lance_settings.py) and 'img2img' the SDEdit rewrite with EDIT_DEFAULTS that the WebUI backends run;
 * 'instruct-pix2pix' is not the authors': the one mode of INSTRUCT_PIX2PIX_MODELS.
 */
export const DIFFUSERS_EDIT_MODES = ['p2p', 'img2img', 'instruct-pix2pix'] as const;
export type DiffusersEditMode = (typeof DIFFUSERS_EDIT_MODES)[number];

/**
 * The model value the diffusers server gives timbrooks/instruct-pix2pix (StableDiffusionInstructPix2PixPipeline,
 * prompted with an instruction the server builds from the two captions); the only model of that mode.
 */
export const INSTRUCT_PIX2PIX_MODELS: readonly string[] = ['InstructPix2Pix'];

/**
 * What the edit backends are built with (the factory passes it through): HTTP policy, checkpoints, workflow,
 * and for the diffusers backend the edit mode (default 'p2p').
 */
export type EditBackendOptions = ServerOptions & { editMode?: DiffusersEditMode };
