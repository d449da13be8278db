#!/usr/bin/env python3
"""A small HTTP server that inpaints with the Semi-Truths authors' exact models and settings, for
`semibench generate --inpaint diffusers:http://HOST:PORT` on a machine with a GPU.

The authors' code (SemiTruths/image_augmentation/inpainting/llava_guided_inpainting.py) loads each model with

    AutoPipelineForInpainting.from_pretrained(path, torch_dtype=torch.float16)

and calls `pipe(prompt=label, image=photo, mask_image=prepared_mask)` with the pipeline's defaults. This server
does the same, with two additions a benchmark needs: a seeded torch.Generator (the authors passed none, so their
images cannot be regenerated bit for bit) and the request's width/height (for 512x512 inputs this equals the
SD 1.x default; the SDXL pipeline would otherwise answer 1024x1024). The mask arrives prepared by semibench
(MaxFilter 9 twice, ModeFilter 10, GaussianBlur 16, exactly as `inpaint_img`), so it is used as it is.

The contract (src/generation/generate/inpaint/diffusers.ts):

    GET  /health   -> {"models": [...], "device": ..., "dtype": "float16"}
    POST /inpaint  {"model", "prompt", "seed", "width", "height", "image": base64 PNG, "mask": base64 PNG}
                   -> 200 image/png | 4xx/5xx {"error": "..."}

Usage (Python 3.10+, a CUDA GPU; weights download from the Hugging Face Hub on first use, or set HF_HOME to a
pre-filled cache and HF_HUB_OFFLINE=1):

    pip install "diffusers>=0.25" transformers accelerate torch pillow
    python tools/diffusers_server.py --port 8000 [--models StableDiffusion_v5,StableDiffusion_XL] [--keep-loaded]

One request runs at a time (one GPU); by default only the last used pipeline stays in GPU memory.
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
MAX_PIXELS = 2048 * 2048


class Inpainter:
    """Loads pipelines on first use and runs one request at a time."""

    def __init__(self, models, device, keep_loaded):
        self.models = models
        self.device = device
        self.keep_loaded = keep_loaded
        self.pipes = {}
        self.lock = threading.Lock()

    def pipeline(self, name):
        import torch
        from diffusers import AutoPipelineForInpainting

        if name not in self.pipes:
            if not self.keep_loaded:
                self.pipes.clear()
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
            pipe = AutoPipelineForInpainting.from_pretrained(DIFF_MODEL_DICT[name], torch_dtype=torch.float16)
            self.pipes[name] = pipe.to(self.device)
        return self.pipes[name]

    def inpaint(self, name, prompt, seed, width, height, image, mask):
        import torch

        with self.lock:
            pipe = self.pipeline(name)
            generator = torch.Generator(device=self.device).manual_seed(seed)
            result = pipe(prompt=prompt, image=image, mask_image=mask, width=width, height=height, generator=generator)
            return result.images[0]


def decode_png(b64, mode):
    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(b64, validate=True))).convert(mode)


class Handler(BaseHTTPRequestHandler):
    inpainter: Inpainter = None  # set in main()

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
        self.answer(200, {"models": self.inpainter.models, "device": self.inpainter.device, "dtype": "float16"})

    def do_POST(self):
        if self.path != "/inpaint":
            return self.answer(404, {"error": f"no route POST {self.path}"})
        try:
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            name, prompt, seed = req["model"], req["prompt"], int(req["seed"])
            width, height = int(req["width"]), int(req["height"])
            if name not in self.inpainter.models:
                return self.answer(404, {"error": f"model {name} is not served (served: {', '.join(self.inpainter.models)})"})
            if width <= 0 or height <= 0 or width % 8 or height % 8 or width * height > MAX_PIXELS:
                return self.answer(400, {"error": f"width and height must be positive multiples of 8, got {width}x{height}"})
            image, mask = decode_png(req["image"], "RGB"), decode_png(req["mask"], "L")
        except (KeyError, ValueError, TypeError, OSError) as error:
            return self.answer(400, {"error": f"bad request: {error}"})
        try:
            out = self.inpainter.inpaint(name, prompt, seed, width, height, image, mask)
        except Exception as error:  # the GPU run failed (OOM, download...): a 5xx the client may retry
            return self.answer(500, {"error": f"{type(error).__name__}: {error}"})
        buf = io.BytesIO()
        out.save(buf, "PNG")
        self.answer(200, buf.getvalue(), "image/png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--models", default=",".join(DIFF_MODEL_DICT), help="comma-separated model values to serve")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--keep-loaded", action="store_true", help="keep every used pipeline in GPU memory")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in DIFF_MODEL_DICT]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(DIFF_MODEL_DICT)}")
    Handler.inpainter = Inpainter(models, args.device, args.keep_loaded)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]  # --port 0 picks a free port
    print(f"diffusers server on http://{host}:{port} serving {', '.join(models)}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
