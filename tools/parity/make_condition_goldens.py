#!/usr/bin/python3
"""Golden references for src/conditions: each stress condition computed with Pillow 9.4 / numpy.

    /usr/bin/python3 tools/parity/make_condition_goldens.py [OUT_DIR]     # default tests/goldens/conditions

Inputs are the committed procedural images of tests/goldens/image/inputs (textured: gradients, noise, shapes,
1-px lines). Writes OUT_DIR/expected/<case>.u8.gz (HWC uint8, gzip mtime 0) and OUT_DIR/manifest.json. Each op
here is the reference definition that docs/stress-conditions.md gives; the TypeScript port must match it.
"""
import gzip
import hashlib
import io
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image, ImageFilter, features

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/conditions"
INPUTS = "tests/goldens/image/inputs"
FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
PRESETS = {"social": "resize:0.75:bicubic+jpeg:80"}


def reopen(im, fmt, **kw):
    f = io.BytesIO()
    im.save(f, fmt, **kw)
    f.seek(0)
    return Image.open(f).convert("RGB")


def side(n, s):
    return max(1, int(n * s + 0.5))


def noise(im, sigma, image_key, seed):
    """Gaussian noise from the counter-based mulberry32 stream seeded by sha256(f"{image_key}:{seed}")."""
    a = np.asarray(im, dtype=np.uint8).reshape(-1)
    n = a.size
    state0 = np.uint32(int.from_bytes(hashlib.sha256(f"{image_key}:{seed}".encode()).digest()[:4], "big"))
    m = n + (n & 1)
    with np.errstate(over="ignore"):
        k = np.arange(m, dtype=np.uint32)
        s = state0 + (k + np.uint32(1)) * np.uint32(0x6D2B79F5)
        t = (s ^ (s >> np.uint32(15))) * (s | np.uint32(1))
        t = t ^ (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61)))
        u = (t ^ (t >> np.uint32(14))).astype(np.float64) / 4294967296.0
    r = np.sqrt(-2.0 * np.log(1.0 - u[0::2]))
    theta = 2.0 * np.pi * u[1::2]
    z = np.empty(m)
    z[0::2] = r * np.cos(theta)
    z[1::2] = r * np.sin(theta)
    out = np.clip(np.floor(a + sigma * 255.0 * z[:n] + 0.5), 0, 255).astype(np.uint8)
    return Image.fromarray(out.reshape(im.height, im.width, 3))


def step(im, part, image_key):
    op, *args = part.split(":")
    if op == "jpeg":
        return reopen(im, "JPEG", quality=int(args[0]))
    if op == "format" and args[0] == "jpeg":
        return reopen(im, "JPEG", quality=int(args[1]))
    if op == "format" and args[0] == "png":
        return reopen(im, "PNG")
    if op == "webp":
        return reopen(im, "WEBP", quality=int(args[0]))
    if op == "blur":
        return im.filter(ImageFilter.GaussianBlur(float(args[0])))
    if op == "resize":
        s = float(args[0])
        return im.resize((side(im.width, s), side(im.height, s)), FILTERS[args[1] if len(args) > 1 else "bicubic"])
    if op == "crop":
        f = float(args[0])
        w, h = side(im.width, f), side(im.height, f)
        left, top = (im.width - w) // 2, (im.height - h) // 2
        return im.crop((left, top, left + w, top + h))
    if op == "noise":
        return noise(im, float(args[0]), image_key, int(args[1]) if len(args) > 1 else 0)
    raise ValueError(part)


def apply(im, spec, image_key):
    for part in spec.split("+"):
        for p in PRESETS.get(part, part).split("+"):
            im = step(im, p, image_key)
    return im


CASES = [
    ("rgb_97x61.png", ["jpeg:95", "jpeg:75", "jpeg:45", "format:jpeg:90", "format:png", "webp:80", "webp:50", "blur:1", "blur:2.5",
                       "resize:0.5", "resize:0.5:bilinear", "resize:0.37:lanczos", "resize:1.5", "crop:0.8", "crop:0.33",
                       "noise:0.02", "noise:0.1:7", "resize:0.5+jpeg:75", "social"]),
    ("big_600x400.jpg", ["resize:0.5", "resize:0.5:bilinear", "social"]),  # large outputs: few cases
    ("rgb_45x71.png", ["jpeg:45", "webp:80", "blur:0.5", "resize:0.5", "crop:0.8", "noise:0.05"]),
]


def main():
    os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
    cases = []
    for name, specs in CASES:
        path = os.path.join(INPUTS, name)
        data = open(path, "rb").read()
        image_key = hashlib.sha256(data).hexdigest()[:16]
        src = Image.open(path).convert("RGB")
        for spec in specs:
            out = apply(src, spec, image_key)
            cid = f"{os.path.splitext(name)[0]}__{spec.replace(':', '_').replace('+', '__')}"
            file = f"expected/{cid}.u8.gz"
            with open(os.path.join(OUT, file), "wb") as f:
                with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
                    g.write(np.asarray(out, dtype=np.uint8).tobytes())
            cases.append({"id": cid, "input": name, "condition": spec, "imageKey": image_key, "expected": {"file": file, "shape": [out.height, out.width, 3]}})
    manifest = {
        "generator": "tools/parity/make_condition_goldens.py",
        "versions": {"pillow": PIL.__version__, "numpy": np.__version__, "libjpeg_turbo": features.version("jpg"), "libwebp": features.version("webp")},
        "cases": cases,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
