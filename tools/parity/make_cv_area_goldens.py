#!/usr/bin/python3
"""Goldens for CrossEfficientViT's test transform (src/image/cv-area.ts): OpenCV INTER_AREA shrinking and the
repository's IsotropicResize + PadIfNeeded (cross-efficient-vit/test.py `create_base_transform`,
transforms/albu.py `isotropically_resize_image`; albumentations' PadIfNeeded is re-stated with numpy, centre, zeros).

    /usr/bin/python3 tools/parity/make_cv_area_goldens.py [OUT_DIR]     # default tests/goldens/cv-area

Debian's python3-opencv 4.6 (no IPP). Writes OUT_DIR/inputs/*.png, OUT_DIR/expected/*.u8.gz (HWC uint8, the
image's own channel order) and manifest.json.
"""
import gzip
import json
import os
import sys

import cv2
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/cv-area"


def isotropically_resize_image(img, size, interpolation_down=cv2.INTER_AREA, interpolation_up=cv2.INTER_CUBIC):
    h, w = img.shape[:2]
    if max(w, h) == size:
        return img
    if w > h:
        scale = size / w
        h = h * scale
        w = size
    else:
        scale = size / h
        w = w * scale
        h = size
    interpolation = interpolation_up if scale > 1 else interpolation_down
    img = img.astype('uint8')
    return cv2.resize(img, (int(w), int(h)), interpolation=interpolation)


def pad_if_needed(img, size):  # albumentations PadIfNeeded(size, size, border_mode=cv2.BORDER_CONSTANT, value=0)
    h, w = img.shape[:2]
    top = int((size - h) / 2.0) if h < size else 0
    left = int((size - w) / 2.0) if w < size else 0
    return np.pad(img, ((top, max(size - h, 0) - top), (left, max(size - w, 0) - left), (0, 0)))


def picture(w, h, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 / w, y * 255 / h, (x + y) * 127 / (w + h)], -1).astype(np.uint8)
    for _ in range(15):
        x0, y0 = int(rng.integers(0, w - 30)), int(rng.integers(0, h - 30))
        img[y0:y0 + int(rng.integers(3, 30)), x0:x0 + int(rng.integers(3, 30))] = rng.integers(0, 256, 3)
    noise = rng.integers(-2, 3, img.shape)  # breaks ties without bloating the PNGs
    return np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)


CASES = [  # name, (w, h), kind, target (w, h) for plain resizes
    ("square-512", (512, 512), "transform", None),
    ("wide-640x400", (640, 400), "transform", None),
    ("tall-300x500", (300, 500), "transform", None),
    ("odd-331x229", (331, 229), "transform", None),
    ("exact-224", (224, 180), "transform", None),
    ("area-97x61-to-40x25", (97, 61), "area", (40, 25)),
    ("area-513x300-to-100x77", (513, 300), "area", (100, 77)),
]


def main():
    os.makedirs(os.path.join(OUT, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
    cases = []
    for i, (name, (w, h), kind, target) in enumerate(CASES):
        img = picture(w, h, i)
        cv2.imwrite(os.path.join(OUT, "inputs", f"{name}.png"), img[:, :, ::-1])  # stored as RGB PNG
        out = pad_if_needed(isotropically_resize_image(img, 224), 224) if kind == "transform" else cv2.resize(img, target, interpolation=cv2.INTER_AREA)
        with gzip.GzipFile(os.path.join(OUT, "expected", f"{name}.u8.gz"), "wb", mtime=0) as f:
            f.write(np.ascontiguousarray(out).tobytes())
        cases.append({"name": name, "image": f"inputs/{name}.png", "kind": kind, "width": int(out.shape[1]), "height": int(out.shape[0]),
                      "expected": f"expected/{name}.u8.gz"})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "tools/parity/make_cv_area_goldens.py", "opencv": cv2.__version__, "cases": cases}, f, indent=1)
        f.write("\n")
    print(json.dumps([(c["name"], c["width"], c["height"]) for c in cases]))


if __name__ == "__main__":
    main()
