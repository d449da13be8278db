#!/usr/bin/python3
"""Golden references for the mask preparation of `semibench generate` (src/generation/generate/masks.ts).

The authors' `inpaint_img` (SemiTruths/image_augmentation/inpainting/llava_guided_inpainting.py) prepares each
mask as:

    mask = Image.open(mask_path).convert("L")
    mask = mask.filter(ImageFilter.MaxFilter(size=9))
    mask = mask.filter(ImageFilter.MaxFilter(size=9))
    mask = mask.filter(ImageFilter.ModeFilter(size=10))
    mask = pipe.mask_processor.blur(mask, blur_factor=16)   # diffusers: image.filter(ImageFilter.GaussianBlur(16))

Run with Debian's interpreter (python3-pil 9.4, numpy):

    /usr/bin/python3 tools/parity/make_mask_goldens.py [OUT_DIR]     # default tests/goldens/masks

Writes OUT_DIR/inputs/* (masks in several PNG modes and JPEG), OUT_DIR/expected/*.png (mode L, after each step) and
OUT_DIR/manifest.json. Deterministic (seeded numpy).
"""
import json
import os
import shutil
import sys

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFilter

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/masks"


def shapes(w, h, seed, scale=1):
    """Binary object-like shapes (ellipses, polygons, thin lines) drawn at `scale` times the size."""
    rng = np.random.default_rng(seed)
    m = Image.new("L", (w * scale, h * scale), 0)
    d = ImageDraw.Draw(m)
    W, H = w * scale, h * scale
    d.ellipse([W // 5, H // 4, W // 2, 3 * H // 4], fill=255)
    d.polygon([(W // 2, H // 6), (9 * W // 10, H // 3), (3 * W // 4, 5 * H // 6)], fill=255)
    for _ in range(3):
        x0, y0 = int(rng.integers(0, W)), int(rng.integers(0, H))
        d.line([(x0, y0), (int(rng.integers(0, W)), int(rng.integers(0, H)))], fill=255, width=scale)
    for _ in range(4):  # specks smaller than the filters
        x, y = int(rng.integers(0, W)), int(rng.integers(0, H))
        d.rectangle([x, y, x + scale, y + scale], fill=255)
    return m


def inputs():
    rng = np.random.default_rng(7)
    binary = shapes(64, 48, 1)
    antialiased = shapes(61, 43, 2, scale=4).resize((61, 43), Image.Resampling.LANCZOS)  # soft edges, many levels
    rgb = Image.merge("RGB", [shapes(37, 29, 3), shapes(37, 29, 4), Image.new("L", (37, 29), 90)])
    onebit = shapes(50, 30, 5).convert("1")
    noisy = Image.fromarray(rng.choice(np.array([0, 0, 40, 40, 200, 255], np.uint8), (21, 33)))  # mode ties
    tiny = Image.fromarray(np.array([[0, 255, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 128, 0, 0], [0, 0, 0, 0, 255]], np.uint8))
    border = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(border).rectangle([0, 0, 12, 39], fill=255)
    rgba = shapes(45, 71, 6).convert("RGBA")
    rgba.putalpha(Image.fromarray(rng.integers(0, 256, (71, 45), np.uint8)))  # alpha is ignored by convert("L")
    big = shapes(512, 384, 8)
    return {
        "binary_64x48": binary,
        "antialiased_61x43": antialiased,
        "rgb_37x29": rgb,
        "onebit_50x30": onebit,
        "noisy_33x21": noisy,
        "tiny_5x4": tiny,
        "border_40x40": border,
        "rgba_45x71": rgba,
        "binary_512x384": big,
        # CelebAHQ's masks ship as JPEG (e.g. 20046_mouth.jpg): compression noise around the edges.
        "jpeg_grey_48x40": (shapes(48, 40, 9), {"format": "JPEG", "quality": 90}),
        "jpeg_rgb_40x48": (Image.merge("RGB", [shapes(40, 48, 10)] * 3), {"format": "JPEG", "quality": 75}),
    }


STEPS = [
    ("max9", lambda m: m.filter(ImageFilter.MaxFilter(size=9))),
    ("max9x2", lambda m: m.filter(ImageFilter.MaxFilter(size=9))),
    ("mode10", lambda m: m.filter(ImageFilter.ModeFilter(size=10))),
    ("blur16", lambda m: m.filter(ImageFilter.GaussianBlur(16))),
]


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for sub in ("inputs", "expected"):
        os.makedirs(os.path.join(OUT, sub))
    cases = []
    for name, im in inputs().items():
        im, save = im if isinstance(im, tuple) else (im, {"format": "PNG"})
        src = f"inputs/{name}.{'jpg' if save['format'] == 'JPEG' else 'png'}"
        im.save(os.path.join(OUT, src), **save)
        m = Image.open(os.path.join(OUT, src)).convert("L")
        steps = {}
        for step, op in STEPS:
            m = op(m)
            steps[step] = f"expected/{name}_{step}.png"
            m.save(os.path.join(OUT, steps[step]))
        # A standalone check of the filters on the raw input (not chained): mode filter alone and a small blur.
        raw = Image.open(os.path.join(OUT, src)).convert("L")
        for step, op in (("mode10_only", lambda x: x.filter(ImageFilter.ModeFilter(size=10))),
                         ("max3_only", lambda x: x.filter(ImageFilter.MaxFilter(size=3)))):
            steps[step] = f"expected/{name}_{step}.png"
            op(raw).save(os.path.join(OUT, steps[step]))
        cases.append({"id": name, "input": src, "mode": im.mode, "steps": steps})
    manifest = {"versions": {"pillow": PIL.__version__, "numpy": np.__version__}, "cases": cases}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} mask cases to {OUT}")


if __name__ == "__main__":
    main()
