"""Export DreamSim's image embedding (the `dreamsim` column) to the ONNX graph semibench's `dreamsim` metric manifest
expects (src/generation/learned/zoo.ts):

  model.onnx  image float32 [batch, 3, 224, 224] in [0, 1] (Resize((224, 224), bicubic) + ToTensor) -> embedding [batch, D]

semibench computes distance = 1 - cos(embedding(real), embedding(edited)), which is what DreamsimModel.forward
returns; the backbones' own normalisation is inside `embed`, so it is inside the graph.

  pip install dreamsim   # brings torch, timm, open_clip, peft
  python3 tools/export/dreamsim_embed.py --cache-dir weights/dreamsim --out models/metrics/dreamsim/model.onnx

Checkpoint: `dreamsim(pretrained=True, dreamsim_type='ensemble', cache_dir=...)` from github.com/ssundaram21/dreamsim
(MIT): DINO ViT-B/16 + CLIP ViT-B/16 + OpenCLIP ViT-B/32 with the DreamSim LoRA weights. The package downloads the
weights into --cache-dir on first use (run it once where the network is allowed, then offline).
NOT RUN HERE: neither the dreamsim package nor its weights are available in semibench's build environment, so unlike
clip_vitb32.py, lpips_squeeze.py and minilm.py this script is not covered by metrics_self_test.py. Its export and
onnxruntime-node check use the same tested helpers (metric_common.py); the check must pass (<= --tol) before the
file is used. If torch.onnx.export fails on the package's modules, export with the newest torch the package supports.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch import nn

from common import DEFAULT_OPSET, DEFAULT_TOL, configure_threads, log
from metric_common import export_checked


class Embed(nn.Module):
    """DreamsimModel.embed as a module (the graph's single input and output)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, image):
        return self.model.embed(image)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--cache-dir', required=True, help="dreamsim's cache_dir holding (or receiving) the pretrained weights")
    parser.add_argument('--type', default='ensemble', help="dreamsim_type (Semi-Truths: the default, 'ensemble')")
    parser.add_argument('--out', required=True, type=Path, help='e.g. models/metrics/dreamsim/model.onnx')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument('--tol', type=float, default=DEFAULT_TOL)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--report-json', type=Path, default=None)
    args = parser.parse_args(argv)
    configure_threads(args.threads)
    try:
        from dreamsim import dreamsim
    except ImportError:
        raise SystemExit('the dreamsim package is not installed (pip install dreamsim)')

    model, _ = dreamsim(pretrained=True, device='cpu', cache_dir=args.cache_dir, dreamsim_type=args.type)
    embed = Embed(model.eval()).eval()
    log('dreamsim', f'loaded dreamsim(pretrained=True, dreamsim_type={args.type!r}) from {args.cache_dir}')
    g = torch.Generator().manual_seed(0)
    cases = [{'image': torch.rand(2, 3, 224, 224, generator=g)}, {'image': torch.rand(1, 3, 224, 224, generator=g)}]
    return export_checked('dreamsim', embed, args, cases, output='embedding', dynamic={'image': {0: 'batch'}, 'embedding': {0: 'batch'}})


if __name__ == '__main__':
    sys.exit(0 if main()['passed'] else 1)
