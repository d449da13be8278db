"""Export the BLIP captioner the Semi-Truths authors used to the ONNX pair semibench's `--caption blip:DIR` backend
(src/generation/generate/caption/blip.ts) runs, with its vocabulary and generation settings.

The authors captioned with LANCE's CaptionGenerator (SemiTruths/image_augmentation/LANCE/lance/generate_captions.py):
LAVIS `load_model_and_preprocess(name="blip_caption", model_type="large_coco")`, i.e. BLIP with a ViT-L/16 at 384 px
and the checkpoint https://storage.googleapis.com/sfr-vision-language-research/BLIP/models/model_large_caption.pth
(lavis/configs/models/blip_caption_large_coco.yaml, prompt "a picture of "), then
`"a photo of " + model.generate({"image": image}, min_length=20, max_length=100, repetition_penalty=1.0)[0]`:
beam search with LAVIS's default num_beams=3, no sampling. Those settings go to blip.json.

Files written to --out-dir:
  vision.onnx   pixel_values float32 [batch, 3, S, S] (torchvision Resize((S, S), BICUBIC), ToTensor, Normalize with
                CLIP's mean/std) -> image_embeds float32 [batch, 1 + (S/P)^2, width]  (the ViT's final LayerNorm output)
  decoder.onnx  input_ids int64 [batch, sequence], attention_mask int64 [batch, sequence],
                encoder_hidden_states float32 [batch or 1, tokens, width] -> logits float32 [batch, vocab]
                (the BERT decoder with cross-attention, no cache: the logits of the last position only; one image
                batch is broadcast over the sequences, so its keys and values are projected once, not per beam)
  vocab.txt     bert-base-uncased's vocabulary plus LAVIS's added [DEC] (bos) and [ENC] tokens (ids 30522, 30523)
  blip.json     preprocessing, special token ids, the authors' generation settings, file hashes

Checkpoints (same architecture, parameter names mapped):
  - LAVIS/BLIP model_large_caption.pth (what the authors ran; `{'model': state_dict}` with visual_encoder.* and
    text_decoder.* keys);
  - Hugging Face Salesforce/blip-image-captioning-large (model.safetensors or pytorch_model.bin; vision_model.* keys,
    the BLIP checkpoint converted by transformers' convert_blip_original_pytorch_to_hf.py). Which BLIP file that
    conversion used for -large is not stated in transformers; use the LAVIS file to be sure of the authors' weights.
No transformers or LAVIS package is needed: the model is written here in plain PyTorch after BLIP's vit.py and med.py
(LAVIS lavis/models/vit.py, lavis/models/med.py), with their parameter names. Sizes are read from the state dict
(heads = width // 64, as BLIP's ViT-B/L and BERT-base have). The ViT's LayerNorms use eps 1e-6 as BLIP's vit.py
(transformers' BlipVisionConfig says 1e-5), the BERT ones 1e-12.
Each graph is checked in onnxruntime-node against this PyTorch model (max abs difference <= --tol, default 1e-4).

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/blip_caption.py --checkpoint weights/model_large_caption.pth \\
      --vocab weights/bert-base-uncased/vocab.txt --out-dir models/blip-caption-large
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import torch
from torch import nn

from common import DEFAULT_OPSET, DEFAULT_TOL, configure_threads, load_strict, log
from metric_common import check_graph, export_graph, load_any_state_dict

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
# LANCE's CaptionGenerator defaults and LAVIS BlipCaption.generate's (num_beams); transformers' generate defaults
# for the rest (length_penalty 1.0, early_stopping False).
AUTHORS_GENERATION = {'prompt': 'a picture of ', 'caption_prefix': 'a photo of ', 'num_beams': 3, 'max_length': 100,
                      'min_length': 20, 'repetition_penalty': 1.0, 'length_penalty': 1.0}
ADDED_TOKENS = ['[DEC]', '[ENC]']
SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', *ADDED_TOKENS]


# ------------------------------------------------------------------------------------------ vision (BLIP vit.py)

class Attention(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, width * 3)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, eps: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=eps)
        self.attn = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width, eps=eps)
        self.mlp = Mlp(width, width * 4)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch: int, width: int):
        super().__init__()
        self.proj = nn.Conv2d(3, width, kernel_size=patch, stride=patch)


class VisionTransformer(nn.Module):
    """BLIP's ViT (forward_features): patches + class token + positions, pre-norm blocks, a final LayerNorm."""

    def __init__(self, image_size: int, patch: int, width: int, layers: int, heads: int, eps: float = 1e-6):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, width)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image_size // patch) ** 2 + 1, width))
        self.blocks = nn.ModuleList(Block(width, heads, eps) for _ in range(layers))
        self.norm = nn.LayerNorm(width, eps=eps)

    def forward(self, pixel_values):
        x = self.patch_embed.proj(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed[:, :x.shape[1] + 1]
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


# ------------------------------------------------------------------------------- text decoder (BLIP med.py)

class SelfAttention(nn.Module):
    """BertSelfAttention: queries from the text; keys and values from the text, or from the image (cross)."""

    def __init__(self, hidden: int, heads: int, kv_width: int):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(kv_width, hidden)
        self.value = nn.Linear(kv_width, hidden)

    def split(self, x):
        b, n, c = x.shape
        return x.view(b, n, self.heads, c // self.heads).permute(0, 2, 1, 3)

    def forward(self, hidden, context, mask):
        q, k, v = self.split(self.query(hidden)), self.split(self.key(context)), self.split(self.value(context))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores + mask
        out = scores.softmax(dim=-1) @ v
        b, h, n, d = out.shape
        return out.permute(0, 2, 1, 3).reshape(b, n, h * d)


class SelfOutput(nn.Module):
    def __init__(self, hidden: int, width_in: int):
        super().__init__()
        self.dense = nn.Linear(width_in, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class AttentionBlock(nn.Module):
    def __init__(self, hidden: int, heads: int, kv_width: int):
        super().__init__()
        self.self = SelfAttention(hidden, heads, kv_width)
        self.output = SelfOutput(hidden, hidden)

    def forward(self, hidden, context, mask):
        return self.output(self.self(hidden, context, mask), hidden)


class Intermediate(nn.Module):
    def __init__(self, hidden: int, intermediate: int):
        super().__init__()
        self.dense = nn.Linear(hidden, intermediate)

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class Layer(nn.Module):
    """BertLayer in BLIP's 'multimodal' mode: causal self-attention, cross-attention to the image, feed-forward."""

    def __init__(self, hidden: int, heads: int, intermediate: int, encoder_width: int):
        super().__init__()
        self.attention = AttentionBlock(hidden, heads, hidden)
        self.crossattention = AttentionBlock(hidden, heads, encoder_width)
        self.intermediate = Intermediate(hidden, intermediate)
        self.output = SelfOutput(hidden, intermediate)

    def forward(self, x, image, mask):
        x = self.attention(x, x, mask)
        x = self.crossattention(x, image, None)  # every image token is attended (LAVIS: image_atts all ones)
        return self.output(self.intermediate(x), x)


class Embeddings(nn.Module):
    def __init__(self, vocab: int, hidden: int, positions: int):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden)
        self.position_embeddings = nn.Embedding(positions, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        return self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(positions)[None])


class Encoder(nn.Module):
    def __init__(self, layers: int, **sizes):
        super().__init__()
        self.layer = nn.ModuleList(Layer(**sizes) for _ in range(layers))


class Bert(nn.Module):
    def __init__(self, vocab: int, hidden: int, positions: int, layers: int, heads: int, intermediate: int, encoder_width: int):
        super().__init__()
        self.embeddings = Embeddings(vocab, hidden, positions)
        self.encoder = Encoder(layers, hidden=hidden, heads=heads, intermediate=intermediate, encoder_width=encoder_width)


class Transform(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x):
        return self.LayerNorm(nn.functional.gelu(self.dense(x)))


class Predictions(nn.Module):
    def __init__(self, hidden: int, vocab: int):
        super().__init__()
        self.transform = Transform(hidden)
        self.decoder = nn.Linear(hidden, vocab)


class Head(nn.Module):
    def __init__(self, hidden: int, vocab: int):
        super().__init__()
        self.predictions = Predictions(hidden, vocab)


class TextDecoder(nn.Module):
    """BertLMHeadModel (XBertLMHeadDecoder): next-token logits at the last position, given the image tokens."""

    def __init__(self, vocab: int, hidden: int, positions: int, layers: int, heads: int, intermediate: int, encoder_width: int):
        super().__init__()
        self.bert = Bert(vocab, hidden, positions, layers, heads, intermediate, encoder_width)
        self.cls = Head(hidden, vocab)

    def forward(self, input_ids, attention_mask, encoder_hidden_states):
        length = input_ids.shape[1]
        causal = torch.tril(torch.ones(length, length, dtype=torch.float32, device=input_ids.device))
        keep = causal[None, None] * attention_mask[:, None, None, :].to(torch.float32)
        mask = (1.0 - keep) * -10000.0  # med.py get_extended_attention_mask
        x = self.bert.embeddings(input_ids)
        for layer in self.bert.encoder.layer:
            x = layer(x, encoder_hidden_states, mask)
        return self.cls.predictions.decoder(self.cls.predictions.transform(x[:, -1]))


class Blip(nn.Module):
    def __init__(self, vision: dict, text: dict):
        super().__init__()
        self.visual_encoder = VisionTransformer(**vision)
        self.text_decoder = TextDecoder(**text)


# ----------------------------------------------------------------------------------------------- checkpoints

HF_VISION = [('vision_model.embeddings.class_embedding', 'visual_encoder.cls_token'),
             ('vision_model.embeddings.position_embedding', 'visual_encoder.pos_embed'),
             ('vision_model.embeddings.patch_embedding.', 'visual_encoder.patch_embed.proj.'),
             ('vision_model.post_layernorm.', 'visual_encoder.norm.'),
             ('vision_model.encoder.layers.', 'visual_encoder.blocks.')]
HF_BLOCK = [('.self_attn.qkv.', '.attn.qkv.'), ('.self_attn.projection.', '.attn.proj.'),
            ('.layer_norm1.', '.norm1.'), ('.layer_norm2.', '.norm2.')]


def from_hugging_face(key: str) -> str:
    """transformers BlipForConditionalGeneration names -> BLIP's (the inverse of convert_blip_original_pytorch_to_hf's
    rename_key); text_decoder.* names are the same in both."""
    for hf, blip in HF_VISION:
        if key.startswith(hf):
            key = blip + key[len(hf):]
            if blip == 'visual_encoder.blocks.':
                for a, b in HF_BLOCK:
                    key = key.replace(a, b)
            return key
    return key


def blip_state(path: str) -> tuple[dict[str, torch.Tensor], str]:
    """The checkpoint's visual_encoder.* / text_decoder.* tensors in BLIP's names, float32. The LM head's tied
    tensors are filled from their twins when a file stores one of them only (BLIP ties decoder.weight to the word
    embeddings and decoder.bias to cls.predictions.bias)."""
    raw = load_any_state_dict(path)
    layout = 'Hugging Face BlipForConditionalGeneration' if any(k.startswith('vision_model.') for k in raw) else 'BLIP/LAVIS'
    state = {}
    for key, value in raw.items():
        key = from_hugging_face(key)
        if key.split('.')[0] in ('visual_encoder', 'text_decoder') and not key.endswith('position_ids'):
            state[key] = value.float()
    head = 'text_decoder.cls.predictions.'
    state.setdefault(f'{head}decoder.weight', state.get('text_decoder.bert.embeddings.word_embeddings.weight'))
    bias = state.pop(f'{head}bias', None)
    state.setdefault(f'{head}decoder.bias', bias)
    missing = [k for k, v in state.items() if v is None]
    if 'visual_encoder.cls_token' not in state or missing:
        raise SystemExit(f'{path}: not a BLIP captioning checkpoint (no visual_encoder.cls_token / vision_model.* '
                         f'or no LM head); keys start {", ".join(list(raw)[:5])}')
    return state, layout


def sizes(state: dict[str, torch.Tensor]) -> tuple[dict, dict]:
    width = state['visual_encoder.cls_token'].shape[-1]
    patch = state['visual_encoder.patch_embed.proj.weight'].shape[-1]
    grid = math.isqrt(state['visual_encoder.pos_embed'].shape[1] - 1)
    vision = {'image_size': grid * patch, 'patch': patch, 'width': width, 'heads': width // 64,
              'layers': len({k.split('.')[2] for k in state if k.startswith('visual_encoder.blocks.')})}
    words = state['text_decoder.bert.embeddings.word_embeddings.weight']
    text = {'vocab': words.shape[0], 'hidden': words.shape[1], 'heads': words.shape[1] // 64,
            'positions': state['text_decoder.bert.embeddings.position_embeddings.weight'].shape[0],
            'layers': len({k.split('.')[4] for k in state if k.startswith('text_decoder.bert.encoder.layer.')}),
            'intermediate': state['text_decoder.bert.encoder.layer.0.intermediate.dense.weight'].shape[0],
            'encoder_width': state['text_decoder.bert.encoder.layer.0.crossattention.self.key.weight'].shape[1]}
    return vision, text


def load_blip(path: str) -> tuple[Blip, str]:
    state, layout = blip_state(path)
    vision, text = sizes(state)
    model = Blip(vision, text)
    load_strict(model, state, path)
    return model.eval(), layout


# ---------------------------------------------------------------------------------------------------- export

class VisionGraph(nn.Module):
    def __init__(self, model: Blip):
        super().__init__()
        self.encoder = model.visual_encoder

    def forward(self, pixel_values):
        return self.encoder(pixel_values)


class DecoderGraph(nn.Module):
    def __init__(self, model: Blip):
        super().__init__()
        self.decoder = model.text_decoder

    def forward(self, input_ids, attention_mask, encoder_hidden_states):
        return self.decoder(input_ids, attention_mask, encoder_hidden_states)


def read_vocab(path: Path, size: int) -> list[str]:
    """bert-base-uncased's vocab.txt, with LAVIS's added tokens appended when the file lacks them
    (BlipBase.init_tokenizer: add_special_tokens bos_token [DEC], additional_special_tokens [ENC])."""
    tokens = path.read_text(encoding='utf8').split('\n')
    if tokens and tokens[-1] == '':
        tokens.pop()
    for token in ADDED_TOKENS:
        if token not in tokens:
            tokens.append(token)
    if len(tokens) != size:
        raise SystemExit(f'{path}: {len(tokens)} tokens with {", ".join(ADDED_TOKENS)}, but the decoder has {size} outputs')
    return tokens


def export_blip(model: Blip, tokens: list[str], out_dir: Path, *, generation: dict, checkpoint: str, layout: str,
                mean=CLIP_MEAN, std=CLIP_STD, opset: int = DEFAULT_OPSET, tol: float = DEFAULT_TOL, seed: int = 0) -> dict:
    """Writes vision.onnx, decoder.onnx, vocab.txt and blip.json to out_dir; checks both graphs against PyTorch."""
    out_dir.mkdir(parents=True, exist_ok=True)
    size = model.visual_encoder.pos_embed.shape[1] - 1
    image_size = math.isqrt(size) * model.visual_encoder.patch_embed.proj.weight.shape[-1]
    g = torch.Generator().manual_seed(seed)
    pixels = [torch.randn(n, 3, image_size, image_size, generator=g) for n in (1, 2)]
    vision = VisionGraph(model).eval()
    report = {'checkpoint': checkpoint, 'layout': layout, 'tol': tol}
    report['vision'] = export_graph(vision, (pixels[0],), out_dir / 'vision.onnx', inputs=['pixel_values'], output='image_embeds',
                                    dynamic={'pixel_values': {0: 'batch'}, 'image_embeds': {0: 'batch'}}, opset=opset)
    report['vision']['max_abs_diff'] = check_graph('blip vision', vision, out_dir / 'vision.onnx', 'image_embeds',
                                                   [{'pixel_values': p} for p in pixels])
    decoder = DecoderGraph(model).eval()
    with torch.no_grad():
        image = vision(pixels[1])
    vocab = len(tokens)
    cases = []
    for batch, length in ((2, 4), (3, 9)):
        ids = torch.randint(0, vocab, (batch, length), generator=g)
        mask = torch.ones(batch, length, dtype=torch.int64)
        mask[0, -1] = 0  # a padded position must not change the others
        # one image for every sequence (batch 1, broadcast: what the backend feeds the beams) and one per sequence
        states = image[:1] if length == 4 else image[:1].expand(batch, -1, -1).contiguous()
        cases.append({'input_ids': ids, 'attention_mask': mask, 'encoder_hidden_states': states})
    dynamic = {'input_ids': {0: 'batch', 1: 'sequence'}, 'attention_mask': {0: 'batch', 1: 'sequence'},
               'encoder_hidden_states': {0: 'images', 1: 'tokens'}, 'logits': {0: 'batch'}}
    report['decoder'] = export_graph(decoder, tuple(cases[0].values()), out_dir / 'decoder.onnx',
                                     inputs=list(cases[0]), output='logits', dynamic=dynamic, opset=opset)
    report['decoder']['max_abs_diff'] = check_graph('blip decoder', decoder, out_dir / 'decoder.onnx', 'logits', cases)
    report['passed'] = max(report['vision']['max_abs_diff'], report['decoder']['max_abs_diff']) <= tol

    (out_dir / 'vocab.txt').write_text(''.join(f'{t}\n' for t in tokens), encoding='utf8')
    ids = {t: i for i, t in enumerate(tokens)}
    settings = {
        'model': generation.pop('model', 'blip_caption_large_coco'),
        'checkpoint': Path(checkpoint).name, 'layout': layout,
        'image_size': image_size, 'resample': 'bicubic', 'mean': mean, 'std': std,
        'lowercase': True, 'bos_token_id': ids['[DEC]'], 'eos_token_id': ids['[SEP]'], 'pad_token_id': ids['[PAD]'],
        'special_token_ids': sorted(ids[t] for t in SPECIAL_TOKENS if t in ids),
        **generation,
        'vision': {'file': 'vision.onnx', 'sha256': report['vision']['sha256']},
        'decoder': {'file': 'decoder.onnx', 'sha256': report['decoder']['sha256']},
    }
    (out_dir / 'blip.json').write_text(json.dumps(settings, indent=2) + '\n')
    log('blip', f'{"PASS" if report["passed"] else "FAIL"}: vision {report["vision"]["max_abs_diff"]:.2e}, decoder '
               f'{report["decoder"]["max_abs_diff"]:.2e} (tolerance {tol:.0e}); wrote {out_dir}/blip.json')
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', required=True, help='model_large_caption.pth (BLIP/LAVIS) or model.safetensors / pytorch_model.bin (Hugging Face)')
    parser.add_argument('--vocab', required=True, type=Path, help="bert-base-uncased's vocab.txt (also in the Hugging Face BLIP folder)")
    parser.add_argument('--out-dir', required=True, type=Path, help='folder for vision.onnx, decoder.onnx, vocab.txt, blip.json')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument('--tol', type=float, default=DEFAULT_TOL)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--report-json', type=Path, default=None, help='also write the figures as JSON')
    args = parser.parse_args(argv)
    configure_threads(args.threads)
    model, layout = load_blip(args.checkpoint)
    log('blip', f'{args.checkpoint}: {layout} layout, {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters')
    tokens = read_vocab(args.vocab, model.text_decoder.cls.predictions.decoder.out_features)
    report = export_blip(model, tokens, args.out_dir, generation=dict(AUTHORS_GENERATION), checkpoint=args.checkpoint,
                         layout=layout, opset=args.opset, tol=args.tol)
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + '\n')
    return 0 if report['passed'] else 1


if __name__ == '__main__':
    sys.exit(main())
