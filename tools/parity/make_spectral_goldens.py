#!/usr/bin/python3
"""Golden scores for the weight-free spectral-hf detector (src/detectors/builtin/spectral-hf.ts), from NumPy.

    /usr/bin/python3 tools/parity/make_spectral_goldens.py [OUT_DIR]     # default tests/goldens/spectral

Written from the statistic's definition only (Durall et al. 2020, scalar variant), with NumPy's own FFT and
frequency grid, so the test does not share code with the ONNX graph:
    luma = (0.299 R + 0.587 G + 0.114 B) / 255            on the 256 x 256 centre crop
    M = 10 ln(|FFT2(luma)|^2 + 1e-8)
    rho = sqrt(fy^2 + fx^2) / (N / 2)                      fy, fx = np.fft.fftfreq(N) * N (|.| = min(k, N - k))
    stat = mean(M over 0.75 <= rho <= 1) - mean(M over 0.25 <= rho < 0.5)
    logit = (stat - (-25)) / 5, score = sigmoid(logit)
Writes OUT_DIR/<case>.png (256 x 256 inputs) and OUT_DIR/expected.json (logits: the score saturates near 1 for
noise, where probabilities hide differences). Deterministic (seeded NumPy).
"""
import json
import os
import sys

import numpy as np
from PIL import Image

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/spectral"
N = 256


def score(rgb):
    luma = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]) / 255.0
    power = np.abs(np.fft.fft2(luma)) ** 2
    m = 10 * np.log(power + 1e-8)
    f = np.abs(np.fft.fftfreq(N) * N)
    rho = np.hypot(f[:, None], f[None, :]) / (N / 2)
    high = (rho >= 0.75) & (rho <= 1)
    mid = (rho >= 0.25) & (rho < 0.5)
    stat = m[high].mean() - m[mid].mean()
    return (stat + 25) / 5  # the logit; score = sigmoid(logit)


def cases():
    rng = np.random.default_rng(7)
    white = np.repeat(rng.integers(0, 256, (N, N, 1), dtype=np.uint8), 3, axis=2)
    y, x = np.mgrid[0:N, 0:N].astype(np.float64)
    smooth = 128 + 90 * np.sin(x / 40) * np.cos(y / 55)
    smooth = np.repeat(np.clip(np.rint(smooth), 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    # A 2x nearest-neighbour upsampled noise image: the periodic trace the high band is meant to see.
    upsampled = rng.integers(0, 256, (N // 2, N // 2, 1), dtype=np.uint8).repeat(2, axis=0).repeat(2, axis=1).repeat(3, axis=2)
    return {"white": white, "smooth": smooth, "upsampled": upsampled}


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, rgb in cases().items():
        Image.fromarray(rgb).save(os.path.join(OUT, f"{name}.png"))
        expected[name] = float(score(rgb.astype(np.float64)))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"generator": "tools/parity/make_spectral_goldens.py", "numpy": np.__version__, "logits": expected}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
