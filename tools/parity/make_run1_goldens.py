#!/usr/bin/python3
"""Goldens for the semitruths-run1 protocol (src/image/run1-crop.ts): the deterministic paths of
SemiTruths/stress_testing/run_1.py, re-stated line by line with the libraries it used (PIL 9.4,
torchvision 0.14 on Debian). Run:

    /usr/bin/python3 tools/parity/make_run1_goldens.py [OUT_DIR]     # default tests/goldens/run1

run_1's helpers `verify_mask` / `mask_sa_ratio` are not public; as in run1-crop.ts they are taken to be
"any pixel > 0" and "share of pixels > 0". The random-crop branch (unseeded in run_1) has no golden.
Writes OUT_DIR/inputs/*.png, OUT_DIR/expected/*.u8.gz (the HWC uint8 crop fed to ToTensor) and OUT_DIR/manifest.json.
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter
from torchvision import transforms as T
from torchvision.transforms import functional as TF

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/run1"
os.makedirs(os.path.join(OUT, "inputs"), exist_ok=True)
os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
NORM = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
TRANS = T.Compose((T.Resize(256), T.CenterCrop(224), T.ToTensor(), NORM))  # run_1 `trans`
MASK_TRANS = T.Compose((T.Resize(256), T.CenterCrop(224), T.ToTensor()))  # run_1 `mask_trans_funt`
RESIZE = T.Compose((T.Resize(256), T.ToTensor()))  # run_1 `trans_resize`
# The goldens are the 8-bit crops fed to ToTensor (Normalize → clamp are tested in tests/goldens/image);
# UNNORM undoes run_1's Normalize exactly enough to round back to the bytes.
UNNORM = lambda t: t * torch.tensor([0.229, 0.224, 0.225])[:, None, None] + torch.tensor([0.485, 0.456, 0.406])[:, None, None]


def picture(w, h, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = Image.fromarray(np.stack([x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h)], -1).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(12):  # sharp edges, so a misplaced crop or blur shows
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        draw.rectangle((x0, y0, x0 + int(rng.integers(8, 40)), y0 + int(rng.integers(8, 40))), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return img


def mask(w, h, *shapes):
    m = Image.new("L", (w, h), 0)
    for shape, box in shapes:
        getattr(ImageDraw.Draw(m), shape)(box, fill=255)
    return m


def share(t):  # assumed mask_sa_ratio: share of pixels with any channel > 0
    return float((t.amax(0) > 0).float().mean())


def run1(img, m, blur):
    """One row of run_1: returns (tensor, branch) for the deterministic branches, or None for the random one."""
    if m is not None:
        m = m.convert("RGB")
        window, whole = MASK_TRANS(m), RESIZE(m)
        if (window > 0).any():
            if share(window) / share(whole) < 0.7:
                return None, "random"
            _, h, w = whole.shape
            t = TF.crop(RESIZE(img), h // 2, w // 2, 224, 224)  # the centre used as the top-left corner
            return t, "mask-centre"
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(radius=blur))
    return UNNORM(TRANS(img)), "centre"


CASES = [  # name, image size, mask shapes or None, blur
    ("square-disk", (512, 512), [("ellipse", (200, 210, 330, 320))], 0),
    ("square-disk-ufd", (512, 512), [("ellipse", (200, 210, 330, 320))], 2),
    ("wide-disk", (640, 480), [("ellipse", (250, 190, 390, 300))], 0),
    ("tall-box", (384, 576), [("rectangle", (150, 240, 230, 330))], 0),
    ("corner-mask", (512, 512), [("rectangle", (0, 0, 30, 30))], 0),
    ("corner-mask-ufd", (512, 512), [("rectangle", (0, 0, 30, 30))], 2),
    ("real-ufd", (512, 512), None, 2),
    ("split-random", (512, 512), [("ellipse", (236, 236, 276, 276)), ("rectangle", (0, 0, 60, 60))], 0),
]

cases = []
for i, (name, (w, h), shape, blur) in enumerate(CASES):
    img = picture(w, h, i)
    img_file = f"inputs/{name}.png"
    img.save(os.path.join(OUT, img_file))
    m = mask(w, h, *shape) if shape else None
    mask_file = None
    if m is not None:
        mask_file = f"inputs/{name}-mask.png"
        m.save(os.path.join(OUT, mask_file))
    tensor, branch = run1(img, m, blur)
    case = {"name": name, "image": img_file, "mask": mask_file, "blurRadius": blur, "branch": branch}
    if tensor is not None:
        case["expected"] = f"expected/{name}.u8.gz"  # HWC uint8
        hwc = torch.round(tensor * 255).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).contiguous()
        with gzip.GzipFile(os.path.join(OUT, case["expected"]), "wb", mtime=0) as f:
            f.write(hwc.numpy().tobytes())
        case["shape"] = list(tensor.shape)
    cases.append(case)
with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump({"generator": "tools/parity/make_run1_goldens.py", "torchvision": __import__("torchvision").__version__, "cases": cases}, f, indent=1)
print(json.dumps([(c["name"], c["branch"]) for c in cases]))
