"""Export CLIP ViT-B/32 (the Semi-Truths quality check's model) to the two ONNX graphs semibench's `clip-vit-b32`
metric manifest expects (src/generation/learned/zoo.ts):

  vision_model.onnx  pixel_values float32 [batch, 3, 224, 224] (CLIP-normalised) -> image_embeds [batch, 512]
  text_model.onnx    input_ids int64 [batch, sequence] (<|startoftext|> ... <|endoftext|>, no padding needed)
                     -> text_embeds [batch, 512]

Both are the projected, unnormalised features (transformers CLIPModel.get_image_features / get_text_features,
OpenAI CLIP encode_image / encode_text), which quality_check/utils.py compares with cosine similarity.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/clip_vitb32.py --checkpoint weights/clip-vit-base-patch32/model.safetensors \
      --out-dir models/metrics/clip-vit-base-patch32/onnx

Checkpoints (same weights; Hugging Face converted OpenAI's):
  - Hugging Face openai/clip-vit-base-patch32 (what the authors load): model.safetensors or pytorch_model.bin;
  - OpenAI CLIP ViT-B-32.pt (the JIT archive clip.load downloads) or any state dict with `visual.*` keys.
No transformers or clip package is needed: the towers are OpenAI's clip/model.py (ufd.py's image tower, a text
tower here) with its parameter names; Hugging Face names are mapped onto them. Sizes are read from the state dict
as clip.build_model does (heads = width // 64). The text tower pools at the highest token id (<|endoftext|>, as
both implementations do) under a causal mask, so unpadded ids give the padded result.
Each graph is checked in onnxruntime-node against PyTorch (max abs difference <= --tol, default 1e-4).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import nn

import ufd
from common import DEFAULT_OPSET, DEFAULT_TOL, configure_threads, load_strict, log, sample_inputs
from metric_common import check_graph, export_graph, load_any_state_dict


class TextTransformer(nn.Module):
    """OpenAI CLIP's text tower (encode_text): token + position embeddings, causal transformer, ln_final, the
    features at the end token, text_projection."""

    def __init__(self, vocab_size: int, context_length: int, width: int, layers: int, heads: int, embed_dim: int):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width).normal_(std=0.01))
        self.transformer = ufd.Transformer(width, layers, heads)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim).normal_(std=width ** -0.5))

    def forward(self, input_ids):
        length = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.positional_embedding[:length]
        positions = torch.arange(length, device=input_ids.device)
        # CLIP's build_attention_mask: -inf above the diagonal (a token sees itself and what precedes it).
        mask = torch.zeros(length, length).masked_fill(positions[None, :] > positions[:, None], float('-inf'))
        x = x.permute(1, 0, 2)  # NLD -> LND
        for block in self.transformer.resblocks:
            h = block.ln_1(x)
            x = x + block.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
            x = x + block.mlp(block.ln_2(x))
        x = self.ln_final(x.permute(1, 0, 2))
        return x[torch.arange(x.shape[0]), input_ids.argmax(dim=-1)] @ self.text_projection


def text_config(state: dict[str, torch.Tensor]) -> dict:
    width = state['ln_final.weight'].shape[0]
    layers = len([k for k in state if k.startswith('transformer.resblocks.') and k.endswith('.attn.in_proj_weight')])
    return {'vocab_size': state['token_embedding.weight'].shape[0], 'context_length': state['positional_embedding'].shape[0],
            'width': width, 'layers': layers, 'heads': width // 64, 'embed_dim': state['text_projection'].shape[1]}


def from_hugging_face(hf: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """transformers CLIPModel parameter names -> OpenAI clip/model.py names (q, k, v joined into in_proj; the
    projections transposed: nn.Linear stores [out, in], CLIP's proj parameters are [in, out])."""
    out = {}
    for tower, prefix, openai in (('vision_model', 'vision_model.', 'visual.'), ('text_model', 'text_model.', '')):
        layers = sorted({int(k.split('.')[3]) for k in hf if k.startswith(f'{prefix}encoder.layers.')})
        for i in layers:
            src, dst = f'{prefix}encoder.layers.{i}.', f'{openai}transformer.resblocks.{i}.'
            for kind in ('weight', 'bias'):
                out[f'{dst}attn.in_proj_{kind}'] = torch.cat([hf[f'{src}self_attn.{p}_proj.{kind}'] for p in 'qkv'])
                out[f'{dst}attn.out_proj.{kind}'] = hf[f'{src}self_attn.out_proj.{kind}']
                for a, b in (('layer_norm1', 'ln_1'), ('layer_norm2', 'ln_2'), ('mlp.fc1', 'mlp.c_fc'), ('mlp.fc2', 'mlp.c_proj')):
                    out[f'{dst}{b}.{kind}'] = hf[f'{src}{a}.{kind}']
        for kind in ('weight', 'bias'):
            if tower == 'vision_model':
                out[f'visual.ln_pre.{kind}'] = hf[f'{prefix}pre_layrnorm.{kind}']
                out[f'visual.ln_post.{kind}'] = hf[f'{prefix}post_layernorm.{kind}']
            else:
                out[f'ln_final.{kind}'] = hf[f'{prefix}final_layer_norm.{kind}']
    out['visual.class_embedding'] = hf['vision_model.embeddings.class_embedding']
    out['visual.conv1.weight'] = hf['vision_model.embeddings.patch_embedding.weight']
    out['visual.positional_embedding'] = hf['vision_model.embeddings.position_embedding.weight']
    out['visual.proj'] = hf['visual_projection.weight'].t()
    out['token_embedding.weight'] = hf['text_model.embeddings.token_embedding.weight']
    out['positional_embedding'] = hf['text_model.embeddings.position_embedding.weight']
    out['text_projection'] = hf['text_projection.weight'].t()
    return out


def load_towers(path: str) -> tuple[ufd.VisionTransformer, TextTransformer, str]:
    """Both towers of a CLIP checkpoint in either layout, float32, loaded strictly."""
    state = {k: v.float() for k, v in load_any_state_dict(path).items()}
    if 'visual_projection.weight' in state:
        state, layout = from_hugging_face(state), 'Hugging Face CLIPModel'
    elif 'visual.proj' in state:
        layout = 'OpenAI CLIP'
    else:
        raise SystemExit(f'{path}: neither a Hugging Face CLIPModel (visual_projection.weight) nor an OpenAI CLIP '
                         f'(visual.proj) checkpoint; keys start {", ".join(list(state)[:5])}')
    vision_state = {k[len('visual.'):]: v for k, v in state.items() if k.startswith('visual.')}
    text_state = {k: v for k, v in state.items() if not k.startswith('visual.') and k.split('.')[0] in
                  ('token_embedding', 'positional_embedding', 'transformer', 'ln_final', 'text_projection')}
    vision = ufd.VisionTransformer(**ufd.vit_config(vision_state))
    load_strict(vision, vision_state, f'{path} (image tower)')
    text = TextTransformer(**text_config(text_state))
    load_strict(text, text_state, f'{path} (text tower)')
    return vision.eval(), text.eval(), layout


def sample_ids(batch: int, length: int, vocab_size: int, seed: int) -> torch.Tensor:
    """Token ids as the tokenizer makes them: start token, text, end token (the highest id) last."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab_size - 2, (batch, length), generator=g)
    ids[:, 0], ids[:, -1] = vocab_size - 2, vocab_size - 1
    return ids


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', required=True, help='model.safetensors / pytorch_model.bin (Hugging Face) or ViT-B-32.pt (OpenAI)')
    parser.add_argument('--out-dir', required=True, type=Path, help='folder for vision_model.onnx and text_model.onnx')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument('--tol', type=float, default=DEFAULT_TOL)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--report-json', type=Path, default=None, help='also write the figures as JSON')
    args = parser.parse_args(argv)
    configure_threads(args.threads)

    vision, text, layout = load_towers(args.checkpoint)
    size = vision.input_resolution
    vocab = text.token_embedding.num_embeddings
    log('clip', f'loaded {args.checkpoint} ({layout} layout, strict): image {ufd.vit_config({k: v for k, v in vision.state_dict().items()})}, '
                f'text {text_config(text.state_dict())}')
    pixels = sample_inputs([(2, 3, size, size), (1, 3, size, size)], seed=0)
    ids = [sample_ids(2, 12, vocab, seed=1), sample_ids(1, 5, vocab, seed=2), sample_ids(1, text.positional_embedding.shape[0], vocab, seed=3)]

    report = {'layout': layout, 'tol': args.tol}
    report['vision'] = export_graph(vision, (pixels[0],), args.out_dir / 'vision_model.onnx', inputs=['pixel_values'], output='image_embeds',
                                    dynamic={'pixel_values': {0: 'batch'}, 'image_embeds': {0: 'batch'}}, opset=args.opset)
    report['text'] = export_graph(text, (ids[0],), args.out_dir / 'text_model.onnx', inputs=['input_ids'], output='text_embeds',
                                  dynamic={'input_ids': {0: 'batch', 1: 'sequence'}, 'text_embeds': {0: 'batch'}}, opset=args.opset)
    report['vision']['max_abs_diff'] = check_graph('clip', vision, args.out_dir / 'vision_model.onnx', 'image_embeds', [{'pixel_values': p} for p in pixels])
    report['text']['max_abs_diff'] = check_graph('clip', text, args.out_dir / 'text_model.onnx', 'text_embeds', [{'input_ids': i} for i in ids])
    report['passed'] = max(report['vision']['max_abs_diff'], report['text']['max_abs_diff']) <= args.tol
    log('clip', f'{"PASS" if report["passed"] else "FAIL"}: image {report["vision"]["max_abs_diff"]:.2e}, text {report["text"]["max_abs_diff"]:.2e} (tolerance {args.tol:.0e})')
    for part in ('vision', 'text'):
        log('clip', f'{report[part]["onnx"]}: {report[part]["bytes"] / 1e6:.1f} MB, sha256 {report[part]["sha256"]}')
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + '\n')
    return report


if __name__ == '__main__':
    sys.exit(0 if main()['passed'] else 1)
