#!/usr/bin/python3
"""Golden references for Hugging Face model folders (src/detectors/huggingface.ts) on textured images.

    /usr/bin/python3 tools/parity/make_hf_goldens.py [OUT_DIR]     # default tests/goldens/hf

transformers is not packaged in Debian bookworm (no python3-transformers), so this script does not import it:
it follows the slow image processors step by step with Pillow and NumPy, transcribing
transformers/image_transforms.py (get_resize_output_image_size with default_to_square=False, resize through
PIL, center_crop with `(H - h) // 2` offsets and ceil(margin / 2) zero padding, rescale in float64 then
float32, normalize in float32) in the order CLIPImageProcessor / ConvNextImageProcessor.preprocess apply
them: resize → center_crop → rescale → normalize. The cases are chosen so that a crop margin is ≡ 3 mod 4,
where torchvision's round-half-to-even centre crop starts one pixel later.

Writes OUT_DIR/<case>.png (input), OUT_DIR/<case>.f32.gz (CHW float32, little-endian) and OUT_DIR/cases.json.
Deterministic (seeded NumPy, gzip mtime 0).
"""
import gzip
import json
import math
import os
import sys

import numpy as np
from PIL import Image

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/hf"
PIL_RESAMPLE = {2: Image.Resampling.BILINEAR, 3: Image.Resampling.BICUBIC}


def textured(w, h, seed):
    """Gradients plus per-pixel noise: every one-pixel shift changes most values."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([255 * x / (w - 1), 255 * y / (h - 1), 128 + 100 * np.sin((x + 2 * y) / 3.0)], -1)
    base += rng.normal(0, 30, (h, w, 3))
    return Image.fromarray(np.clip(np.rint(base), 0, 255).astype(np.uint8))


def resize_shortest_edge(image, size, resample):
    """get_resize_output_image_size(default_to_square=False) + resize (PIL)."""
    width, height = image.size
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    out_h, out_w = (new_long, new_short) if width <= height else (new_short, new_long)
    return image.resize((out_w, out_h), resample=resample)


def center_crop(image, size):
    """image_transforms.center_crop on a channels-first array."""
    orig_height, orig_width = image.shape[-2:]
    crop_height, crop_width = size
    top = (orig_height - crop_height) // 2
    bottom = top + crop_height
    left = (orig_width - crop_width) // 2
    right = left + crop_width
    if top >= 0 and bottom <= orig_height and left >= 0 and right <= orig_width:
        return image[..., top:bottom, left:right]
    new_height = max(crop_height, orig_height)
    new_width = max(crop_width, orig_width)
    new_image = np.zeros_like(image, shape=image.shape[:-2] + (new_height, new_width))
    top_pad = math.ceil((new_height - orig_height) / 2)
    left_pad = math.ceil((new_width - orig_width) / 2)
    new_image[..., top_pad:top_pad + orig_height, left_pad:left_pad + orig_width] = image
    top += top_pad
    bottom += top_pad
    left += left_pad
    right += left_pad
    return new_image[..., max(0, top):min(new_height, bottom), max(0, left):min(new_width, right)]


def processor(image, p):
    """resize → center_crop → rescale → normalize, as the slow CLIP/ConvNeXt image processors do."""
    resample = PIL_RESAMPLE[p.get("resample", 2)]
    edge = p["size"]["shortest_edge"]
    if "crop_pct" in p:  # ConvNextImageProcessor.resize below 384
        image = resize_shortest_edge(image, int(edge / p["crop_pct"]), resample)
        crop = (edge, edge)
    else:
        image = resize_shortest_edge(image, edge, resample)
        crop = (p["crop_size"]["height"], p["crop_size"]["width"])
    chw = np.array(image).transpose(2, 0, 1)
    chw = center_crop(chw, crop)
    chw = (chw.astype(np.float64) * p.get("rescale_factor", 1 / 255)).astype(np.float32)
    hwc = chw.transpose(1, 2, 0)
    mean = np.array(p["image_mean"], dtype=hwc.dtype)
    std = np.array(p["image_std"], dtype=hwc.dtype)
    return ((hwc - mean) / std).transpose(2, 0, 1).astype(np.float32)


CLIP_STATS = {"image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}
CASES = [
    # 84x80 → short side 64 → 67x64; crop 64: left margin 3 (floor 1, torchvision 2).
    ("clip-margin3", 84, 80, 11, {"do_resize": True, "size": {"shortest_edge": 64}, "resample": 3, "do_center_crop": True,
                                  "crop_size": {"height": 64, "width": 64}, "do_rescale": True, "rescale_factor": 1 / 255,
                                  "do_normalize": True, **CLIP_STATS}),
    # 83x80 → short side int(64 / 0.875) = 73 → 75x73; crop 64: margins 11 and 9 (left floor 5, torchvision 6).
    ("convnext-margin11", 83, 80, 12, {"do_resize": True, "size": {"shortest_edge": 64}, "crop_pct": 0.875, "resample": 3,
                                       "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
                                       "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}),
    # 30x20 → short side 24 → 36x24; crop 27x31 (h x w), larger than the image in height: zero rows, top pad
    # ceil(3 / 2) = 2 (torchvision pads floor(3 / 2) = 1); left margin 5 (floor 2, torchvision 2).
    ("clip-pad", 30, 20, 13, {"do_resize": True, "size": {"shortest_edge": 24}, "resample": 2, "do_center_crop": True,
                              "crop_size": {"height": 27, "width": 31}, "do_rescale": True, "rescale_factor": 1 / 255,
                              "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    index = []
    for name, w, h, seed, p in CASES:
        image = textured(w, h, seed)
        image.save(os.path.join(OUT, f"{name}.png"))
        tensor = processor(image, p)
        with open(os.path.join(OUT, f"{name}.f32.gz"), "wb") as f:
            f.write(gzip.compress(tensor.astype("<f4").tobytes(), compresslevel=9, mtime=0))
        index.append({"name": name, "preprocessor_config": p, "shape": list(tensor.shape)})
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "tools/parity/make_hf_goldens.py", "numpy": np.__version__, "pillow": Image.__version__, "cases": index}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
