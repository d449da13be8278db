/**
 * The contracts between the stages of `semibench generate` (source set → perturb → masks → inpaint → measure →
 * assemble). Each stage lives in its own module and talks to the others only through these types, so a backend
 * (an LLM server, an inpainting server, an offline algorithm) can be swapped without touching the pipeline.
 */

/** The semantic change a label perturbation is asked for (Semi-Truths' `sem_magnitude`). */
export type Magnitude = 'small' | 'medium' | 'large';
export const MAGNITUDES: readonly Magnitude[] = ['small', 'medium', 'large'];

/** One row of the source set: a real photo and one of its object masks (the authors' data/input/metadata.csv). */
export interface SourceMask {
  imageId: string;
  /** Absolute path of the photo, confined to the input folder. */
  imagePath: string;
  /** Path relative to the input folder, as written in metadata.csv. */
  imageRelPath: string;
  dataset: string;
  /** The image's entity list as written in the source CSV (a Python list literal), kept verbatim. */
  entities: string;
  className: string;
  maskId: string;
  maskPath: string;
  maskRelPath: string;
  /** The object label the mask covers (the authors' `mask_name`). */
  maskName: string;
  /** Area ratio as released (`ratio` column), verbatim; '' when the source had none. */
  ratio: string;
}

/** What a label backend is asked: change this object's label by this much. */
export interface PerturbRequest {
  mask: SourceMask;
  magnitude: Magnitude;
  /** Per-item seed derived from the run seed and the mask id (deterministic backends must use only this). */
  seed: number;
  /** The photo's bytes, for vision-language backends. */
  image: Buffer;
  signal?: AbortSignal;
}

/** A perturbed label, or why there is none. Invalid answers after all retries are `ok: false`. */
export type PerturbResult =
  | { ok: true; label: string; attempts: number; targetQualFlag: boolean }
  | { ok: false; reason: string; attempts: number };

export interface LabelBackend {
  /** Short backend id (e.g. 'openai', 'offline'). */
  readonly name: string;
  /** The `language_model` value written to the eval set (the served model name, or what the offline one is). */
  readonly languageModel: string;
  /** Called once before any work: an unreachable server or unknown model is a UserError with one line. */
  probe(): Promise<void>;
  perturb(request: PerturbRequest): Promise<PerturbResult>;
}

/** What an inpainting backend is asked. Images travel as PNG bytes; the mask is already prepared (masks stage). */
export interface InpaintRequest {
  image: Buffer;
  mask: Buffer;
  prompt: string;
  seed: number;
  width: number;
  height: number;
  /** The model name the backend should use (e.g. 'StableDiffusion_v5'), one of `models`. */
  model: string;
  signal?: AbortSignal;
}

export interface InpaintBackend {
  /** Short backend id (e.g. 'a1111', 'comfyui', 'diffusers', 'classical'). */
  readonly name: string;
  /** The `model` values this backend can produce. */
  readonly models: readonly string[];
  /** Called once before any work: an unreachable server or a missing model is a UserError with one line. */
  probe(models: readonly string[]): Promise<void>;
  /** PNG bytes of the edited image, same size as the request; throws with the reason on a bad answer. */
  inpaint(request: InpaintRequest): Promise<Buffer>;
}

/**
 * What a prompt-based editing backend (Semi-Truths' `method = p2p`) is asked: rewrite the whole photo from its
 * caption to the edited caption. Images travel as PNG bytes; the answer has the request's size.
 */
export interface EditRequest {
  image: Buffer;
  /** The photo's caption (`original_caption`). */
  sourceCaption: string;
  /** The perturbed caption (`perturbed_caption`) the edit must follow. */
  editedCaption: string;
  seed: number;
  width: number;
  height: number;
  /** The model name the backend should use (the `model` value written to the eval set), one of `models`. */
  model: string;
  signal?: AbortSignal;
}

export interface EditBackend {
  /** Short backend id (e.g. 'offline', 'a1111', 'comfyui', 'diffusers'). */
  readonly name: string;
  /** The `model` values this backend can produce. */
  readonly models: readonly string[];
  /** Called once before any work: an unreachable server or a missing model is a UserError with one line. */
  probe(models: readonly string[]): Promise<void>;
  /** PNG bytes of the edited image, same size as the request; throws with the reason on a bad answer. */
  edit(request: EditRequest): Promise<Buffer>;
}

/** The editing methods of Semi-Truths (the `method` column): mask-guided inpainting and prompt-based editing. */
export type Method = 'inpainting' | 'p2p';
export const METHODS: readonly Method[] = ['inpainting', 'p2p'];

/** The stages of `semibench generate`, in the order they run (pipeline.ts). */
export const STAGES = ['perturb', 'inpaint', 'caption', 'edit', 'assemble', 'measure'] as const;
export type Stage = (typeof STAGES)[number];

/** One source photo with its object masks (its rows in the source set, in source order; the first names the photo). */
export interface SourcePhoto {
  imageId: string;
  masks: readonly SourceMask[];
}

/** What a caption backend is asked: describe this photo. */
export interface CaptionRequest {
  photo: SourcePhoto;
  /** The photo's bytes, for vision-language backends. */
  image: Buffer;
  /** Per-photo seed derived from the run seed and the image id. */
  seed: number;
  signal?: AbortSignal;
}

/** What a caption backend is asked next: change this caption by this much (the edit a p2p model must follow). */
export interface CaptionPerturbRequest extends CaptionRequest {
  caption: string;
  magnitude: Magnitude;
}

/** A caption, or why there is none. */
export type CaptionResult = { ok: true; caption: string; attempts: number } | { ok: false; reason: string; attempts: number };

/**
 * Captions and caption perturbation for prompt-based editing: `original_caption` (the authors used BLIP) and
 * `perturbed_caption` (their LANCE caption editor), behind one backend like the label one. A perturbed caption
 * comes back as a PerturbResult whose `label` is the edited caption.
 */
export interface CaptionBackend {
  /** Short backend id (e.g. 'openai', 'offline'). */
  readonly name: string;
  /** What wrote `original_caption` (the served model name, or what the offline one is). */
  readonly captionModel: string;
  /** The `language_model` value of p2p rows: what wrote `perturbed_caption`. */
  readonly languageModel: string;
  /** Called once before any work: an unreachable server or unknown model is a UserError with one line. */
  probe(): Promise<void>;
  caption(request: CaptionRequest): Promise<CaptionResult>;
  perturbCaption(request: CaptionPerturbRequest): Promise<PerturbResult>;
}
