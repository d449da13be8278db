#!/usr/bin/python3
"""The reference side of bench/preprocess.ts: PIL + torchvision on the same JPEGs, ms per image.

    /usr/bin/python3 bench/preprocess_pil.py ITERATIONS PATH...

Pipeline: Image.open(path).convert('RGB') -> Resize(256) -> CenterCrop(224) -> ToTensor -> Normalize(ImageNet),
timed as a whole and by stage (decode / resize+crop / tensor), median of ITERATIONS runs after 3 warm-up runs,
one image at a time. Prints one JSON object per path (bench/preprocess.ts reads them).
"""
import json
import os
import sys
import time

import torch
import torchvision.transforms as T
from PIL import Image

RESIZE_CROP = T.Compose([T.Resize(256), T.CenterCrop(224)])
TENSOR = T.Compose([T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def decode(path):
    return Image.open(path).convert('RGB')


def median_ms(fn, iterations):
    for _ in range(3):
        fn()
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2]


def main():
    iterations = int(sys.argv[1])
    for path in sys.argv[2:]:
        img = decode(path)
        cropped = RESIZE_CROP(img)
        print(json.dumps({
            'path': path,
            'total': median_ms(lambda: TENSOR(RESIZE_CROP(decode(path))), iterations),
            'decode': median_ms(lambda: decode(path), iterations),
            'resizeCrop': median_ms(lambda: RESIZE_CROP(img), iterations),
            'tensor': median_ms(lambda: TENSOR(cropped), iterations),
            'load': os.getloadavg()[0],
            'torchThreads': torch.get_num_threads(),
        }), flush=True)


main()
