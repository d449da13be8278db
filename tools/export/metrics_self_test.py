"""Self-test of the metric-model exporters (clip_vitb32.py, lpips_squeeze.py) on random-weight models of the real
architectures (no real weights can be downloaded here).

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/metrics_self_test.py --metrics-dir DIR [--ids ids.json] [--json results.json]

Writes the exports into DIR in the layout of semibench's built-in metric manifests (src/generation/learned/zoo.ts):
  clip-vit-base-patch32/onnx/{vision_model,text_model}.onnx  a tiny CLIP (width 128, 2 layers, 49408-token
      vocabulary, context 77, ViT patch 32 at 224) saved as an OpenAI-layout state dict; the same weights in Hugging
      Face CLIPModel names (.safetensors) are exported too and must give the same outputs (the name mapping);
  lpips-squeeze/model.onnx  the full-size LPIPS SqueezeNet with random features and heads;
  all-MiniLM-L6-v2/onnx/model.onnx  a tiny BERT (hidden 64, 2 layers, 30522-token vocabulary) as .safetensors.
Each exporter checks onnxruntime-node against PyTorch (<= 1e-4). With --ids (a JSON list of token-id lists), the
results also hold PyTorch's text embedding of each (--wordpiece-ids: the tiny MiniLM's mean-pooled, normalised
sentence embedding), for the caller to compare with semibench's own run.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torchvision

import clip_vitb32
import lpips_squeeze
import minilm
import ufd
from common import configure_threads, sample_inputs
from metric_common import run_feed, save_safetensors


def to_hugging_face(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The inverse of clip_vitb32.from_hugging_face (tests only)."""
    hf = {}
    for key, value in state.items():
        vision = key.startswith('visual.')
        name = key[len('visual.'):] if vision else key
        prefix = 'vision_model.' if vision else 'text_model.'
        if name.startswith('transformer.resblocks.'):
            i, rest = name.split('.')[2], '.'.join(name.split('.')[3:])
            dst = f'{prefix}encoder.layers.{i}.'
            if rest.startswith('attn.in_proj_'):
                kind = rest.split('_')[-1]
                for p, chunk in zip('qkv', value.chunk(3)):
                    hf[f'{dst}self_attn.{p}_proj.{kind}'] = chunk
                continue
            for a, b in (('attn.out_proj', 'self_attn.out_proj'), ('ln_1', 'layer_norm1'), ('ln_2', 'layer_norm2'),
                         ('mlp.c_fc', 'mlp.fc1'), ('mlp.c_proj', 'mlp.fc2')):
                if rest.startswith(a + '.'):
                    hf[dst + b + rest[len(a):]] = value
            continue
        simple = {'visual.class_embedding': 'vision_model.embeddings.class_embedding',
                  'visual.conv1.weight': 'vision_model.embeddings.patch_embedding.weight',
                  'visual.positional_embedding': 'vision_model.embeddings.position_embedding.weight',
                  'token_embedding.weight': 'text_model.embeddings.token_embedding.weight',
                  'positional_embedding': 'text_model.embeddings.position_embedding.weight'}
        if key in simple:
            hf[simple[key]] = value
        elif key == 'visual.proj':
            hf['visual_projection.weight'] = value.t().contiguous()
        elif key == 'text_projection':
            hf['text_projection.weight'] = value.t().contiguous()
        else:
            for a, b in (('visual.ln_pre', 'vision_model.pre_layrnorm'), ('visual.ln_post', 'vision_model.post_layernorm'),
                         ('ln_final', 'text_model.final_layer_norm')):
                if key.startswith(a + '.'):
                    hf[b + key[len(a):]] = value
    hf['logit_scale'] = torch.tensor(4.6052)
    return hf


def randomize_layer_norms(model: torch.nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)


def case_clip(metrics_dir: Path, tmp: Path, ids: list[list[int]]) -> dict:
    torch.manual_seed(50)
    # heads = width // 64, the rule the exporter (like clip.build_model) reads the size with.
    vision = ufd.VisionTransformer(224, 32, width=128, layers=2, heads=2, output_dim=32).eval()
    text = clip_vitb32.TextTransformer(49408, 77, width=128, layers=2, heads=2, embed_dim=32).eval()
    randomize_layer_norms(vision, 51)
    randomize_layer_norms(text, 52)
    state = {**{f'visual.{k}': v for k, v in vision.state_dict().items()}, **text.state_dict()}
    openai_ckpt, hf_ckpt = tmp / 'ViT-tiny.pt', tmp / 'model.safetensors'
    torch.save(state, openai_ckpt)
    save_safetensors(to_hugging_face(state), hf_ckpt)
    out = metrics_dir / 'clip-vit-base-patch32' / 'onnx'
    report = clip_vitb32.main(['--checkpoint', str(openai_ckpt), '--out-dir', str(out)])
    hf_report = clip_vitb32.main(['--checkpoint', str(hf_ckpt), '--out-dir', str(tmp / 'hf')])
    problems = [] if report['passed'] and hf_report['passed'] else ['exporter check failed']
    # The two layouts must give the same graphs' outputs.
    pixels = sample_inputs([(1, 3, 224, 224)], seed=7)[0].numpy()
    probe = np.array([[49406, 320, 1125, 539, 320, 2368, 49407]])
    layout_diff = max(
        float(np.abs(run_feed(out / 'vision_model.onnx', 'image_embeds', {'pixel_values': pixels})
                     - run_feed(tmp / 'hf' / 'vision_model.onnx', 'image_embeds', {'pixel_values': pixels})).max()),
        float(np.abs(run_feed(out / 'text_model.onnx', 'text_embeds', {'input_ids': probe})
                     - run_feed(tmp / 'hf' / 'text_model.onnx', 'text_embeds', {'input_ids': probe})).max()))
    if layout_diff > 1e-6:
        problems.append(f'Hugging Face layout differs from OpenAI layout by {layout_diff:.2e}')
    with torch.no_grad():
        # onnxruntime against the ORIGINAL in-memory towers, so that a loading mistake cannot hide.
        vs_original = max(
            float(np.abs(vision(torch.from_numpy(pixels)).numpy() - run_feed(out / 'vision_model.onnx', 'image_embeds', {'pixel_values': pixels})).max()),
            float(np.abs(text(torch.from_numpy(probe)).numpy() - run_feed(out / 'text_model.onnx', 'text_embeds', {'input_ids': probe})).max()))
    if vs_original > 1e-4:
        problems.append(f'onnx vs original model {vs_original:.2e} > 1e-4')
    with torch.no_grad():
        embeddings = [text(torch.tensor([row])).numpy()[0].tolist() for row in ids]
    return {'model': 'clip', 'passed': not problems, 'problems': problems, 'layout_diff': layout_diff, 'vs_original': vs_original,
            'max_abs_diff': max(report['vision']['max_abs_diff'], report['text']['max_abs_diff']), 'text_embeddings': embeddings}


def case_lpips(metrics_dir: Path, tmp: Path) -> dict:
    torch.manual_seed(60)
    squeezenet, lin = tmp / 'squeezenet1_1.pth', tmp / 'squeeze.pth'
    torch.save(torchvision.models.squeezenet1_1().state_dict(), squeezenet)
    torch.save({f'lin{k}.model.1.weight': torch.rand(1, c, 1, 1) * 0.1 for k, c in enumerate(lpips_squeeze.CHANNELS)}, lin)
    report = lpips_squeeze.main(['--squeezenet', str(squeezenet), '--lin', str(lin), '--out', str(metrics_dir / 'lpips-squeeze' / 'model.onnx')])
    return {'model': 'lpips', 'passed': report['passed'], 'problems': [] if report['passed'] else ['exporter check failed'],
            'max_abs_diff': report['model']['max_abs_diff']}


def case_minilm(metrics_dir: Path, tmp: Path, ids: list[list[int]]) -> dict:
    torch.manual_seed(70)
    model = minilm.Bert(vocab=30522, hidden=64, positions=512, types=2, layers=2, inner=128, heads=2).eval()  # heads = 64 // 32
    randomize_layer_norms(model, 71)
    ckpt = tmp / 'minilm.safetensors'
    save_safetensors({**model.state_dict(), 'embeddings.position_ids': torch.arange(512)[None, :].float()}, ckpt)
    out = metrics_dir / 'all-MiniLM-L6-v2' / 'onnx' / 'model.onnx'
    report = minilm.main(['--checkpoint', str(ckpt), '--out', str(out)])
    problems = [] if report['passed'] else ['exporter check failed']
    feeds = minilm.sample_ids(1, 9, 30522, seed=5)
    with torch.no_grad():
        vs_original = float(np.abs(model(*feeds.values()).numpy() - run_feed(out, 'last_hidden_state', {k: v.numpy() for k, v in feeds.items()})).max())
        # sentence-transformers: mean over the attention mask, then L2 normalisation.
        states = [model(torch.tensor([row]), torch.ones(1, len(row), dtype=torch.int64), torch.zeros(1, len(row), dtype=torch.int64))[0].mean(dim=0) for row in ids]
        embeddings = [(s / s.norm()).numpy().tolist() for s in states]
    if vs_original > 1e-4:
        problems.append(f'onnx vs original model {vs_original:.2e} > 1e-4')
    return {'model': 'minilm', 'passed': not problems, 'problems': problems, 'vs_original': vs_original,
            'max_abs_diff': report['model']['max_abs_diff'], 'sentence_embeddings': embeddings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--metrics-dir', required=True, type=Path)
    parser.add_argument('--ids', type=Path, default=None, help='JSON list of token-id lists to embed with the tiny CLIP')
    parser.add_argument('--wordpiece-ids', type=Path, default=None, help='JSON list of WordPiece id lists to embed with the tiny MiniLM')
    parser.add_argument('--json', type=Path, default=None)
    args = parser.parse_args(argv)
    configure_threads()
    ids = json.loads(args.ids.read_text()) if args.ids else []
    wordpiece_ids = json.loads(args.wordpiece_ids.read_text()) if args.wordpiece_ids else []
    with tempfile.TemporaryDirectory(prefix='semibench-metric-export-') as tmp:
        rows = [case_clip(args.metrics_dir, Path(tmp), ids), case_lpips(args.metrics_dir, Path(tmp)),
                case_minilm(args.metrics_dir, Path(tmp), wordpiece_ids)]
    for row in rows:
        print(f'{"PASS" if row["passed"] else "FAIL"} {row["model"]}: onnxruntime vs torch {row["max_abs_diff"]:.1e}'
              + (f', Hugging Face vs OpenAI layout {row["layout_diff"]:.1e}' if 'layout_diff' in row else '')
              + (f'  [{"; ".join(row["problems"])}]' if row['problems'] else ''))
    if args.json:
        args.json.write_text(json.dumps({'results': rows}) + '\n')
    return 0 if all(r['passed'] for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
