#!/usr/bin/python3
"""Goldens for run_1.py's DINOv2 double preprocessing (src/image/hf-reprocess.ts, the semitruths-run1 protocol of
dinov2-semitruths).

run_1.py (SemiTruths/stress_testing/run_1.py) makes `in_tens` with its own `trans` (Resize(256), CenterCrop(224),
ToTensor, ImageNet Normalize) and `torch.clamp(0, 1)`, then `predict_image_dino` calls
`processor(images=in_tens)` with facebook/dinov2-base's BitImageProcessor (resize shortest_edge 256 bicubic,
center_crop 224, rescale 1/255, ImageNet normalize). Debian has no python3-transformers, so the processor's steps
are transcribed here from transformers (>= 4.37, as the authors' requirements.txt) image_transforms.py /
image_processing_bit.py with numpy and PIL:

- `_rescale_for_pil_conversion`: integer-valued (np.allclose to astype(int)) → no rescale; all in [0, 1] → ×255;
- `to_pil_image`: `rescale(image, 255)` (float32) then `astype(np.uint8)` (truncation); PIL resize (w, h), BICUBIC;
  back to numpy and `rescale(1/255)` if it multiplied;
- `center_crop`: top = (H - h) // 2, left = (W - w) // 2;
- `rescale(1/255)`: `image.astype(np.float64) * scale` stored as float32;
- `normalize`: (image - mean) / std with mean, std in the image's dtype (float32).

    /usr/bin/python3 tools/parity/make_dinov2_run1_goldens.py [OUT_DIR]     # default tests/goldens/dinov2-run1

Writes OUT_DIR/inputs/*.png, OUT_DIR/expected/*.f32.gz (CHW float32, the tensor DINOv2 is given) and manifest.json.
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
from PIL import Image, ImageDraw
from torchvision import transforms as T

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/dinov2-run1"
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
TRANS = T.Compose((T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(mean=MEAN, std=STD)))  # run_1 `trans`


def rescale(image, scale):
    return (image.astype(np.float64) * scale).astype(np.float32)


def rescale_for_pil_conversion(image):
    if image.dtype == np.uint8:
        return False
    if np.allclose(image, image.astype(int)):
        if np.all(0 <= image) and np.all(image <= 255):
            return False
        raise ValueError("integer values outside 0..255")
    if np.all(0 <= image) and np.all(image <= 1):
        return True
    raise ValueError("values outside [0, 1]")


def bit_processor(chw):
    """BitImageProcessor(facebook/dinov2-base).preprocess on one CHW float32 array, transcribed."""
    hwc = np.transpose(chw, (1, 2, 0))
    do_rescale = rescale_for_pil_conversion(hwc)
    u8 = (rescale(hwc, 255) if do_rescale else hwc).astype(np.uint8)
    h, w = u8.shape[:2]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = 256, int(256 * long / short)
    nh, nw = (new_long, new_short) if w <= h else (new_short, new_long)
    resized = np.array(Image.fromarray(u8).resize((nw, nh), resample=Image.BICUBIC))
    resized = rescale(resized, 1 / 255) if do_rescale else resized
    top, left = (nh - 224) // 2, (nw - 224) // 2
    cropped = resized[top:top + 224, left:left + 224]
    scaled = rescale(cropped, 0.00392156862745098)  # rescale_factor 1/255
    mean, std = np.array(MEAN, dtype=scaled.dtype), np.array(STD, dtype=scaled.dtype)
    return np.transpose((scaled - mean) / std, (2, 0, 1)).astype(np.float32)


def picture(w, h, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = Image.fromarray(np.stack([x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h)], -1).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        draw.rectangle((x0, y0, x0 + int(rng.integers(8, 40)), y0 + int(rng.integers(8, 40))), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return img


CASES = [
    ("picture-512", picture(512, 512, 1)),
    ("picture-wide", picture(640, 400, 2)),
    ("noise-300", Image.fromarray(np.random.default_rng(3).integers(0, 256, (300, 300, 3), np.uint8))),
    ("white", Image.new("RGB", (256, 256), (255, 255, 255))),  # clamps to all ones: integer-valued, no ×255
    ("black", Image.new("RGB", (256, 256), (0, 0, 0))),  # all zeros
]


def main():
    os.makedirs(os.path.join(OUT, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
    cases = []
    for name, img in CASES:
        img.save(os.path.join(OUT, "inputs", f"{name}.png"))
        in_tens = torch.clamp(TRANS(img), min=0.0, max=1.0)  # run_1's real-image path (no mask)
        chw = bit_processor(in_tens.numpy())
        with gzip.GzipFile(os.path.join(OUT, "expected", f"{name}.f32.gz"), "wb", mtime=0) as f:
            f.write(chw.astype("<f4").tobytes())
        cases.append({"name": name, "image": f"inputs/{name}.png", "expected": f"expected/{name}.f32.gz", "shape": list(chw.shape),
                      "rescaledForPil": bool(rescale_for_pil_conversion(np.transpose(in_tens.numpy(), (1, 2, 0)))),
                      "min": float(chw.min()), "max": float(chw.max())})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "tools/parity/make_dinov2_run1_goldens.py", "torchvision": __import__("torchvision").__version__,
                   "pillow": Image.__version__, "numpy": np.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    for c in cases:
        print(c["name"], c["rescaledForPil"], round(c["min"], 5), round(c["max"], 5))


if __name__ == "__main__":
    main()
