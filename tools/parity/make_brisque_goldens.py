#!/usr/bin/python3
"""Parity goldens for src/generation/brisque (semibench).

A reference implementation of the `brisque` Python package's score (rehanguha/brisque, brisque/brisque.py, the
package the Semi-Truths authors' quality gate uses), written from its algorithm with Debian's numpy, scipy,
scikit-image and OpenCV. Every step uses the same library call the package makes (skimage rgb2gray,
scipy.signal.convolve2d 'same', scipy.optimize.root from 0.2, cv2.resize INTER_CUBIC at fx=fy=0.5); the libsvm
epsilon-SVR prediction is its formula, sum(coef * exp(-gamma |x - sv|^2)) - rho, over the model in
src/generation/brisque/model/svm.txt (libsvm's svm_predict_probability returns exactly that value for an SVR model).

Writes procedural photos, edits and odd sizes (PNG) and expected.json (36 features + score per image) to
tests/goldens/brisque/. Run:  /usr/bin/python3 tools/parity/make_brisque_goldens.py [--out tests/goldens/brisque]
bench/brisque.ts imports `score_path` from this module for timing.
"""
import argparse
import json
import os
import time

import cv2
import numpy as np
import scipy.optimize as optimize
import scipy.signal as signal
import scipy.special as special
import skimage.color
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_DIR = os.path.join(HERE, '..', '..', 'src', 'generation', 'brisque', 'model')


def gaussian_kernel2d(n, sigma):
    Y, X = np.indices((n, n)) - int(n / 2)
    k = 1 / (2 * np.pi * sigma ** 2) * np.exp(-(X ** 2 + Y ** 2) / (2 * sigma ** 2))
    return k / np.sum(k)


def mscn(image, kernel_size=7, sigma=7 / 6):
    C = 1 / 255
    kernel = gaussian_kernel2d(kernel_size, sigma)
    local_mean = signal.convolve2d(image, kernel, 'same')
    local_var = np.sqrt(np.abs(local_mean ** 2 - signal.convolve2d(image ** 2, kernel, 'same')))
    return (image - local_mean) / (local_var + C)


def pair_products(m):
    return [m, m[:, :-1] * m[:, 1:], m[:-1, :] * m[1:, :], m[:-1, :-1] * m[1:, 1:], m[1:, :-1] * m[:-1, 1:]]


def mean_squares(x, sel):
    v = x[sel]
    return np.sum(v ** 2) / v.shape[0]


def aggd_fit(x):
    size = np.prod(x.shape)
    r_hat = (np.sum(np.abs(x)) / size) ** 2 / (np.sum(x ** 2) / size)
    gamma = np.sqrt(mean_squares(x, x < 0)) / np.sqrt(mean_squares(x, x >= 0))
    R_hat = r_hat * ((gamma ** 3 + 1) * (gamma + 1)) / ((gamma ** 2 + 1) ** 2)
    phi = lambda a: special.gamma(2 / a) ** 2 / (special.gamma(1 / a) * special.gamma(3 / a))
    sol = optimize.root(lambda z: phi(z) - R_hat, [0.2])
    alpha = sol.x[0]
    UNSOLVED.append(not sol.success)
    sigma_l = np.sqrt(mean_squares(x, x < 0))
    sigma_r = np.sqrt(mean_squares(x, x >= 0))
    constant = np.sqrt(special.gamma(1 / alpha) / special.gamma(3 / alpha))
    mean = (sigma_r - sigma_l) * constant * (special.gamma(2 / alpha) / special.gamma(1 / alpha))
    return alpha, mean, sigma_l, sigma_r


UNSOLVED = []  # per alpha, in feature order: hybrd reported no root (R_hat >= 0.75 has none; its x is arbitrary)


def scale_features(image):
    out = []
    for i, c in enumerate(pair_products(mscn(image))):
        alpha, mean, sl, sr = aggd_fit(c)
        out += [alpha, (sl ** 2 + sr ** 2) / 2] if i == 0 else [alpha, mean, sl ** 2, sr ** 2]
    return out


def features(rgb):
    if rgb.ndim == 3 and rgb.shape[2] == 4:
        rgb = rgb[:, :, :3]
    grey = skimage.color.rgb2gray(rgb)
    half = cv2.resize(grey, None, fx=1 / 2, fy=1 / 2, interpolation=cv2.INTER_CUBIC)
    return np.array(scale_features(grey) + scale_features(half))


def load_model():
    with open(os.path.join(MODEL_DIR, 'normalize.json')) as f:
        norm = json.load(f)
    coefs, svs, gamma, rho = [], [], None, None
    with open(os.path.join(MODEL_DIR, 'svm.txt')) as f:
        in_sv = False
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if in_sv:
                coefs.append(float(parts[0]))
                sv = np.zeros(36)
                for p in parts[1:]:
                    k, v = p.split(':')
                    sv[int(k) - 1] = float(v)
                svs.append(sv)
            elif parts[0] == 'gamma':
                gamma = float(parts[1])
            elif parts[0] == 'rho':
                rho = float(parts[1])
            elif parts[0] == 'SV':
                in_sv = True
    return np.array(norm['min_']), np.array(norm['max_']), np.array(coefs), np.array(svs), gamma, rho


MODEL = None


def score(feats):
    global MODEL
    if MODEL is None:
        MODEL = load_model()
    lo, hi, coefs, svs, gamma, rho = MODEL
    x = -1 + (2.0 / (hi - lo) * (feats - lo))
    return float(np.sum(coefs * np.exp(-gamma * np.sum((svs - x) ** 2, axis=1))) - rho)


def score_path(path):
    return score(features(np.array(Image.open(path).convert('RGB'))))


def procedural_photo(rng, h, w):
    """A smooth scene (sky gradient, blobs, texture, noise) so the MSCN statistics look photographic."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        img[:, :, c] = 60 + 120 * (y / h) + 40 * np.sin(x / (7 + 5 * c) + c)
    for _ in range(6):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(5, max(h, w) / 3)
        col = rng.uniform(0, 255, 3)
        inside = (y - cy) ** 2 + (x - cx) ** 2 < r * r
        img[inside] = 0.5 * img[inside] + 0.5 * col
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(HERE, '..', '..', 'tests', 'goldens', 'brisque'))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(11)
    cases = {}
    photo = procedural_photo(rng, 96, 128)
    cases['photo'] = photo
    blurred = cv2.GaussianBlur(photo, (7, 7), 2)
    cases['edit-blur'] = blurred
    edit = photo.copy()
    edit[20:60, 30:90] = np.clip(edit[20:60, 30:90].astype(int) + rng.integers(-40, 40, (40, 60, 3)), 0, 255)
    cases['edit-noise-patch'] = edit.astype(np.uint8)
    cases['odd-101x77'] = procedural_photo(rng, 77, 101)
    cases['odd-103x53'] = procedural_photo(rng, 53, 103)
    cases['tiny-17x15'] = procedural_photo(rng, 15, 17)
    expected = {}
    for name, img in cases.items():
        Image.fromarray(img).save(os.path.join(args.out, name + '.png'))
        UNSOLVED.clear()
        f = features(np.array(Image.open(os.path.join(args.out, name + '.png')).convert('RGB')))
        alpha_index = [0] + [2 + 4 * i for i in range(4)] + [18] + [20 + 4 * i for i in range(4)]
        unsolved = [a for a, bad in zip(alpha_index, UNSOLVED) if bad]
        expected[name] = {'features': [float(v) for v in f], 'score': score(f), 'unsolved_alpha': unsolved}
    with open(os.path.join(args.out, 'expected.json'), 'w') as fh:
        json.dump({'generator': 'tools/parity/make_brisque_goldens.py', 'images': expected}, fh, indent=1)
    t = time.time()
    n = 0
    for name in cases:
        score_path(os.path.join(args.out, name + '.png'))
        n += 1
    print({k: round(v['score'], 4) for k, v in expected.items()}, f'{n / (time.time() - t):.2f} images/s')


if __name__ == '__main__':
    main()
