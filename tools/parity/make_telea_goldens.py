#!/usr/bin/python3
"""Golden references for the classical inpainting backend: OpenCV's `cv2.inpaint(..., cv2.INPAINT_TELEA)`.

Run with Debian's interpreter (python3-opencv 4.6, python3-pil 9.4, numpy):

    /usr/bin/python3 tools/parity/make_telea_goldens.py [OUT_DIR]     # default tests/goldens/telea

Writes OUT_DIR/inputs/*.png (procedural RGB images and 8-bit masks), OUT_DIR/expected/*.png (the inpainted
RGB images) and OUT_DIR/manifest.json. The images are handed to OpenCV as they are: Telea treats the three
channels independently, so RGB vs BGR order does not change any value. Deterministic (seeded numpy).
"""
import json
import os
import shutil
import sys

import cv2
import numpy as np
import PIL
from PIL import Image, ImageDraw

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/telea"


def photo(w, h, seed):
    """Gradients, noise, shapes and thin lines: smooth areas and edges for the fast-marching fill to follow."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([255 * x / max(w - 1, 1), 255 * y / max(h - 1, 1), 128 + 120 * np.sin((x + 2 * y) / 7.0)], -1)
    base += rng.normal(0, 10, (h, w, 3))
    im = Image.fromarray(np.clip(np.rint(base), 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    for i in range(12):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(3, max(4, w // 3))), y0 + int(rng.integers(3, max(4, h // 3)))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        (d.ellipse if i % 2 else d.rectangle)([x0, y0, x1, y1], fill=fill)
    for k in range(0, w + h, 9):
        d.line([(k, 0), (k - h, h)], fill=(250, 250, 250), width=1)
    return im


def mask(w, h, kind, seed):
    rng = np.random.default_rng(seed)
    m = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(m)
    if kind == "ellipse":
        d.ellipse([w // 4, h // 4, 3 * w // 4, 3 * h // 4], fill=255)
    elif kind == "borders":  # touches all four edges: OpenCV skips row 0 and column 0 of the mask
        d.rectangle([0, 0, w // 3, h // 3], fill=255)
        d.rectangle([2 * w // 3, 2 * h // 3, w - 1, h - 1], fill=255)
        d.line([(0, h // 2), (w - 1, h // 2)], fill=255, width=2)
    elif kind == "blobs":
        for _ in range(6):
            cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(2, max(3, w // 6)))
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    elif kind == "lines":
        for k in range(0, w, 7):
            d.line([(k, 0), (k + h // 2, h - 1)], fill=255, width=1)
    elif kind == "grey":  # any non-zero value is inside, whatever its level
        arr = np.zeros((h, w), np.uint8)
        arr[h // 5 : 4 * h // 5, w // 3 : 2 * w // 3] = rng.integers(1, 256, (4 * h // 5 - h // 5, 2 * w // 3 - w // 3))
        return Image.fromarray(arr)
    elif kind == "empty":
        pass
    elif kind == "full":
        d.rectangle([0, 0, w, h], fill=255)
    return m


CASES = [
    # id, width, height, image seed, mask kind, radius
    ("ellipse_64x48_r3", 64, 48, 1, "ellipse", 3),
    ("borders_37x29_r3", 37, 29, 2, "borders", 3),
    ("blobs_101x67_r5", 101, 67, 3, "blobs", 5),
    ("lines_45x71_r1", 45, 71, 4, "lines", 1),
    ("grey_50x40_r3", 50, 40, 5, "grey", 3),
    ("ellipse_160x120_r3", 160, 120, 6, "ellipse", 3),
    ("blobs_33x33_r2.6", 33, 33, 7, "blobs", 2.6),
    ("empty_20x16_r3", 20, 16, 8, "empty", 3),
    ("full_20x16_r3", 20, 16, 9, "full", 3),
]


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for sub in ("inputs", "expected"):
        os.makedirs(os.path.join(OUT, sub))
    cases = []
    for cid, w, h, seed, kind, radius in CASES:
        im, m = photo(w, h, seed), mask(w, h, kind, seed + 100)
        image_file, mask_file, expected_file = f"inputs/{cid}.png", f"inputs/{cid}_mask.png", f"expected/{cid}.png"
        im.save(os.path.join(OUT, image_file))
        m.save(os.path.join(OUT, mask_file))
        result = cv2.inpaint(np.asarray(im), np.asarray(m), radius, cv2.INPAINT_TELEA)
        Image.fromarray(result).save(os.path.join(OUT, expected_file))
        cases.append({"id": cid, "image": image_file, "mask": mask_file, "radius": radius, "expected": expected_file})
    manifest = {"versions": {"opencv": cv2.__version__, "pillow": PIL.__version__, "numpy": np.__version__}, "cases": cases}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} Telea cases to {OUT}")


if __name__ == "__main__":
    main()
