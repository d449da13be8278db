#!/usr/bin/python3
"""Golden references for src/image: Pillow 9.4 / torchvision 0.14 outputs on procedural test images.

Run with Debian's interpreter (it has PIL 9.4, torchvision 0.14, numpy):

    /usr/bin/python3 tools/parity/make_image_goldens.py [OUT_DIR]     # default tests/goldens/image

Writes OUT_DIR/inputs/* (encoded test images), OUT_DIR/expected/*.u8.gz (HWC uint8) and *.f32.gz (CHW
float32, little-endian), and OUT_DIR/manifest.json describing each case with the op vocabulary of
src/image/ops.ts. Everything is deterministic (seeded numpy, gzip mtime 0), so a rerun on the same
library versions reproduces the committed files byte for byte (tools/parity/live.sh checks that).
"""
import gzip
import io
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageOps, features
from torchvision import transforms as T
from torchvision.transforms import InterpolationMode

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/image"
IN_DIR = os.path.join(OUT, "inputs")
EXP_DIR = os.path.join(OUT, "expected")

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
CLIP = {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]}


# ---------------------------------------------------------------- procedural images


def procedural(w, h, seed, noise=12.0, shapes=30, line_step=7):
    """Gradients + Gaussian noise + filled shapes + 1-px diagonal lines: smooth and high-frequency content."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([255 * x / max(w - 1, 1), 255 * y / max(h - 1, 1), 128 + 127 * np.sin((x + 2 * y) / 9.0)], -1)
    base += rng.normal(0, noise, (h, w, 3))
    im = Image.fromarray(np.clip(np.rint(base), 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    for i in range(shapes):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(2, max(3, w // 3))), y0 + int(rng.integers(2, max(3, h // 3)))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        (d.ellipse if i % 2 else d.rectangle)([x0, y0, x1, y1], fill=fill)
    for k in range(0, w + h, line_step):
        d.line([(k, 0), (k - h, h)], fill=(255, 255, 255), width=1)
    d.line([(0, h // 2), (w, h // 2)], fill=(0, 0, 0), width=1)
    return im


def png_16bit(path, arr, color_type):
    """Minimal 16-bit PNG writer (Pillow cannot write RGB;16): big-endian samples, filter 0, one IDAT."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[r].astype(">u2").tobytes() for r in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def swapped_primaries_profile():
    """An RGB ICC profile that is NOT sRGB: LittleCMS's sRGB with the red and blue colorant tags swapped.
    Applying it would change colours a lot, so a decoder that honours it is caught."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[24:36] = bytes(12)  # creation date-time: keep the file reproducible
    data[84:100] = bytes(16)  # profile ID (MD5) left "not computed", valid per ICC.1
    count = struct.unpack(">I", data[128:132])[0]
    entries = {}
    for i in range(count):
        off = 132 + 12 * i
        entries[bytes(data[off:off + 4])] = off
    r, b = entries[b"rXYZ"], entries[b"bXYZ"]
    data[r + 4:r + 12], data[b + 4:b + 12] = data[b + 4:b + 12], data[r + 4:r + 12]
    return bytes(data)


def make_inputs():
    """Writes the encoded inputs; returns {name: filename}."""
    odd = procedural(97, 61, 1)
    small = procedural(41, 29, 2)
    portrait = procedural(45, 71, 3)
    big = procedural(600, 400, 4, noise=5.0, shapes=60, line_step=11)
    rgba_alpha = np.fromfunction(lambda y, x: (x * 7 + y * 3) % 256, (61, 97)).astype(np.uint8)
    rgba_alpha[:10, :10] = 0  # fully transparent corner keeps its colour in convert('RGB')
    files = {}

    def save(name, im, fname, **kw):
        im.save(os.path.join(IN_DIR, fname), **kw)
        files[name] = fname

    save("rgb_97x61", odd, "rgb_97x61.png")
    save("rgb_41x29", small, "rgb_41x29.png")
    save("rgb_45x71", portrait, "rgb_45x71.png")
    save("big_600x400", big, "big_600x400.jpg", quality=85)
    save("jpeg_420", odd, "jpeg_420_q90.jpg", quality=90)
    save("jpeg_444", odd, "jpeg_444_q90.jpg", quality=90, subsampling=0)
    save("jpeg_progressive", odd, "jpeg_progressive.jpg", quality=90, progressive=True)
    save("jpeg_grey", odd.convert("L"), "jpeg_grey.jpg", quality=90)
    save("jpeg_cmyk", odd.convert("CMYK"), "jpeg_cmyk.jpg", quality=95)
    save("jpeg_icc", odd, "jpeg_icc.jpg", quality=90, icc_profile=swapped_primaries_profile())
    exif = Image.Exif()
    exif[0x0112] = 6
    save("jpeg_exif6", odd, "jpeg_exif6.jpg", quality=90, exif=exif.tobytes())
    save("png_grey", odd.convert("L"), "png_grey.png")
    save("png_palette", odd.convert("P", palette=Image.Palette.ADAPTIVE, colors=64), "png_palette.png")
    pal_t = small.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    save("png_palette_trns", pal_t, "png_palette_trns.png", transparency=3)
    rgba = odd.copy()
    rgba.putalpha(Image.fromarray(rgba_alpha))
    save("png_rgba", rgba, "png_rgba.png")
    la = Image.merge("LA", [small.convert("L"), Image.fromarray(rgba_alpha[:29, :41])])
    save("png_la", la, "png_la.png")
    save("png_1bit", small.convert("1"), "png_1bit.png")
    rng = np.random.default_rng(9)
    # 16-bit grey: half the samples below 256 (kept), half above (Pillow clips them to 255).
    g16 = np.where(rng.random((29, 41)) < 0.5, rng.integers(0, 256, (29, 41)), rng.integers(256, 65536, (29, 41)))
    png_16bit(os.path.join(IN_DIR, "png_grey16.png"), g16, 0)
    files["png_grey16"] = "png_grey16.png"
    png_16bit(os.path.join(IN_DIR, "png_rgb16.png"), rng.integers(0, 65536, (29, 41, 3)), 2)
    files["png_rgb16"] = "png_rgb16.png"
    png_16bit(os.path.join(IN_DIR, "png_rgba16.png"), rng.integers(0, 65536, (29, 41, 4)), 6)
    files["png_rgba16"] = "png_rgba16.png"
    return files


# ---------------------------------------------------------------- reference ops


def pil_op(im, op):
    """One op of src/image/ops.ts applied the Pillow / torchvision way. Returns a PIL image or tensor."""
    kind = op["op"]
    if kind == "resize":
        interp = InterpolationMode[op.get("filter", "bilinear").upper()]
        return T.Resize(op["size"], interpolation=interp, max_size=op.get("maxSize"))(im)
    if kind == "pilResize":
        return im.resize((op["width"], op["height"]), FILTERS[op["filter"]] if "filter" in op else None)
    if kind == "centerCrop":
        return T.CenterCrop(op["size"])(im)
    if kind == "cropToEven":
        return im.crop((0, 0, im.width & ~1, im.height & ~1))
    if kind == "gaussianBlur":
        return im.filter(ImageFilter.GaussianBlur(op["radius"]))
    if kind == "jpeg":
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=op["quality"], subsampling=0 if op.get("subsampling") == "4:4:4" else -1)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if kind == "toTensor":
        return T.ToTensor()(im)
    if kind == "normalize":
        return T.Normalize(op["mean"], op["std"])(im)
    if kind == "clamp":
        return torch.clamp(im, op["min"], op["max"])
    raise ValueError(f"unknown op {kind}")


def write_expected(case_id, value):
    stem = case_id.replace("/", "__")
    if isinstance(value, torch.Tensor):
        arr = value.numpy().astype("<f4")
        fname, dtype = stem + ".f32.gz", "f32"
    else:
        arr = np.asarray(value.convert("RGB") if value.mode != "RGB" else value, dtype=np.uint8)
        fname, dtype = stem + ".u8.gz", "u8"
    with open(os.path.join(EXP_DIR, fname), "wb") as f:
        f.write(gzip.compress(arr.tobytes(), compresslevel=9, mtime=0))
    return {"file": "expected/" + fname, "dtype": dtype, "shape": list(arr.shape)}


# ---------------------------------------------------------------- cases


def cases():
    """(id, input name, applyExifOrientation, ops). Empty ops = decode only."""
    out = []
    for name in INPUT_NAMES:
        if name != "big_600x400":  # 700 KB of pixels; its decode is covered by the downscale6x cases
            out.append((f"decode/{name}", name, False, []))
    out.append(("decode/jpeg_exif6_oriented", "jpeg_exif6", True, []))
    for f in FILTERS:
        out.append((f"pilResize/{f}-down", "rgb_97x61", False, [{"op": "pilResize", "width": 43, "height": 27, "filter": f}]))
        out.append((f"pilResize/{f}-up", "rgb_41x29", False, [{"op": "pilResize", "width": 67, "height": 47, "filter": f}]))
    out.append(("pilResize/default-bicubic-mixed", "rgb_97x61", False, [{"op": "pilResize", "width": 50, "height": 90}]))
    for f in ("bilinear", "bicubic", "lanczos", "nearest"):
        out.append((f"downscale6x/{f}", "big_600x400", False, [{"op": "pilResize", "width": 97, "height": 61, "filter": f}]))
    out.append(("downscale6x/tv-resize64", "big_600x400", False, [{"op": "resize", "size": 64}]))
    out.append(("tvResize/int-landscape+crop", "rgb_97x61", False, [{"op": "resize", "size": 64}, {"op": "centerCrop", "size": 48}]))
    out.append(("tvResize/int-portrait+crop", "rgb_45x71", False, [{"op": "resize", "size": 32}, {"op": "centerCrop", "size": 31}]))
    out.append(("tvResize/int-upscale+crop", "rgb_41x29", False, [{"op": "resize", "size": 48}, {"op": "centerCrop", "size": [40, 47]}]))
    out.append(("tvResize/maxsize", "rgb_97x61", False, [{"op": "resize", "size": 40, "maxSize": 50}]))
    out.append(("tvResize/exact-hw-bicubic", "rgb_97x61", False, [{"op": "resize", "size": [50, 70], "filter": "bicubic"}]))
    out.append(("centerCrop/larger-both", "rgb_41x29", False, [{"op": "centerCrop", "size": [36, 50]}]))
    out.append(("centerCrop/larger-square", "rgb_41x29", False, [{"op": "centerCrop", "size": 45}]))
    out.append(("centerCrop/larger-width-only", "rgb_41x29", False, [{"op": "centerCrop", "size": [20, 48]}]))
    out.append(("cropToEven/odd", "rgb_97x61", False, [{"op": "cropToEven"}]))
    for r in (2, 5):
        out.append((f"gaussianBlur/r{r}", "rgb_97x61", False, [{"op": "gaussianBlur", "radius": r}]))
    out.append(("gaussianBlur/r0.7", "rgb_41x29", False, [{"op": "gaussianBlur", "radius": 0.7}]))
    for q in (75, 90, 95):
        out.append((f"jpeg/q{q}-420", "rgb_97x61", False, [{"op": "jpeg", "quality": q}]))
    out.append(("jpeg/q90-444", "rgb_97x61", False, [{"op": "jpeg", "quality": 90, "subsampling": "4:4:4"}]))
    tensor = [{"op": "toTensor"}, {"op": "normalize", **IMAGENET}]
    out.append(("tensor/imagenet", "rgb_41x29", False, tensor))
    out.append(("tensor/clip", "rgb_41x29", False, [{"op": "toTensor"}, {"op": "normalize", **CLIP}]))
    out.append(("pipeline/run1-jpeg", "jpeg_420", False,
                [{"op": "resize", "size": 64}, {"op": "centerCrop", "size": 56}] + tensor + [{"op": "clamp", "min": 0, "max": 1}]))
    out.append(("pipeline/ufd-run1-blur", "rgb_97x61", False,
                [{"op": "gaussianBlur", "radius": 2}, {"op": "resize", "size": 64}, {"op": "centerCrop", "size": 48}] + tensor))
    return out


def main():
    global INPUT_NAMES
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(IN_DIR)
    os.makedirs(EXP_DIR)
    inputs = make_inputs()
    INPUT_NAMES = list(inputs)
    manifest = {
        "generator": "tools/parity/make_image_goldens.py",
        "versions": {
            "pillow": PIL.__version__,
            "torchvision": torchvision.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "libjpeg_turbo": features.version("jpg"),
        },
        "inputs": inputs,
        "cases": [],
    }
    for case_id, name, orient, ops in cases():
        im = Image.open(os.path.join(IN_DIR, inputs[name]))
        if orient:
            im = ImageOps.exif_transpose(im)
        value = im.convert("RGB")
        for op in ops:
            value = pil_op(value, op)
        case = {"id": case_id, "input": name, "ops": ops, "expected": write_expected(case_id, value)}
        if orient:
            case["applyExifOrientation"] = True
        manifest["cases"].append(case)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        head = {k: v for k, v in manifest.items() if k != "cases"}
        f.write(json.dumps(head, indent=1)[:-2] + ',\n "cases": [\n')
        f.write(",\n".join("  " + json.dumps(c) for c in manifest["cases"]) + "\n ]\n}\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"{len(manifest['cases'])} cases, {len(inputs)} inputs, {total} bytes in {OUT}")


INPUT_NAMES = []

if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
