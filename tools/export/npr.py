"""Export NPR (chuangchuangtan/NPR-DeepfakeDetection, CVPR 2024) to ONNX, dynamic batch and even height, width.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/npr.py --weights NPR.pth --out models/npr/npr.onnx

The classes below re-implement upstream networks/resnet.py (commit ab1018b; `resnet50(num_classes=1)`, as
test.py builds it), so the bare state dict NPR.pth loads with strict=True: the parameter names are upstream's.

The one export change is the NPR residual. Upstream computes
    x - interpolate(interpolate(x, 0.5, nearest, recompute_scale_factor=True), 2, nearest, recompute_scale_factor=True)
and the recomputed scale makes the tracer bake the example's H, W into the graph. For even H, W that expression
is exactly x[i, j] - x[2*floor(i/2), 2*floor(j/2)], which `_npr_residual_export` writes as a stride-2 slice plus a
nearest x2 Resize: size-agnostic. self_test.py checks the exported graph against the upstream expression at
several sizes. Odd H or W fails in both (shape mismatch): crop to even first (manifest op `cropToEven`, as the
upstream README patch does). Output `logit` [batch, 1]; P(fake) = sigmoid(logit), fake when > 0.5.
"""
from __future__ import annotations

import argparse
import sys

from torch import nn
from torch.nn import functional as F

from common import add_common_args, exit_code, export_and_verify, load_state_dict, load_strict, log


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class NPRResNet(nn.Module):
    """Upstream `ResNet(Bottleneck, [3, 4, 6, 3], num_classes=1)`: only layer1 and layer2 exist, fc1 is 512 -> 1."""

    def __init__(self, layers=(3, 4, 6, 3), num_classes: int = 1):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc1 = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        # Upstream's residual by default; the exporter switches to the size-agnostic form (identical for even H, W).
        self.export_residual = False

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * Bottleneck.expansion, stride),
                                       nn.BatchNorm2d(planes * Bottleneck.expansion))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    @staticmethod
    def _npr_residual_upstream(x):
        def interpolate(img, factor):
            down = F.interpolate(img, scale_factor=factor, mode='nearest', recompute_scale_factor=True)
            return F.interpolate(down, scale_factor=1 / factor, mode='nearest', recompute_scale_factor=True)
        return x - interpolate(x, 0.5)

    @staticmethod
    def _npr_residual_export(x):
        # Top-left pixel of each 2x2 cell, repeated over the cell (ONNX Slice + Resize nearest asymmetric/floor).
        return x - F.interpolate(x[:, :, 0::2, 0::2], scale_factor=2.0, mode='nearest')

    def forward(self, x):
        npr = self._npr_residual_export(x) if self.export_residual else self._npr_residual_upstream(x)
        x = self.maxpool(self.relu(self.bn1(self.conv1(npr * 2.0 / 3.0))))
        x = self.layer2(self.layer1(x))
        x = self.avgpool(x)
        return self.fc1(x.view(x.size(0), -1))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--weights', '--checkpoint', dest='weights', required=True, help='NPR.pth (bare state dict, from the GitHub repo)')
    add_common_args(parser, default_shapes='2x3x224x224,1x3x512x512,1x3x256x320')
    args = parser.parse_args(argv)

    model = NPRResNet()
    load_strict(model, load_state_dict(args.weights), args.weights)
    log('npr', f'loaded {args.weights} into NPR ResNet-50 stem + layer1-2 (strict)')
    # Verification compares the exported graph with upstream's residual, then exports the size-agnostic one.
    reference = NPRResNet()
    reference.load_state_dict(model.state_dict())
    model.export_residual = True
    return export_and_verify(model, args, tag='npr', dynamic_hw=True, reference=reference)


if __name__ == '__main__':
    sys.exit(exit_code(main()))
