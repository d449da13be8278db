"""Export CrossEfficientViT (Coccomini et al., ICIAP 2022; davide-coccomini/Combining-EfficientNet-and-Vision-
Transformers-for-Video-Deepfake-Detection, MIT) to one ONNX graph, fixed 224 x 224 input, dynamic batch.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/cross_efficient_vit.py \
      --weights weights/cross_efficient_vit.pth --out models/cross-efficient-vit/cross-efficient-vit.onnx
  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/cross_efficient_vit.py --self-test --out /tmp/cev.onnx

The upstream model (cross-efficient-vit/cross_efficient_vit.py with configs/architecture.yaml) is re-stated here
with the same parameter names, so its checkpoint loads strictly, without einops or efficientnet_pytorch:
- two EfficientNet-B0 stems (lukemelas efficientnet_pytorch, `from_pretrained('efficientnet-b0')`: image_size 224,
  so every conv has TF "SAME" static zero padding; BatchNorm eps 1e-3; swish). Upstream `delete_blocks` does
  nothing and `extract_features_at_block(x, b)` runs blocks until the index exceeds b, then the 1280-channel head
  only when b >= 16: the small branch (b = 16) is all 16 blocks + head (1280 x 7 x 7), the large branch (b = 1)
  blocks 0..2 (24 x 56 x 56). Both keep the unused layers (`_conv_head`, `_bn1`, `_fc`) so the checkpoint loads;
- each feature map is cut into one patch (7 and 56), embedded, given a CLS token and positional embedding;
- a multi-scale encoder (4 x [sm Transformer depth 2, lg Transformer depth 3, 2 rounds of CLS cross-attention]);
- logit = sm_mlp_head(sm CLS) + lg_mlp_head(lg CLS). Dropout is inactive in eval.
Input as semibench prepares it (the zoo manifest `cross-efficient-vit`): RGB in [0, 1] (ToTensor). The graph flips
it to BGR and restores 0..255 exactly (Round(x * 255)): upstream reads faces with cv2.imread and feeds raw
0..255 floats, no normalisation. Output `logit` [batch, 1]; upstream scores sigmoid(logit).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch
from torch import nn

from common import add_common_args, exit_code, export_and_verify, load_state_dict, load_strict, log, randomize_norms_

# configs/architecture.yaml (model section)
CONFIG = dict(image_size=224, num_classes=1, depth=4, sm_dim=192, sm_patch=7, sm_enc_depth=2, sm_dim_head=64, sm_heads=8,
              sm_mlp=2048, lg_dim=384, lg_patch=56, lg_enc_depth=3, lg_dim_head=64, lg_heads=8, lg_mlp=2048,
              cross_depth=2, cross_dim_head=64, cross_heads=8, lg_channels=24, sm_channels=1280)
# efficientnet_pytorch utils.py, efficientnet-b0: (repeats, kernel, stride, expand, in, out), se_ratio 0.25
B0_BLOCKS = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
             (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
BN_EPS = 1e-3


class SameConv(nn.Conv2d):
    """efficientnet_pytorch Conv2dStaticSamePadding: zero padding fixed for `image_size` (TF SAME)."""

    def __init__(self, cin, cout, k, stride=1, groups=1, bias=False, image_size=224):
        super().__init__(cin, cout, k, stride=stride, groups=groups, bias=bias)
        oh = math.ceil(image_size / stride)
        pad = max((oh - 1) * stride + k - image_size, 0)
        self.static_padding = nn.ZeroPad2d((pad // 2, pad - pad // 2, pad // 2, pad - pad // 2)) if pad > 0 else nn.Identity()

    def forward(self, x):
        return super().forward(self.static_padding(x))


class MBConv(nn.Module):
    def __init__(self, k, stride, expand, cin, cout, image_size):
        super().__init__()
        mid = cin * expand
        self.expand, self.skip = expand, stride == 1 and cin == cout
        if expand != 1:
            self._expand_conv = SameConv(cin, mid, 1, image_size=image_size)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv(mid, mid, k, stride=stride, groups=mid, image_size=image_size)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        squeezed = max(1, int(cin * 0.25))
        self._se_reduce = SameConv(mid, squeezed, 1, bias=True, image_size=1)
        self._se_expand = SameConv(squeezed, mid, 1, bias=True, image_size=1)
        self._project_conv = SameConv(mid, cout, 1, image_size=math.ceil(image_size / stride))
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)

    def forward(self, inputs):
        swish = lambda t: t * torch.sigmoid(t)
        x = swish(self._bn0(self._expand_conv(inputs))) if self.expand != 1 else inputs
        x = swish(self._bn1(self._depthwise_conv(x)))
        s = self._se_expand(swish(self._se_reduce(x.mean((2, 3), keepdim=True))))
        x = self._bn2(self._project_conv(torch.sigmoid(s) * x))
        return x + inputs if self.skip else x


class EfficientNetB0(nn.Module):
    def __init__(self):
        super().__init__()
        size = 224
        self._conv_stem = SameConv(3, 32, 3, stride=2, image_size=size)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        size = math.ceil(size / 2)
        blocks = []
        for repeats, k, stride, expand, cin, cout in B0_BLOCKS:
            blocks.append(MBConv(k, stride, expand, cin, cout, size))
            size = math.ceil(size / stride)
            blocks += [MBConv(k, 1, expand, cout, cout, size) for _ in range(repeats - 1)]
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, image_size=size)
        self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
        self._fc = nn.Linear(1280, 1000)  # in the checkpoint (from_pretrained keeps the top), unused

    def features_at_block(self, x, selected):
        """Upstream extract_features_at_block: blocks until idx > selected, the head only when selected >= 16."""
        x = self._bn0(self._conv_stem(x))
        x = x * torch.sigmoid(x)
        for idx, block in enumerate(self._blocks):
            x = block(x)
            if idx > selected:
                break
        if selected >= len(self._blocks):
            x = self._bn1(self._conv_head(x))
            x = x * torch.sigmoid(x)
        return x


class ImageEmbedder(nn.Module):
    def __init__(self, dim, patch, channels, block):
        super().__init__()
        self.efficient_net, self.block, self.patch = EfficientNetB0(), block, patch
        n = (224 // patch) ** 2
        self.to_patch_embedding = nn.Sequential(nn.Identity(), nn.Linear(channels * patch * patch, dim))  # [0] = Rearrange
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))

    def forward(self, img):
        x = self.efficient_net.features_at_block(img, self.block)
        b, c, h, w = x.shape
        p = self.patch
        # einops 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'
        x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)
        x = self.to_patch_embedding(x)
        x = torch.cat((self.cls_token.expand(b, -1, -1), x), dim=1)
        return x + self.pos_embedding[:, : x.shape[1]]


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.norm, self.fn = nn.LayerNorm(dim), fn

    def forward(self, x, **kwargs):
        return self.fn(self.norm(x), **kwargs)


class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Identity(), nn.Linear(hidden, dim), nn.Identity())

    def forward(self, x):
        return self.net(x)


class Attention(nn.Module):
    def __init__(self, dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads, self.scale = heads, dim_head ** -0.5
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim, inner * 2, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Identity())

    def forward(self, x, context=None, kv_include_self=False):
        context = x if context is None else context
        if kv_include_self:
            context = torch.cat((x, context), dim=1)
        k, v = self.to_kv(context).chunk(2, dim=-1)
        split = lambda t: t.reshape(t.shape[0], t.shape[1], self.heads, -1).transpose(1, 2)  # 'b n (h d) -> b h n d'
        q, k, v = split(self.to_q(x)), split(k), split(v)
        attn = torch.softmax(q @ k.transpose(-1, -2) * self.scale, dim=-1)
        out = (attn @ v).transpose(1, 2)
        return self.to_out(out.reshape(out.shape[0], out.shape[1], -1))


class Transformer(nn.Module):
    def __init__(self, dim, depth, heads, dim_head, mlp):
        super().__init__()
        self.layers = nn.ModuleList([nn.ModuleList([PreNorm(dim, Attention(dim, heads, dim_head)), PreNorm(dim, FeedForward(dim, mlp))])
                                     for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff(x) + x
        return self.norm(x)


class ProjectInOut(nn.Module):
    def __init__(self, dim_in, dim_out, fn):
        super().__init__()
        self.fn = fn
        self.project_in = nn.Linear(dim_in, dim_out) if dim_in != dim_out else nn.Identity()
        self.project_out = nn.Linear(dim_out, dim_in) if dim_in != dim_out else nn.Identity()

    def forward(self, x, **kwargs):
        return self.project_out(self.fn(self.project_in(x), **kwargs))


class CrossTransformer(nn.Module):
    def __init__(self, sm_dim, lg_dim, depth, heads, dim_head):
        super().__init__()
        self.layers = nn.ModuleList([nn.ModuleList([
            ProjectInOut(sm_dim, lg_dim, PreNorm(lg_dim, Attention(lg_dim, heads, dim_head))),
            ProjectInOut(lg_dim, sm_dim, PreNorm(sm_dim, Attention(sm_dim, heads, dim_head)))]) for _ in range(depth)])

    def forward(self, sm, lg):
        (sm_cls, sm_patches), (lg_cls, lg_patches) = (sm[:, :1], sm[:, 1:]), (lg[:, :1], lg[:, 1:])
        for sm_attend_lg, lg_attend_sm in self.layers:
            sm_cls = sm_attend_lg(sm_cls, context=lg_patches, kv_include_self=True) + sm_cls
            lg_cls = lg_attend_sm(lg_cls, context=sm_patches, kv_include_self=True) + lg_cls
        return torch.cat((sm_cls, sm_patches), dim=1), torch.cat((lg_cls, lg_patches), dim=1)


class MultiScaleEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([nn.ModuleList([
            Transformer(c['sm_dim'], c['sm_enc_depth'], c['sm_heads'], c['sm_dim_head'], c['sm_mlp']),
            Transformer(c['lg_dim'], c['lg_enc_depth'], c['lg_heads'], c['lg_dim_head'], c['lg_mlp']),
            CrossTransformer(c['sm_dim'], c['lg_dim'], c['cross_depth'], c['cross_heads'], c['cross_dim_head'])]) for _ in range(c['depth'])])

    def forward(self, sm, lg):
        for sm_enc, lg_enc, cross in self.layers:
            sm, lg = cross(sm_enc(sm), lg_enc(lg))
        return sm, lg


class CrossEfficientViT(nn.Module):
    """Upstream CrossEfficientViT(config=architecture.yaml), eval mode, same parameter names."""

    def __init__(self, c=CONFIG):
        super().__init__()
        self.sm_image_embedder = ImageEmbedder(c['sm_dim'], c['sm_patch'], c['sm_channels'], block=16)
        self.lg_image_embedder = ImageEmbedder(c['lg_dim'], c['lg_patch'], c['lg_channels'], block=1)
        self.multi_scale_encoder = MultiScaleEncoder(c)
        self.sm_mlp_head = nn.Sequential(nn.LayerNorm(c['sm_dim']), nn.Linear(c['sm_dim'], c['num_classes']))
        self.lg_mlp_head = nn.Sequential(nn.LayerNorm(c['lg_dim']), nn.Linear(c['lg_dim'], c['num_classes']))

    def forward(self, img):
        sm, lg = self.multi_scale_encoder(self.sm_image_embedder(img), self.lg_image_embedder(img))
        return self.sm_mlp_head(sm[:, 0]) + self.lg_mlp_head(lg[:, 0])


class FromSemibenchTensor(nn.Module):
    """semibench's ToTensor output (RGB, k / 255) → upstream's input (cv2.imread BGR, raw k as float)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(torch.round(x.flip(1) * 255))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--weights', '--checkpoint', dest='weights', help='cross_efficient_vit.pth (a bare state dict)')
    src.add_argument('--self-test', action='store_true', help='random weights (seeded, norms calibrated) instead of a checkpoint')
    add_common_args(parser, default_shapes='2x3x224x224,1x3x224x224')
    args = parser.parse_args(argv)

    torch.manual_seed(7)
    net = CrossEfficientViT()
    if args.self_test:
        # Calibrate BatchNorm on raw-0..255 BGR input, as the model sees it.
        calibration = torch.round(torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(8)) * 255)
        randomize_norms_(net, seed=9, calibration=calibration)
        log('cross-efficient-vit', 'self-test: random weights (seeded), norm layers randomised and calibrated')
    else:
        load_strict(net, load_state_dict(args.weights), args.weights)
        log('cross-efficient-vit', f'loaded {args.weights} into CrossEfficientViT(architecture.yaml) (strict)')
    net.eval()
    model = FromSemibenchTensor(net).eval()
    return export_and_verify(model, args, tag='cross-efficient-vit', dynamic_hw=False, input_size=(224, 224))

if __name__ == '__main__':
    sys.exit(exit_code(main()))
