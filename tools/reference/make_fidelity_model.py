"""Build the seeded random-weight model for the end-to-end fidelity tests: PyTorch state dict + its ONNX export.

Usage (run with /usr/bin/python3; set OMP_NUM_THREADS=2 on a shared machine):
  /usr/bin/python3 tools/reference/make_fidelity_model.py --out-dir DIR [--seed 0] [--name fidelity-resnet50] [--no-verify]

Writes
  DIR/<name>.pth    torch.save(state_dict) of torchvision resnet50(num_classes=1) (for tools/reference/predict.py)
  DIR/<name>.onnx   the same model, opset 17, input `input` [batch, 3, height, width], output `logit` [batch, 1]
and prints ONE JSON line on stdout (logs go to stderr):
  {"weights": ".../<name>.pth", "onnx": ".../<name>.onnx", "sha256": "<of the onnx>", "input": "input",
   "output": "logit", "arch": "resnet50", "seed": 0, "max_abs_diff": 3.1e-06 | null}
max_abs_diff is onnxruntime-node vs torch on two seeded inputs (null with --no-verify); the script exits 1 if it
exceeds 1e-4. Weights: seeded init, norm layers randomised with BatchNorm stats measured on a seeded calibration
batch of smooth image-like inputs and normalised noise (tools/export/common.py randomize_norms_), so BatchNorm is
not an identity and logits have a trained net's scale (probabilities away from 0 and 1). The same seed gives the same model on one machine; other CPUs may differ in the last bits (the
calibration pass runs convolutions), so compare the .pth and .onnx written by the same call.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'export'))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402

from common import (DEFAULT_TOL, configure_threads, export_onnx, randomize_norms_, run_onnxruntime,  # noqa: E402
                    sample_inputs, sha256_file)


def build(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = torchvision.models.resnet50(num_classes=1)
    # BatchNorm stats from smooth image-like inputs and from normalised uniform noise, so that both photos and
    # noisy synthetic fixtures give unsaturated probabilities (a fidelity test learns little from 1.0 vs 1.0).
    g = torch.Generator().manual_seed(seed + 2)
    noise = (torch.rand((4, 3, 96, 96), generator=g) - 0.45) / 0.226
    calibration = torch.cat([sample_inputs([(4, 3, 96, 96)], seed=seed + 2)[0], noise])
    return randomize_norms_(model, seed=seed + 1, calibration=calibration)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out-dir', required=True, type=Path)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--name', default='fidelity-resnet50')
    parser.add_argument('--no-verify', action='store_true', help='skip the onnxruntime-node check')
    args = parser.parse_args(argv)

    threads = configure_threads()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    weights, onnx_path = args.out_dir / f'{args.name}.pth', args.out_dir / f'{args.name}.onnx'
    model = build(args.seed)
    torch.save(model.state_dict(), weights)
    inputs = sample_inputs([(2, 3, 224, 224), (1, 3, 256, 320)], seed=args.seed + 3)
    export_onnx(model, inputs[0], onnx_path, dynamic_hw=True)

    max_diff = None
    if not args.no_verify:
        with torch.no_grad():
            expected = [model(x).numpy() for x in inputs]
        got = run_onnxruntime(onnx_path, [x.numpy() for x in inputs], threads)
        max_diff = max(float(np.abs(e - o).max()) for e, o in zip(expected, got))
        print(f'onnxruntime-node vs torch: max abs diff {max_diff:.2e}', file=sys.stderr)
    print(json.dumps({'weights': str(weights), 'onnx': str(onnx_path), 'sha256': sha256_file(onnx_path),
                      'input': 'input', 'output': 'logit', 'arch': 'resnet50', 'seed': args.seed, 'max_abs_diff': max_diff}))
    return 1 if max_diff is not None and max_diff > DEFAULT_TOL else 0


if __name__ == '__main__':
    sys.exit(main())
