"""Export the "DINOv2" detector of the Semi-Truths stress test (SemiTruths/stress_testing/run_1.py; detectors.md
§2.5) to ONNX.

  !! UNTRAINED HEAD: run_1 replaces the ImageNet ResNet-50's fc with a fresh Linear(2048, 1) that is never
  !! trained or loaded, with no seed. Its scores are a random projection: a labelled RANDOM BASELINE only,
  !! kept to reproduce the paper's table. --head-seed makes our copy reproducible; any seed is as faithful.

Graph (run_1 `predict_image_dino`):
  dinov2-base CLS = last_hidden_state[:, 0]  -> view(B, 1, 1, 768)
  -> F.interpolate(size=(224, 224), mode='bilinear', align_corners=False) -> expand to 3 channels
  -> torchvision resnet50 (ImageNet weights, `pretrained=True` = IMAGENET1K_V1) with fc = Linear(2048, 1) -> logit

Pick the encoder with one of:
  --dinov2 DIR       facebook/dinov2-base downloaded to DIR (config.json + weights), run with transformers'
                     Dinov2Model. Input: the processor's 224 x 224 pixel_values. UNTESTED here: transformers is
                     not installed on the build machine.
  --cls-input        no encoder in the graph: input `input` is the 768-d CLS vector [batch, 768], e.g. the
                     pooler_output of a separately exported dinov2-base ONNX (Xenova/dinov2-base).
  --stub-encoder P   TESTS ONLY: a tiny CLIP-style ViT (ufd.VisionTransformer, state dict at P) that stands in for
                     DINOv2 and emits a 768-d vector; self_test.py uses it. Not DINOv2.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/dinov2_variant.py --dinov2 weights/dinov2-base \
      --resnet-weights weights/resnet50-0676ba61.pth --out models/dinov2-semitruths/dinov2-variant.onnx
"""
from __future__ import annotations

import argparse
import sys

import torch
import torchvision
from torch import nn
from torch.nn import functional as F

from common import add_common_args, exit_code, export_and_verify, load_state_dict, load_strict, log
from ufd import load_vit

CLS_DIM = 768


def untrained_head(seed: int) -> nn.Linear:
    """A fresh nn.Linear(2048, 1), default PyTorch init, from `seed` (the global RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Linear(2048, 1)


def imagenet_resnet50(weights: str, head_seed: int) -> torchvision.models.ResNet:
    resnet = torchvision.models.resnet50(num_classes=1000)
    load_strict(resnet, load_state_dict(weights), weights)
    resnet.fc = untrained_head(head_seed)
    return resnet


class HFDinov2CLS(nn.Module):
    """transformers' Dinov2Model -> last_hidden_state[:, 0] (run_1's `dino_logits[:, 0]`)."""

    def __init__(self, directory: str):
        super().__init__()
        try:
            from transformers import Dinov2Model
        except ImportError:
            raise SystemExit('--dinov2 needs the transformers package (pip install transformers)')
        self.model = Dinov2Model.from_pretrained(directory).float().eval()

    def forward(self, x):
        return self.model(pixel_values=x).last_hidden_state[:, 0]


def bilinear_row_weights(n_in: int, n_out: int) -> torch.Tensor:
    """[n_in, n_out] weights of torch's bilinear (align_corners=False) resampling of a length-n_in row to n_out,
    taken from F.interpolate itself (applied to the identity), so the float32 coordinate rounding is torch's."""
    eye = torch.eye(n_in).view(n_in, 1, 1, n_in)
    return F.interpolate(eye, size=(1, n_out), mode='bilinear', align_corners=False).view(n_in, n_out)


class DinoV2Variant(nn.Module):
    """run_1's detector; `encoder` None means the input is already the CLS vector.

    With export_friendly=True the 1 x 768 -> 224 x 224 bilinear upsampling is a matmul with torch's own weights
    (then a broadcast over rows, since every output row of a 1-row input is the same). ONNX Resize computes the
    source coordinates with another float32 formula: up to 1.4e-4 apart from torch on N(0, 1) features, which
    the ResNet then amplifies past 1e-4 on the logit. The matmul form matches run_1's F.interpolate to rounding.
    """

    def __init__(self, encoder: nn.Module | None, resnet: nn.Module, export_friendly: bool = False, size: int = 224):
        super().__init__()
        self.encoder = encoder
        self.resnet = resnet
        self.size = size
        self.export_friendly = export_friendly
        if export_friendly:
            self.register_buffer('row_weights', bilinear_row_weights(CLS_DIM, size), persistent=False)

    def forward(self, x):
        cls = x if self.encoder is None else self.encoder(x)
        n = cls.shape[0]
        if self.export_friendly:
            row = (cls @ self.row_weights).view(n, 1, 1, self.size)
            feature_map = row.expand(n, 3, self.size, self.size)
        else:  # run_1 predict_image_dino, verbatim
            feature_map = F.interpolate(cls.view(n, 1, 1, -1), size=(self.size, self.size), mode='bilinear', align_corners=False)
            feature_map = feature_map.expand(-1, 3, -1, -1)
        return self.resnet(feature_map)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    encoder = parser.add_mutually_exclusive_group(required=True)
    encoder.add_argument('--dinov2', metavar='DIR', help='facebook/dinov2-base folder (transformers format)')
    encoder.add_argument('--cls-input', action='store_true', help='export without encoder: input is the CLS vector [batch, 768]')
    encoder.add_argument('--stub-encoder', metavar='PTH', help='TESTS ONLY: tiny ViT stand-in state dict (not DINOv2)')
    parser.add_argument('--resnet-weights', required=True,
                        help="torchvision ImageNet resnet50 state dict (resnet50-0676ba61.pth, what pretrained=True loads)")
    parser.add_argument('--head-seed', type=int, default=0, help='seed of the untrained Linear(2048, 1) head (default 0)')
    add_common_args(parser, default_shapes=None, shapes_help='2x3x224x224,1x3x224x224; with --cls-input 4x768,1x768')
    args = parser.parse_args(argv)
    if args.verify_shapes is None:
        args.verify_shapes = '4x768,1x768' if args.cls_input else '2x3x224x224,1x3x224x224'

    if args.dinov2:
        log('dinov2', 'WARNING: the transformers Dinov2Model path is untested in semibench (no transformers on the build machine)')
        enc = HFDinov2CLS(args.dinov2)
    elif args.stub_encoder:
        enc = load_vit(args.stub_encoder, prefix='')
        log('dinov2', f'TEST STAND-IN encoder from {args.stub_encoder}: a tiny ViT, NOT DINOv2')
    else:
        enc = None
    if enc is not None:
        with torch.no_grad():
            probe = enc.eval()(torch.zeros(1, 3, 224, 224))
        if probe.shape != (1, CLS_DIM):
            raise SystemExit(f'encoder emits {tuple(probe.shape)}, expected (1, {CLS_DIM})')
    resnet = imagenet_resnet50(args.resnet_weights, args.head_seed)
    # The exported graph vs run_1's verbatim forward (same modules, shared).
    model = DinoV2Variant(enc, resnet, export_friendly=True).eval()
    reference = DinoV2Variant(enc, resnet).eval()
    log('dinov2', f'resnet50 from {args.resnet_weights} (strict) + UNTRAINED Linear(2048, 1) head, seed {args.head_seed}: '
                  'a RANDOM BASELINE, not a detector')
    return export_and_verify(model, args, tag='dinov2', dynamic_hw=False, reference=reference,
                             input_size=None if args.cls_input else (224, 224))


if __name__ == '__main__':
    sys.exit(exit_code(main()))
