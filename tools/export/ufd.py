"""Export UniversalFakeDetect (Yuheng-Li/UniversalFakeDetect, CVPR 2023) to one ONNX graph: CLIP ViT-L/14 image
tower + Linear(768, 1) head, fixed 224 x 224 input, dynamic batch.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/ufd.py \
      --clip weights/ViT-L-14.pt --fc weights/fc_weights.pth --out models/ufd/clip-vitl14-ufd.onnx

UFD's forward is `fc(clip_model.encode_image(x))` with `clip.load("ViT-L/14", device="cpu")`, which builds the
model from the JIT archive's state dict and casts it to float32 (the archive stores fp16). The `clip` package is
not needed: `VisionTransformer` below is OpenAI CLIP's clip/model.py image tower with the same parameter names,
and its size (width, layers, patch, resolution, output dim) is read from the state dict as clip.build_model
does; heads = width // 64 unless --heads says otherwise. The ViT-L/14 export is ~1.2 GB (fp32).
Input: CLIP-normalised 224 x 224 (validate.py: CenterCrop(224), no resize). Output `logit` [batch, 1].
"""
from __future__ import annotations

import argparse
import sys
from collections import OrderedDict

import torch
from torch import nn

from common import add_common_args, exit_code, export_and_verify, load_state_dict, load_strict, log


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(OrderedDict([
            ('c_fc', nn.Linear(d_model, d_model * 4)),
            ('gelu', QuickGELU()),
            ('c_proj', nn.Linear(d_model * 4, d_model)),
        ]))
        self.ln_2 = nn.LayerNorm(d_model)

    def forward(self, x):  # x: [tokens, batch, width] (CLIP keeps nn.MultiheadAttention's default layout)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    """OpenAI CLIP's `VisionTransformer` (float32; CLIP's LayerNorm subclass only adds fp16 casts)."""

    def __init__(self, input_resolution: int, patch_size: int, width: int, layers: int, heads: int, output_dim: int):
        super().__init__()
        self.input_resolution = input_resolution
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((input_resolution // patch_size) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x):
        x = self.conv1(x)                                   # [batch, width, grid, grid]
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)  # [batch, grid**2, width]
        cls = self.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x).permute(1, 0, 2)                 # NLD -> LND
        x = self.transformer(x).permute(1, 0, 2)            # LND -> NLD
        return self.ln_post(x[:, 0, :]) @ self.proj


def vit_config(state: dict[str, torch.Tensor], heads: int | None = None) -> dict:
    """The tower's size from its state dict (keys without the `visual.` prefix), as clip.build_model reads it."""
    width, _, patch, _ = state['conv1.weight'].shape
    layers = len([k for k in state if k.startswith('transformer.resblocks.') and k.endswith('.attn.in_proj_weight')])
    grid = round((state['positional_embedding'].shape[0] - 1) ** 0.5)
    return {'input_resolution': patch * grid, 'patch_size': patch, 'width': width, 'layers': layers,
            'heads': heads or width // 64, 'output_dim': state['proj'].shape[1]}


def load_vit(path: str, heads: int | None = None, prefix: str = 'visual.') -> VisionTransformer:
    """The image tower of a CLIP checkpoint (JIT archive or state dict), as float32."""
    full = load_state_dict(path)
    state = {k[len(prefix):]: v.float() for k, v in full.items() if k.startswith(prefix)} if prefix else \
        {k: v.float() for k, v in full.items()}
    if 'conv1.weight' not in state or 'proj' not in state:
        raise SystemExit(f'{path}: no ViT image tower under {prefix!r} (a CLIP ResNet, or not a CLIP checkpoint?)')
    config = vit_config(state, heads)
    if config['width'] % config['heads']:
        raise SystemExit(f'{path}: width {config["width"]} is not divisible by {config["heads"]} heads (pass --heads)')
    tower = VisionTransformer(**config)
    load_strict(tower, state, f'{path} (image tower)')
    return tower


class UFD(nn.Module):
    """UFD's CLIPModel forward: fc(encode_image(x))."""

    def __init__(self, visual: VisionTransformer, fc: nn.Linear):
        super().__init__()
        self.visual = visual
        self.fc = fc

    def forward(self, x):
        return self.fc(self.visual(x))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--clip', required=True, help='OpenAI ViT-L-14.pt (JIT archive) or a CLIP state dict')
    parser.add_argument('--fc', required=True, help="fc_weights.pth: state dict of the Linear head ('weight', 'bias')")
    parser.add_argument('--heads', type=int, default=None, help='attention heads (default width // 64, as CLIP)')
    add_common_args(parser, default_shapes='2x3x224x224,1x3x224x224')
    args = parser.parse_args(argv)

    visual = load_vit(args.clip, args.heads)
    config = vit_config(visual.state_dict(), args.heads)
    fc_state = {k.removeprefix('fc.'): v.float() for k, v in load_state_dict(args.fc).items()}
    fc = nn.Linear(fc_state['weight'].shape[1], fc_state['weight'].shape[0])
    load_strict(fc, fc_state, args.fc)
    if fc.in_features != config['output_dim'] or fc.out_features != 1:
        raise SystemExit(f'{args.fc}: head is Linear({fc.in_features}, {fc.out_features}), '
                         f'expected Linear({config["output_dim"]}, 1)')
    log('ufd', f'loaded {args.clip} (ViT: {config}) and {args.fc} (strict)')
    size = config['input_resolution']
    return export_and_verify(UFD(visual, fc), args, tag='ufd', dynamic_hw=False, input_size=(size, size))


if __name__ == '__main__':
    sys.exit(exit_code(main()))
