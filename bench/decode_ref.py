"""The reference side of bench/decode.ts: the per-image CPU work of the Python pipeline outside the model.

  /usr/bin/python3 bench/decode_ref.py REPEAT IMAGE ...

For each image, REPEAT times (after one warm-up): read the file, sha256 it (hashlib), decode
(`Image.open(BytesIO(bytes)).convert('RGB')`, forced with `load()`), and run run_1.py's transform (Resize(256),
CenterCrop(224), ToTensor, Normalize, clamp). Prints ONE JSON line {path: {stage: [cpu_ms, wall_ms]}}: medians of
process CPU time (time.process_time: every thread of the process) and of wall time.
"""
from __future__ import annotations

import hashlib
import io
import json
import statistics
import sys
import time

import torch
from PIL import Image
from torchvision import transforms as T

TRANSFORM = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                       T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), lambda x: torch.clamp(x, 0.0, 1.0)])
STAGES = ('read', 'hash', 'decode', 'preprocess')


def once(path: str) -> dict[str, tuple[float, float]]:
    out = {}
    c, w = time.process_time(), time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal c, w
        c2, w2 = time.process_time(), time.perf_counter()
        out[stage] = ((c2 - c) * 1000, (w2 - w) * 1000)
        c, w = time.process_time(), time.perf_counter()

    with open(path, 'rb') as f:
        data = f.read()
    lap('read')
    hashlib.sha256(data).hexdigest()
    lap('hash')
    rgb = Image.open(io.BytesIO(data)).convert('RGB')
    rgb.load()
    lap('decode')
    TRANSFORM(rgb)
    lap('preprocess')
    return out


def main() -> int:
    repeat = int(sys.argv[1])
    torch.set_num_threads(1)
    result = {}
    for path in sys.argv[2:]:
        once(path)
        runs = [once(path) for _ in range(repeat)]
        result[path] = {s: [statistics.median(r[s][0] for r in runs), statistics.median(r[s][1] for r in runs)] for s in STAGES}
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
