#!/usr/bin/env python3
"""A small HTTP server that inpaints and edits with the Semi-Truths authors' models, for
`semibench generate --inpaint diffusers:http://HOST:PORT` (and the prompt-based editing backend `diffusers:URL`)
on a machine with a GPU.

Inpainting (/inpaint) is the authors' exact pipeline. Their code
(SemiTruths/image_augmentation/inpainting/llava_guided_inpainting.py) loads each model with

    AutoPipelineForInpainting.from_pretrained(path, torch_dtype=torch.float16)

and calls `pipe(prompt=label, image=photo, mask_image=prepared_mask)` with the pipeline's defaults. This server
does the same, with two additions a benchmark needs: a seeded torch.Generator (the authors passed none, so their
images cannot be regenerated bit for bit) and the request's width/height (for 512x512 inputs this equals the
SD 1.x default; the SDXL pipeline would otherwise answer 1024x1024). The mask arrives prepared by semibench
(MaxFilter 9 twice, ModeFilter 10, GaussianBlur 16, exactly as `inpaint_img`), so it is used as it is.

Prompt-based editing (/edit) runs one of three modes, chosen by the request's `mode`:

- `p2p` (the default for StableDiffusion_v4, StableDiffusion_v5, OpenJourney): the authors' algorithm. LANCE
  (SemiTruths/image_augmentation/LANCE/lance/edit_images.py, run by prompt_based_image_aug.py) loads
  `StableDiffusionPipeline.from_pretrained(repo, scheduler=DDIMScheduler(beta_start=0.00085, beta_end=0.012,
  beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1))` in float32,
  null-text-inverts the photo under its caption (DDIM inversion, 10 Adam steps per DDIM step) and samples
  [caption, edited caption] from the inverted noise with prompt-to-prompt attention control (AttentionRefine,
  cross-attention replaced for 80 % of the 50 steps, self-attention for `self_replace_steps`). This server does
  the same with tools/prompt_to_prompt.py (the model-independent parts, unit-tested without weights) and
  diffusers attention processors; `seed` is not used (inversion and DDIM sampling are deterministic).
- `img2img`: an SDEdit rewrite of the photo from the edited caption with the same weights and scheduler
  (StableDiffusionImg2ImgPipeline over the same components, `strength`, seeded); `source_caption` is unused.
- `instruct-pix2pix` (the default and only mode for the model value InstructPix2Pix =
  timbrooks/instruct-pix2pix, float16): StableDiffusionInstructPix2PixPipeline with an instruction built from the
  two captions (prompt_to_prompt.instruction: "replace the horse with zebra"), image guidance 1.5, seeded.
The contract (src/generation/generate/servers/diffusers.ts, inpaint/diffusers.ts, edit/diffusers.ts):

    GET  /health   -> {"models": [...], "edit_models": [...], "edit_modes": [...], "device": ..., "dtype": ...}
    POST /inpaint  {"model", "prompt", "seed", "width", "height", "image": base64 PNG, "mask": base64 PNG}
                   -> 200 image/png | 4xx/5xx {"error": "..."}
    POST /edit     {"model", "source_caption", "edited_caption", "seed", "width", "height", "image": base64 PNG,
                    optional: "mode" (p2p | img2img | instruct-pix2pix; default by model), "steps" (50),
                    "guidance_scale" (7.5), "strength" (0.75, img2img), "image_guidance_scale" (1.5,
                    instruct-pix2pix), "cross_replace_steps", "self_replace_steps", "edit_word_weight",
                    "local_blend", "controller" (refine | auto), "null_text_steps" (p2p; LANCE's by default)}
                   -> 200 image/png with header X-Edit-Mode | 4xx/5xx {"error": "..."}

Usage (Python 3.10+, a CUDA GPU; weights download from the Hugging Face Hub on first use, or set HF_HOME to a
pre-filled cache and HF_HUB_OFFLINE=1):

    pip install "diffusers>=0.25" transformers accelerate torch pillow numpy
    python tools/diffusers_server.py --port 8000 [--models StableDiffusion_v5,StableDiffusion_XL] [--keep-loaded]

`--dry-run` checks every request as fully as a real run, loads no model and answers the input image: it needs
only Python and Pillow, and is how semibench's tests check that the client and this server agree.

`--models` names the model values to serve; /edit serves those of them that LANCE used (StableDiffusion_v4,
StableDiffusion_v5, OpenJourney) and InstructPix2Pix when named (it is not served by default). One request runs at a time (one GPU); by default only the last used pipeline
stays in GPU memory.
"""
import argparse
import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The authors' diff_model_dict: the `model` value of the release -> Hugging Face repository.
DIFF_MODEL_DICT = {
    "StableDiffusion_v4": "CompVis/stable-diffusion-v1-4",
    "StableDiffusion_v5": "runwayml/stable-diffusion-v1-5",
    "StableDiffusion_XL": "diffusers/stable-diffusion-xl-1.0-inpainting-0.1",
    "Kandinsky_2_2": "kandinsky-community/kandinsky-2-2-decoder-inpaint",
    "OpenJourney": "prompthero/openjourney",
}
# LANCE's ImageEditor (edit_images.py): ldm_type SDv4, SDv5, OJ -> repository; named as the release names them.
EDIT_MODEL_DICT = {
    "StableDiffusion_v4": "CompVis/stable-diffusion-v1-4",
    "StableDiffusion_v5": "runwayml/stable-diffusion-v1-5",
    "OpenJourney": "prompthero/openjourney",
    "InstructPix2Pix": "timbrooks/instruct-pix2pix",  # not the authors': an instruction-following editor
}
# /edit modes per model: the first is the default (what the authors ran for LANCE's models).
EDIT_MODES = {name: ("p2p", "img2img") for name in ("StableDiffusion_v4", "StableDiffusion_v5", "OpenJourney")}
EDIT_MODES["InstructPix2Pix"] = ("instruct-pix2pix",)
# Defaults of the optional /edit settings: prompt-to-prompt's sampling (which LANCE keeps), A1111's img2img
# strength, the instruct-pix2pix pipeline's image guidance.
EDIT_SETTINGS = {"steps": 50, "guidance_scale": 7.5, "strength": 0.75, "image_guidance_scale": 1.5}
MAX_PIXELS = 2048 * 2048


class Generator:
    """Loads pipelines on first use and runs one request at a time."""

    def __init__(self, models, device, keep_loaded, dry_run=False):
        self.dry_run = dry_run
        self.models = [m for m in models if m in DIFF_MODEL_DICT]
        self.edit_models = [m for m in models if m in EDIT_MODEL_DICT]
        self.device = device
        self.keep_loaded = keep_loaded
        self.pipes = {}
        self.lock = threading.Lock()

    def pipeline(self, kind, name):
        import torch

        key = (kind, name)
        if key not in self.pipes:
            if not self.keep_loaded:
                self.pipes.clear()
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
            self.pipes[key] = load_pipeline(kind, name).to(self.device)
        return self.pipes[key]

    def inpaint(self, name, prompt, seed, width, height, image, mask):
        if self.dry_run:
            return image
        import torch

        with self.lock:
            pipe = self.pipeline("inpaint", name)
            generator = torch.Generator(device=self.device).manual_seed(seed)
            result = pipe(prompt=prompt, image=image, mask_image=mask, width=width, height=height, generator=generator)
            return result.images[0]

    def edit(self, name, job):
        """Runs a checked /edit job (edit_job) in its mode."""
        if self.dry_run:
            return job["image"]
        import torch

        with self.lock:
            if job["mode"] == "instruct-pix2pix":
                pipe = self.pipeline("instruct-pix2pix", name)
                generator = torch.Generator(device=self.device).manual_seed(job["seed"])
                return pipe(prompt=job["instruction"], image=job["image"], num_inference_steps=job["steps"],
                            guidance_scale=job["guidance_scale"], image_guidance_scale=job["image_guidance_scale"],
                            generator=generator).images[0]
            pipe = self.pipeline("edit", name)
            if job["mode"] == "p2p":
                return p2p_edit(pipe, job)
            from diffusers import StableDiffusionImg2ImgPipeline

            pipe.unet.set_default_attn_processor()  # p2p may have left its controlled processors in place
            img2img = StableDiffusionImg2ImgPipeline(**pipe.components, requires_safety_checker=False)
            generator = torch.Generator(device=self.device).manual_seed(job["seed"])
            return img2img(prompt=job["edited_caption"], image=job["image"], strength=job["strength"],
                           num_inference_steps=job["steps"], guidance_scale=job["guidance_scale"],
                           generator=generator).images[0]


def load_pipeline(kind, name):
    import torch
    from diffusers import AutoPipelineForInpainting, DDIMScheduler, StableDiffusionInstructPix2PixPipeline, StableDiffusionPipeline

    if kind == "inpaint":
        return AutoPipelineForInpainting.from_pretrained(DIFF_MODEL_DICT[name], torch_dtype=torch.float16)
    if kind == "instruct-pix2pix":
        return StableDiffusionInstructPix2PixPipeline.from_pretrained(EDIT_MODEL_DICT[name], torch_dtype=torch.float16,
                                                                      safety_checker=None, requires_safety_checker=False)
    # LANCE's pipeline, scheduler ("default hyperparams from Prompt-to-prompt") and dtype (float32, the default);
    # its own sampling loop never ran the safety checker.
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionPipeline.from_pretrained(EDIT_MODEL_DICT[name], scheduler=scheduler,
                                                   safety_checker=None, requires_safety_checker=False)
    pipe.unet.requires_grad_(False)  # null-text optimisation differentiates w.r.t. the embedding only
    return pipe


class ControlledAttention:
    """A diffusers attention processor that computes attention as AttnProcessor does (explicit probabilities,
    as prompt-to-prompt's register_attention_control) and hands the probabilities to a prompt-to-prompt
    controller (prompt_to_prompt.Controller) before they weight the values."""

    def __init__(self, controller, place):
        self.controller, self.place = controller, place

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, *args, **kwargs):
        import torch

        residual = hidden_states
        if getattr(attn, "spatial_norm", None) is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch, channels, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch, channels, height * width).transpose(1, 2)
        batch_size, sequence_length, _ = (hidden_states if encoder_hidden_states is None else encoder_hidden_states).shape
        attention_mask = attn.prepare_attention_mask(attention_mask, sequence_length, batch_size)
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        is_cross = encoder_hidden_states is not None
        query = attn.to_q(hidden_states)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif attn.norm_cross:
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
        key, value = attn.to_k(encoder_hidden_states), attn.to_v(encoder_hidden_states)
        query, key, value = attn.head_to_batch_dim(query), attn.head_to_batch_dim(key), attn.head_to_batch_dim(value)
        probs = attn.get_attention_scores(query, key, attention_mask)
        if self.controller is not None:
            probs = self.controller(probs, is_cross, self.place)
        hidden_states = attn.batch_to_head_dim(torch.bmm(probs, value))
        hidden_states = attn.to_out[1](attn.to_out[0](hidden_states))
        if input_ndim == 4:
            hidden_states = hidden_states.transpose(-1, -2).reshape(batch, channels, height, width)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


def control_attention(unet, controller):
    """Routes every UNet attention layer through `controller` (None: plain attention); returns the layer count."""
    places = {"down_blocks": "down", "mid_block": "mid", "up_blocks": "up"}
    names = list(unet.attn_processors)
    unet.set_attn_processor({n: ControlledAttention(controller, places[n.split(".")[0]]) for n in names})
    return len(names)


def p2p_edit(pipe, job):
    """LANCE's edit of one photo: null-text inversion under the source caption, then prompt-to-prompt sampling of
    [source, edited] (edit_images.py ImageEditor.invert + edit; edit_utils.py NullInversion, text2image)."""
    import numpy as np
    import torch
    import prompt_to_prompt as p2p

    device, scale = pipe.device, 0.18215  # LANCE's latent scale (SD 1.x's vae scaling factor)
    tokenizer, unet = pipe.tokenizer, pipe.unet

    @torch.no_grad()
    def embed(texts):
        ids = tokenizer(texts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                        return_tensors="pt").input_ids
        return pipe.text_encoder(ids.to(device))[0]

    def noise(latents, t, context):
        return unet(latents, t, encoder_hidden_states=context).sample

    steps = job["steps"]
    pipe.scheduler.set_timesteps(steps)
    schedule = p2p.DDIMSchedule(pipe.scheduler.alphas_cumprod.to(device), pipe.scheduler.final_alpha_cumprod.to(device),
                                pipe.scheduler.timesteps, pipe.scheduler.config.num_train_timesteps // steps)
    with torch.no_grad():
        pixels = torch.from_numpy(np.array(job["image"])).float() / 127.5 - 1
        latent = pipe.vae.encode(pixels.permute(2, 0, 1).unsqueeze(0).to(device)).latent_dist.mean * scale
    uncond, cond = embed([""]), embed([job["source_caption"]])
    num_layers = control_attention(unet, None)
    path = p2p.ddim_invert(latent, cond, noise, schedule)
    nulls = p2p.null_text_optimise(path, uncond, cond, noise, schedule, job["guidance_scale"], job["null_text_steps"])
    controller = p2p.make_controller(job["source_caption"], job["edited_caption"], tokenizer, num_layers=num_layers,
                                     latent_size=tuple(latent.shape[2:]), num_steps=steps,
                                     cross_replace_steps=job["cross_replace_steps"],
                                     self_replace_steps=job["self_replace_steps"],
                                     edit_word_weight=job["edit_word_weight"], local_blend=job["local_blend"],
                                     replace=None if job["controller"] == "auto" else False)
    control_attention(unet, controller)
    try:
        latents = p2p.sample(path[-1], embed([job["source_caption"], job["edited_caption"]]), nulls, noise, schedule,
                             job["guidance_scale"], controller.step_callback)
        with torch.no_grad():
            image = pipe.vae.decode(latents[1:] / scale).sample
    finally:
        control_attention(unet, None)
    image = (image / 2 + 0.5).clamp(0, 1).cpu().permute(0, 2, 3, 1).numpy()[0]
    from PIL import Image

    return Image.fromarray((image * 255).astype(np.uint8))  # LANCE truncates (ptp_utils.latent2image)


def decode_png(b64, mode):
    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(b64, validate=True))).convert(mode)


class BadRequest(Exception):
    """A request the server will not run: answered with `status` and the message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def checked_size(req):
    width, height = int(req["width"]), int(req["height"])
    if width <= 0 or height <= 0 or width % 8 or height % 8 or width * height > MAX_PIXELS:
        raise BadRequest(400, f"width and height must be positive multiples of 8, got {width}x{height}")
    return width, height


def served(name, models):
    if name not in models:
        raise BadRequest(404, f"model {name} is not served (served: {', '.join(models) or 'none'})")
    return name


def text(req, key):
    value = req[key]
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(400, f"'{key}' must be a non-empty string")
    return value


class Handler(BaseHTTPRequestHandler):
    generator: Generator = None  # set in main()

    def answer(self, status, body, content_type="application/json", headers=None):
        data = json.dumps(body).encode() if content_type == "application/json" else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/health":
            return self.answer(404, {"error": f"no route GET {self.path}"})
        g = self.generator
        self.answer(200, {"models": g.models, "edit_models": g.edit_models,
                          "edit_modes": {m: list(EDIT_MODES[m]) for m in g.edit_models}, "device": g.device,
                          "dtype": {"inpaint": "float16", "edit": "float32", "instruct-pix2pix": "float16"},
                          "dry_run": g.dry_run})

    def do_POST(self):
        routes = {"/inpaint": self.inpaint_job, "/edit": self.edit_job}
        if self.path not in routes:
            return self.answer(404, {"error": f"no route POST {self.path}"})
        try:
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            job, headers = routes[self.path](req)
        except BadRequest as error:
            return self.answer(error.status, {"error": str(error)})
        except (KeyError, ValueError, TypeError, AttributeError, OSError) as error:
            return self.answer(400, {"error": f"bad request: {type(error).__name__}: {error}"})
        try:
            out = job()
        except Exception as error:  # the GPU run failed (OOM, download...): a 5xx the client may retry
            return self.answer(500, {"error": f"{type(error).__name__}: {error}"})
        buf = io.BytesIO()
        out.save(buf, "PNG")
        self.answer(200, buf.getvalue(), "image/png", headers)

    def inpaint_job(self, req):
        """Checks an /inpaint request before any GPU work; returns the job to run."""
        g = self.generator
        name, prompt, seed = served(req["model"], g.models), req["prompt"], int(req["seed"])
        width, height = checked_size(req)
        image, mask = decode_png(req["image"], "RGB"), decode_png(req["mask"], "L")
        return (lambda: g.inpaint(name, prompt, seed, width, height, image, mask)), {}

    def edit_job(self, req):
        """Checks an /edit request before any GPU work; returns the job to run and the answer's headers (the mode
        that ran, so that a client can record it; a dry run reports the mode it would have run)."""
        g = self.generator
        name, seed = served(req["model"], g.edit_models), int(req["seed"])
        modes = EDIT_MODES[name]
        mode = req.get("mode", modes[0])
        if mode not in modes:
            raise BadRequest(400, f"mode {mode!r} does not apply to {name} (its modes: {', '.join(modes)})")
        job = {"mode": mode, "seed": seed, "source_caption": text(req, "source_caption"),
               "edited_caption": text(req, "edited_caption")}
        width, height = checked_size(req)
        job.update({k: type(v)(req.get(k, v)) for k, v in EDIT_SETTINGS.items()})
        job.update(p2p_settings(req) if mode == "p2p" else {})
        if not 0 < job["strength"] <= 1 or not 1 <= job["steps"] <= 1000 or job["guidance_scale"] < 0 or job["image_guidance_scale"] < 0:
            raise BadRequest(400, f"need 0 < strength <= 1, 1 <= steps <= 1000, guidance_scale >= 0, image_guidance_scale >= 0; got {job['strength']}, {job['steps']}, {job['guidance_scale']}, {job['image_guidance_scale']}")
        job["image"] = decode_png(req["image"], "RGB")
        if job["image"].size != (width, height):
            raise BadRequest(400, f"the image is {job['image'].size[0]}x{job['image'].size[1]}, the request says {width}x{height}")
        if mode == "instruct-pix2pix":
            from lance_settings import instruction

            job["instruction"] = instruction(job["source_caption"], job["edited_caption"])
        return (lambda: g.edit(name, job)), {"X-Edit-Mode": mode}


def p2p_settings(req):
    """The prompt-to-prompt settings of a p2p request: LANCE's unless the request names others."""
    from lance_settings import LANCE

    s = {k: req.get(k, LANCE[k]) for k in ("cross_replace_steps", "self_replace_steps", "edit_word_weight", "local_blend", "null_text_steps")}
    s["controller"] = req.get("controller", "refine")
    for k in ("cross_replace_steps", "self_replace_steps"):
        if isinstance(s[k], bool) or not isinstance(s[k], (int, float)) or not 0 <= s[k] <= 1:
            raise BadRequest(400, f"'{k}' must be a number in [0, 1], got {s[k]!r}")
        s[k] = float(s[k])
    if isinstance(s["edit_word_weight"], bool) or not isinstance(s["edit_word_weight"], (int, float)) or s["edit_word_weight"] <= 0:
        raise BadRequest(400, f"'edit_word_weight' must be a positive number, got {s['edit_word_weight']!r}")
    if not isinstance(s["local_blend"], bool):
        raise BadRequest(400, f"'local_blend' must be true or false, got {s['local_blend']!r}")
    if isinstance(s["null_text_steps"], bool) or not isinstance(s["null_text_steps"], int) or not 0 <= s["null_text_steps"] <= 100:
        raise BadRequest(400, f"'null_text_steps' must be an integer in [0, 100], got {s['null_text_steps']!r}")
    if s["controller"] not in ("refine", "auto"):
        raise BadRequest(400, f"'controller' must be 'refine' (LANCE) or 'auto' (replace for an equal-token word swap), got {s['controller']!r}")
    return s


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--models", default=",".join(DIFF_MODEL_DICT),
                        help="comma-separated model values to serve (/edit serves those LANCE used, and InstructPix2Pix when named)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--keep-loaded", action="store_true", help="keep every used pipeline in GPU memory")
    parser.add_argument("--dry-run", action="store_true",
                        help="check each request fully, run no model, answer the input image (tests a client)")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    known = list(dict.fromkeys([*DIFF_MODEL_DICT, *EDIT_MODEL_DICT]))
    unknown = [m for m in models if m not in known]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(known)}")
    Handler.generator = Generator(models, args.device, args.keep_loaded, args.dry_run)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]  # --port 0 picks a free port
    edit = ", ".join(f"{m} ({'|'.join(EDIT_MODES[m])})" for m in Handler.generator.edit_models) or "none"
    dry = " (dry run: no model runs)" if args.dry_run else ""
    print(f"diffusers server on http://{host}:{port} serving {', '.join(models)} (edit: {edit}){dry}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
