#!/usr/bin/python3
"""Golden references for `area_ratio` (src/generation/change/mask-area.ts) on masks of every kind the dataset ships.

The authors' code that wrote the released `ratio` column is not public (the input metadata ships it precomputed).
What is known: ratio x 512^2 is an integer on all 10 sample rows (a pixel count), and on the 10 sample masks
`count(L > 0)` matches only the 4 clean binary ones while anti-aliased PNGs (CityScapes) and JPEG masks (CelebAHQ,
SUN_RGBD) come out 2-20 % too large; `count(L >= 128)` is within about 1 % on all 10 (issue 10's audit). So
semibench counts the pixels the inpainting model repaints: diffusers binarises the mask at 0.5, i.e. L >= 128
after Pillow's convert("L") (as inpaint_img reads masks).

    mask = np.array(Image.open(mask_path).convert("L"))
    area_ratio = np.count_nonzero(mask >= 128) / mask.size

Run with Debian's interpreter (python3-pil, numpy):

    /usr/bin/python3 tools/parity/make_area_ratio_goldens.py [OUT_DIR]     # default tests/goldens/area-ratio

Writes OUT_DIR/*.png|jpg (binary, anti-aliased, blurred, JPEG-compressed, RGB, RGBA, palette, 1-bit masks) and
OUT_DIR/expected.json: per mask the rule's value (`area_ratio`) and, for the record, `count(L > 0)` (`nonzero`),
the old rule, which differs on every soft-edged kind. Deterministic.
"""
import json
import os
import shutil
import sys

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFilter

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/area-ratio"


def shapes(w, h, seed):
    """A binary object-like mask: an ellipse, a polygon and a few thin lines."""
    rng = np.random.default_rng(seed)
    m = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(m)
    d.ellipse([w // 5, h // 4, w // 2, 3 * h // 4], fill=255)
    d.polygon([(w // 2, h // 6), (9 * w // 10, h // 3), (3 * w // 4, 5 * h // 6)], fill=255)
    for _ in range(3):
        pts = [(int(rng.integers(0, w)), int(rng.integers(0, h))) for _ in range(2)]
        d.line(pts, fill=255, width=max(1, w // 100))
    return m


def masks():
    rng = np.random.default_rng(11)
    binary = shapes(96, 64, 1)
    # CityScapes-like: a binary instance mask at 2048x1024 resized to 512x256 with a filtering resample (soft edges)
    cityscapes = shapes(2048, 1024, 2).resize((512, 256), Image.Resampling.BILINEAR)
    lanczos = shapes(244, 172, 3).resize((61, 43), Image.Resampling.LANCZOS)  # overshoot, many grey levels
    blurred = shapes(80, 60, 4).filter(ImageFilter.GaussianBlur(3))
    rgb = Image.merge("RGB", [shapes(50, 40, 5)] * 3)
    coloured = Image.merge("RGB", [shapes(50, 40, 6), shapes(50, 40, 7), Image.new("L", (50, 40), 90)])
    rgba = shapes(45, 71, 8).convert("RGBA")
    rgba.putalpha(Image.fromarray(rng.integers(0, 256, (71, 45), np.uint8)))  # convert("L") ignores alpha
    palette = shapes(40, 30, 9).convert("P")
    onebit = shapes(50, 30, 10).convert("1")
    levels = Image.fromarray(np.arange(256, dtype=np.uint8).reshape(16, 16))  # every level once: the threshold itself
    return [
        ("binary_grey", "png", binary, {}),
        ("antialiased_cityscapes", "png", cityscapes, {}),
        ("antialiased_lanczos", "png", lanczos, {}),
        ("blurred", "png", blurred, {}),
        ("binary_rgb", "png", rgb, {}),
        ("coloured_rgb", "png", coloured, {}),
        ("rgba", "png", rgba, {}),
        ("palette", "png", palette, {}),
        ("onebit", "png", onebit, {}),
        ("levels", "png", levels, {}),
        # CelebAHQ / SUN_RGBD masks ship as JPEG: compression ringing around the edges, noise in the background
        ("jpeg_grey_q75", "jpg", shapes(128, 96, 12), {"quality": 75}),
        ("jpeg_rgb_q90", "jpg", Image.merge("RGB", [shapes(120, 88, 13)] * 3), {"quality": 90}),
        ("jpeg_celebahq_q95", "jpg", shapes(512, 512, 14).filter(ImageFilter.GaussianBlur(1)), {"quality": 95}),
    ]


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    rows = []
    for name, ext, img, save in masks():
        file = f"{name}.{ext}"
        path = os.path.join(OUT, file)
        img.save(path, **save)
        grey = np.array(Image.open(path).convert("L"))
        n = grey.size
        rows.append({
            "name": name,
            "file": file,
            "mode": Image.open(path).mode,
            "width": int(grey.shape[1]),
            "height": int(grey.shape[0]),
            "area_ratio": np.count_nonzero(grey >= 128) / n,
            "nonzero": np.count_nonzero(grey > 0) / n,
        })
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"generator": "tools/parity/make_area_ratio_goldens.py", "pillow": PIL.__version__, "numpy": np.__version__,
                   "rule": "np.count_nonzero(np.array(Image.open(p).convert('L')) >= 128) / size", "masks": rows}, f, indent=1)
        f.write("\n")
    for r in rows:
        print(f"{r['name']:>24} {r['mode']:>5} {r['width']}x{r['height']}  >=128 {r['area_ratio']:.6f}  >0 {r['nonzero']:.6f}")


if __name__ == "__main__":
    main()
