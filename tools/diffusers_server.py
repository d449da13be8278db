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

Prompt-based editing (/edit) uses the authors' weights and scheduler, not their editing algorithm. LANCE
(SemiTruths/image_augmentation/LANCE/lance/edit_images.py) loads `StableDiffusionPipeline.from_pretrained(repo,
scheduler=DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
set_alpha_to_one=False, steps_offset=1))` in float32 for SDv4, SDv5 and OJ, then null-text-inverts the photo
under its caption and edits with prompt-to-prompt attention control. This server loads the same repositories
with the same scheduler, in float32, as `StableDiffusionImg2ImgPipeline` without the safety checker (LANCE's
sampling loop never ran it), and calls `pipe(prompt=edited_caption, image=photo, strength, num_inference_steps,
guidance_scale, generator)`: an SDEdit rewrite of the photo from the edited caption. `source_caption` is checked
and accepted for servers that invert, but img2img does not use it.

The contract (src/generation/generate/servers/diffusers.ts, inpaint/diffusers.ts, edit/diffusers.ts):

    GET  /health   -> {"models": [...], "edit_models": [...], "device": ..., "dtype": ...}
    POST /inpaint  {"model", "prompt", "seed", "width", "height", "image": base64 PNG, "mask": base64 PNG}
                   -> 200 image/png | 4xx/5xx {"error": "..."}
    POST /edit     {"model", "source_caption", "edited_caption", "seed", "width", "height", "image": base64 PNG,
                    "strength", "steps", "guidance_scale"}
                   -> 200 image/png | 4xx/5xx {"error": "..."}

Usage (Python 3.10+, a CUDA GPU; weights download from the Hugging Face Hub on first use, or set HF_HOME to a
pre-filled cache and HF_HUB_OFFLINE=1):

    pip install "diffusers>=0.25" transformers accelerate torch pillow
    python tools/diffusers_server.py --port 8000 [--models StableDiffusion_v5,StableDiffusion_XL] [--keep-loaded]

`--dry-run` checks every request as fully as a real run, loads no model and answers the input image: it needs
only Python and Pillow, and is how semibench's tests check that the client and this server agree.

`--models` names the model values to serve; /edit serves those of them that LANCE used (StableDiffusion_v4,
StableDiffusion_v5, OpenJourney). One request runs at a time (one GPU); by default only the last used pipeline
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
}
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

    def edit(self, name, edited_caption, seed, image, strength, steps, guidance_scale):
        if self.dry_run:
            return image
        import torch

        with self.lock:
            pipe = self.pipeline("edit", name)
            generator = torch.Generator(device=self.device).manual_seed(seed)
            result = pipe(prompt=edited_caption, image=image, strength=strength, num_inference_steps=steps,
                          guidance_scale=guidance_scale, generator=generator)
            return result.images[0]


def load_pipeline(kind, name):
    import torch
    from diffusers import AutoPipelineForInpainting, DDIMScheduler, StableDiffusionImg2ImgPipeline

    if kind == "inpaint":
        return AutoPipelineForInpainting.from_pretrained(DIFF_MODEL_DICT[name], torch_dtype=torch.float16)
    # LANCE's scheduler ("default hyperparams from Prompt-to-prompt") and dtype (float32, the default).
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    return StableDiffusionImg2ImgPipeline.from_pretrained(EDIT_MODEL_DICT[name], scheduler=scheduler,
                                                          safety_checker=None, requires_safety_checker=False)


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

    def answer(self, status, body, content_type="application/json"):
        data = json.dumps(body).encode() if content_type == "application/json" else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/health":
            return self.answer(404, {"error": f"no route GET {self.path}"})
        g = self.generator
        self.answer(200, {"models": g.models, "edit_models": g.edit_models, "device": g.device,
                          "dtype": {"inpaint": "float16", "edit": "float32"}})

    def do_POST(self):
        routes = {"/inpaint": self.inpaint_job, "/edit": self.edit_job}
        if self.path not in routes:
            return self.answer(404, {"error": f"no route POST {self.path}"})
        try:
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            job = routes[self.path](req)
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
        self.answer(200, buf.getvalue(), "image/png")

    def inpaint_job(self, req):
        """Checks an /inpaint request before any GPU work; returns the job to run."""
        g = self.generator
        name, prompt, seed = served(req["model"], g.models), req["prompt"], int(req["seed"])
        width, height = checked_size(req)
        image, mask = decode_png(req["image"], "RGB"), decode_png(req["mask"], "L")
        return lambda: g.inpaint(name, prompt, seed, width, height, image, mask)

    def edit_job(self, req):
        """Checks an /edit request before any GPU work; returns the job to run."""
        g = self.generator
        name, seed = served(req["model"], g.edit_models), int(req["seed"])
        text(req, "source_caption")
        edited_caption = text(req, "edited_caption")
        width, height = checked_size(req)
        strength, steps, guidance_scale = float(req["strength"]), int(req["steps"]), float(req["guidance_scale"])
        if not 0 < strength <= 1 or not 1 <= steps <= 1000 or guidance_scale < 0:
            raise BadRequest(400, f"need 0 < strength <= 1, 1 <= steps <= 1000, guidance_scale >= 0; got {strength}, {steps}, {guidance_scale}")
        image = decode_png(req["image"], "RGB")
        if image.size != (width, height):
            raise BadRequest(400, f"the image is {image.size[0]}x{image.size[1]}, the request says {width}x{height}")
        return lambda: g.edit(name, edited_caption, seed, image, strength, steps, guidance_scale)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--models", default=",".join(DIFF_MODEL_DICT),
                        help="comma-separated model values to serve (/edit serves those LANCE used)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--keep-loaded", action="store_true", help="keep every used pipeline in GPU memory")
    parser.add_argument("--dry-run", action="store_true",
                        help="check each request fully, run no model, answer the input image (tests a client)")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in DIFF_MODEL_DICT]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(DIFF_MODEL_DICT)}")
    Handler.generator = Generator(models, args.device, args.keep_loaded, args.dry_run)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]  # --port 0 picks a free port
    edit = ", ".join(Handler.generator.edit_models) or "none"
    dry = " (dry run: no model runs)" if args.dry_run else ""
    print(f"diffusers server on http://{host}:{port} serving {', '.join(models)} (edit: {edit}){dry}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
