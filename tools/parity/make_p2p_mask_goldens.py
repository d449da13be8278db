#!/usr/bin/python3
"""Parity goldens for the post-edit masks of prompt-based edits (semibench generate, src/generation/change/change-regions.ts
changeRegionMask).

The release's p2p_masks are `save_img` of Change.calc_cc_ratio_new (SemiTruths/change_metrics/magnitude_change.py
@ 04307fe): `final_labels_4 > 0` as uint8 255, written with `cv2.imwrite` (the commented-out lines after the
calc_cc_ratio_new call in calc_metrics). This script runs the authors' calc_mse + calc_cc_ratio (copied in
make_change_goldens.py) on the change goldens' pairs (tests/goldens/change, so the cases include specks, odd
sizes, a resize and the uint8 label wrap) and writes each mask as tests/goldens/p2p-mask/{name}.mask.png.

    /usr/bin/python3 tools/parity/make_p2p_mask_goldens.py
"""
import json
import os
import sys

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from make_change_goldens import calc_cc_ratio, calc_mse  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
PAIRS = os.path.join(ROOT, 'tests', 'goldens', 'change')
OUT = os.path.join(ROOT, 'tests', 'goldens', 'p2p-mask')


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = json.load(open(os.path.join(PAIRS, 'expected.json')))
    rows = []
    for pair in expected['pairs']:
        real = Image.open(os.path.join(PAIRS, pair['real'])).convert('RGB')
        fake = Image.open(os.path.join(PAIRS, pair['edited'])).convert('RGB').resize(real.size)
        _, binary, _ = calc_mse(real, fake)
        ratio, _, _, _, total, _, _, save_img = calc_cc_ratio(binary)
        name = f"{pair['name']}.mask.png"
        cv2.imwrite(os.path.join(OUT, name), save_img)
        rows.append({'name': pair['name'], 'real': pair['real'], 'edited': pair['edited'], 'mask': name,
                     'mask_pixels': int(np.count_nonzero(save_img)), 'total_pixels': int(total)})
        print(f"{pair['name']:>24}  mask px={rows[-1]['mask_pixels']} ratio={ratio:.6f}")
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump({'generator': 'tools/parity/make_p2p_mask_goldens.py', 'pairs_from': 'tests/goldens/change',
                   'versions': {'numpy': np.__version__, 'opencv': cv2.__version__}, 'masks': rows}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
