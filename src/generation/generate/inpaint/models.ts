/**
 * The inpainting models of Semi-Truths: the `model` value the release writes → the Hugging Face repository the
 * authors loaded with `AutoPipelineForInpainting.from_pretrained(path, torch_dtype=torch.float16)`
 * (`diff_model_dict` in SemiTruths/image_augmentation/inpainting/llava_guided_inpainting.py).
 */
export const AUTHORS_MODELS: Readonly<Record<string, string>> = {
  StableDiffusion_v4: 'CompVis/stable-diffusion-v1-4',
  StableDiffusion_v5: 'runwayml/stable-diffusion-v1-5',
  StableDiffusion_XL: 'diffusers/stable-diffusion-xl-1.0-inpainting-0.1',
  Kandinsky_2_2: 'kandinsky-community/kandinsky-2-2-decoder-inpaint',
  OpenJourney: 'prompthero/openjourney',
};

/**
 * Single-file checkpoints of the same weights, as WebUIs (A1111/Forge, ComfyUI) list them: the file name
 * without extension the model's repository publishes. Kandinsky 2.2 has no such checkpoint. Users override the
 * map when their files are named otherwise.
 */
export const DEFAULT_CHECKPOINTS: Readonly<Record<string, string>> = {
  StableDiffusion_v4: 'sd-v1-4',
  StableDiffusion_v5: 'v1-5-pruned-emaonly',
  StableDiffusion_XL: 'sd_xl_1.0_inpainting_0.1',
  OpenJourney: 'mdjrny-v4',
};

/**
 * The authors called the pipelines with their defaults (no seed, no steps): diffusers' Stable Diffusion
 * inpainting runs 50 steps at guidance 7.5 and strength 1.0. WebUI backends are asked for the same.
 */
export const PIPELINE_DEFAULTS = { steps: 50, guidanceScale: 7.5, strength: 1.0 } as const;
