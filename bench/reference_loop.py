"""The reference PyTorch loop of `npm run bench:run` (bench/run.ts): PIL + torchvision + torch, as the Semi-Truths
scripts score images (run_1.py `trans`: Resize(256), CenterCrop(224), ToTensor, Normalize, clamp), with 2 threads.

  /usr/bin/python3 bench/reference_loop.py --weights W.pth --batch 1|32 @images.txt        -> scores and seconds
  /usr/bin/python3 bench/reference_loop.py --preprocess --repeat 20 IMAGE ...              -> ms per image

Prints ONE JSON line: {"seconds": wall time of the loop (model load excluded), "images": n, "scores": {path: P(fake)}}
or, with --preprocess, {"decode_ms": {path: ms}, "preprocess_ms": {path: ms}}: the median over --repeat of
`Image.open(p).convert('RGB')` (decode) and of the transform alone (resize + crop + to tensor + normalise).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tools' / 'export'))

import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms as T  # noqa: E402

from common import configure_threads, load_state_dict, load_strict  # noqa: E402

TRANSFORM = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                       T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), lambda x: torch.clamp(x, 0.0, 1.0)])


def load(path: str) -> torch.Tensor:
    with Image.open(path) as image:
        return TRANSFORM(image.convert('RGB'))


def score(args: argparse.Namespace) -> dict:
    model = torchvision.models.resnet50(num_classes=1)
    load_strict(model, load_state_dict(args.weights), args.weights)
    model.eval()
    scores: dict[str, float] = {}
    started = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(args.images), args.batch):
            paths = args.images[i:i + args.batch]
            logits = model(torch.stack([load(p) for p in paths])).reshape(-1)
            scores.update({p: float(torch.sigmoid(v)) for p, v in zip(paths, logits)})
    return {'seconds': time.perf_counter() - started, 'images': len(args.images), 'scores': scores}


def preprocess(args: argparse.Namespace) -> dict:
    decode, prep = {}, {}
    for path in args.images:
        d, p = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            with Image.open(path) as image:
                rgb = image.convert('RGB')
            t1 = time.perf_counter()
            TRANSFORM(rgb)
            t2 = time.perf_counter()
            d.append((t1 - t0) * 1000)
            p.append((t2 - t1) * 1000)
        decode[path], prep[path] = statistics.median(d), statistics.median(p)
    return {'decode_ms': decode, 'preprocess_ms': prep}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, fromfile_prefix_chars='@')
    parser.add_argument('--weights')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--preprocess', action='store_true')
    parser.add_argument('--repeat', type=int, default=20)
    parser.add_argument('images', nargs='+')
    args = parser.parse_args()
    configure_threads(args.threads)
    print(json.dumps(preprocess(args) if args.preprocess else score(args)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
