"""Export CNNSpot (PeterWang512/CNNDetection) to ONNX, dynamic batch, height and width.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/cnnspot.py \
      --weights weights/blur_jpg_prob0.1.pth --out models/cnnspot/blur_jpg_prob0.1.onnx

The network is torchvision's resnet50(num_classes=1) (CNNDetection's networks/resnet.py has the same topology
and parameter names); the checkpoint stores the state dict under 'model' next to optimizer state. The graph pools
globally, so any H x W works: feed the 224 centre crop (eval.py) or the whole image (--no_crop).
Output `logit` [batch, 1]; P(fake) = sigmoid(logit), fake when > 0.5.
"""
from __future__ import annotations

import argparse
import sys

import torchvision

from common import add_common_args, exit_code, export_and_verify, load_state_dict, load_strict, log


def build() -> torchvision.models.ResNet:
    return torchvision.models.resnet50(num_classes=1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--weights', '--checkpoint', dest='weights', required=True, help="blur_jpg_prob0.1.pth or blur_jpg_prob0.5.pth (state dict under 'model')")
    parser.add_argument('--key', default=None, help="checkpoint entry holding the state dict (default: 'model' when present)")
    add_common_args(parser, default_shapes='2x3x224x224,1x3x512x512')
    args = parser.parse_args(argv)

    model = build()
    load_strict(model, load_state_dict(args.weights, args.key), args.weights)
    log('cnnspot', f'loaded {args.weights} into resnet50(num_classes=1) (strict)')
    return export_and_verify(model, args, tag='cnnspot', dynamic_hw=True)


if __name__ == '__main__':
    sys.exit(exit_code(main()))
