"""Export LPIPS (SqueezeNet, v0.1), as Semi-Truths computes lpips_score, to the ONNX graph semibench's
`lpips-squeeze` metric manifest expects (src/generation/learned/zoo.ts):

  model.onnx  in0, in1 float32 [batch, 3, height, width] in [-1, 1] (dynamic size) -> distance [batch]

Semi-Truths calls torchmetrics `LearnedPerceptualImagePatchSimilarity(net_type='squeeze')`, which is the lpips
package's `LPIPS(net='squeeze', version='0.1')`: scaling layer, torchvision squeezenet1_1 features cut after
relu 1..7, each feature map unit-normalised over channels, squared difference, a 1x1 linear head per layer,
spatial mean, summed over layers.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/lpips_squeeze.py --squeezenet weights/squeezenet1_1-b8a52dc0.pth \
      --lin weights/squeeze.pth --out models/metrics/lpips-squeeze/model.onnx

Weights: `--squeezenet` torchvision's ImageNet squeezenet1_1 (squeezenet1_1-b8a52dc0.pth, what lpips loads with
pretrained=True); `--lin` the LPIPS v0.1 linear heads, lpips/weights/v0.1/squeeze.pth in the lpips package
(torchmetrics ships the same file as torchmetrics/functional/image/lpips_models/squeeze.pth). A full
`LPIPS(net='squeeze').state_dict()` saved with torch.save also works as `--lin` alone.
The graph is checked in onnxruntime-node against PyTorch (max abs difference <= --tol, default 1e-4).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torchvision
from torch import nn

from common import DEFAULT_OPSET, DEFAULT_TOL, configure_threads, load_state_dict, load_strict, log, sample_inputs
from metric_common import export_checked

# lpips.pretrained_networks.squeezenet: the torchvision `features` indices of each slice, and their channels.
SLICES = [range(0, 2), range(2, 5), range(5, 8), range(8, 10), range(10, 11), range(11, 12), range(12, 13)]
CHANNELS = [64, 128, 256, 384, 384, 512, 512]


class ScalingLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('shift', torch.tensor([-.030, -.088, -.188])[None, :, None, None])
        self.register_buffer('scale', torch.tensor([.458, .448, .450])[None, :, None, None])

    def forward(self, x):
        return (x - self.shift) / self.scale


class SqueezeSlices(nn.Module):
    def __init__(self):
        super().__init__()
        features = torchvision.models.squeezenet1_1().features
        for i, indices in enumerate(SLICES, start=1):
            block = nn.Sequential()
            for x in indices:
                block.add_module(str(x), features[x])
            setattr(self, f'slice{i}', block)

    def forward(self, x):
        outs = []
        for i in range(1, len(SLICES) + 1):
            x = getattr(self, f'slice{i}')(x)
            outs.append(x)
        return outs


class NetLinLayer(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, stride=1, padding=0, bias=False))

    def forward(self, x):
        return self.model(x)


class LpipsSqueeze(nn.Module):
    """lpips.LPIPS(net='squeeze', version='0.1').forward(in0, in1) with the distance per pair as [batch]."""

    def __init__(self):
        super().__init__()
        self.scaling_layer = ScalingLayer()
        self.net = SqueezeSlices()
        for k, channels in enumerate(CHANNELS):
            setattr(self, f'lin{k}', NetLinLayer(channels))

    def forward(self, in0, in1):
        feats0, feats1 = self.net(self.scaling_layer(in0)), self.net(self.scaling_layer(in1))
        total = 0
        for k, (f0, f1) in enumerate(zip(feats0, feats1)):
            # lpips.normalize_tensor: x / (||x||_channels + 1e-10)
            f0 = f0 / (torch.sqrt(torch.sum(f0 ** 2, dim=1, keepdim=True)) + 1e-10)
            f1 = f1 / (torch.sqrt(torch.sum(f1 ** 2, dim=1, keepdim=True)) + 1e-10)
            total = total + getattr(self, f'lin{k}')((f0 - f1) ** 2).mean(dim=[2, 3], keepdim=True)
        return total.reshape(-1)


def load_lpips(squeezenet: str | None, lin: str) -> LpipsSqueeze:
    model = LpipsSqueeze()
    lin_state = {k: v.float() for k, v in load_state_dict(lin).items() if not k.startswith('lins.')}
    if squeezenet is None:
        state = {k: v for k, v in lin_state.items()}
        if not any(k.startswith('net.') for k in state):
            raise SystemExit(f'{lin} holds only the linear heads: pass --squeezenet (torchvision squeezenet1_1 weights)')
        state.setdefault('scaling_layer.shift', model.scaling_layer.shift)
        state.setdefault('scaling_layer.scale', model.scaling_layer.scale)
    else:
        tv = {k: v.float() for k, v in load_state_dict(squeezenet).items()}
        state = {'scaling_layer.shift': model.scaling_layer.shift, 'scaling_layer.scale': model.scaling_layer.scale,
                 **{k: v for k, v in lin_state.items() if k.startswith('lin')}}
        for i, indices in enumerate(SLICES, start=1):
            for x in indices:
                for key, value in tv.items():
                    if key.startswith(f'features.{x}.'):
                        state[f'net.slice{i}.{key[len("features."):]}'] = value
    load_strict(model, state, f'{squeezenet or ""} {lin}'.strip())
    return model.eval()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--squeezenet', default=None, help='torchvision squeezenet1_1 ImageNet weights (.pth)')
    parser.add_argument('--lin', required=True, help='LPIPS v0.1 squeeze.pth (linear heads), or a full LPIPS state dict')
    parser.add_argument('--out', required=True, type=Path, help='e.g. models/metrics/lpips-squeeze/model.onnx')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument('--tol', type=float, default=DEFAULT_TOL)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--report-json', type=Path, default=None, help='also write the figures as JSON')
    args = parser.parse_args(argv)
    configure_threads(args.threads)

    model = load_lpips(args.squeezenet, args.lin)
    log('lpips', f'loaded {args.squeezenet} + {args.lin} (strict)')
    a, b = sample_inputs([(2, 3, 64, 64), (2, 3, 64, 64)], seed=0)
    c, d = sample_inputs([(1, 3, 97, 130), (1, 3, 97, 130)], seed=1)
    cases = [{'in0': x.clamp(-1, 1), 'in1': y.clamp(-1, 1)} for x, y in ((a, b), (c, d), (c, (c + 0.1 * d).clamp(-1, 1)))]
    image = {0: 'batch', 2: 'height', 3: 'width'}
    return export_checked('lpips', model, args, cases, output='distance', dynamic={'in0': image, 'in1': image, 'distance': {0: 'batch'}})


if __name__ == '__main__':
    sys.exit(0 if main()['passed'] else 1)
