"""Export sentence-transformers/all-MiniLM-L6-v2 (Semi-Truths' sen_sim model) to the ONNX graph semibench's
`all-minilm-l6-v2` metric manifest expects (src/generation/learned/zoo.ts):

  model.onnx  input_ids, attention_mask, token_type_ids int64 [batch, sequence] -> last_hidden_state [batch, sequence, 384]

semibench mean-pools the token states over the attention mask and L2-normalises them, as the model's
sentence-transformers pipeline (Transformer → Pooling(mean) → Normalize) does.

  OMP_NUM_THREADS=2 /usr/bin/python3 tools/export/minilm.py --checkpoint weights/all-MiniLM-L6-v2/model.safetensors \
      --out models/metrics/all-MiniLM-L6-v2/onnx/model.onnx
  cp weights/all-MiniLM-L6-v2/vocab.txt models/metrics/all-MiniLM-L6-v2/vocab.txt

Checkpoint: the Hugging Face repository sentence-transformers/all-MiniLM-L6-v2 (model.safetensors or
pytorch_model.bin, a BertModel: 6 layers, hidden 384, 12 heads, intermediate 1536, GELU, LayerNorm eps 1e-12) and
its vocab.txt. That repository also publishes onnx/model.onnx with these names, which the manifest takes as it is.
No transformers package is needed: `Bert` below is transformers' BertModel (absolute positions, no pooler) with its
parameter names; sizes come from the state dict, heads from --heads (default hidden // 32, 12 for MiniLM).
The graph is checked in onnxruntime-node against PyTorch (max abs difference <= --tol, default 1e-4).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch import nn

from common import DEFAULT_OPSET, DEFAULT_TOL, configure_threads, load_strict, log
from metric_common import export_checked, load_any_state_dict


class Embeddings(nn.Module):
    def __init__(self, vocab: int, hidden: int, positions: int, types: int):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden)
        self.position_embeddings = nn.Embedding(positions, hidden)
        self.token_type_embeddings = nn.Embedding(types, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids) + self.position_embeddings(positions)
        return self.LayerNorm(x)


class Dense(nn.Module):
    """BertSelfOutput / BertOutput: dense, then LayerNorm of the residual sum."""

    def __init__(self, inputs: int, hidden: int):
        super().__init__()
        self.dense = nn.Linear(inputs, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class SelfAttention(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)

    def forward(self, x, additive_mask):
        b, t, h = x.shape
        split = lambda y: y.reshape(b, t, self.heads, h // self.heads).permute(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / (h // self.heads) ** 0.5 + additive_mask
        return (scores.softmax(dim=-1) @ v).permute(0, 2, 1, 3).reshape(b, t, h)


class Attention(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.self = SelfAttention(hidden, heads)
        self.output = Dense(hidden, hidden)


class Intermediate(nn.Module):
    def __init__(self, hidden: int, inner: int):
        super().__init__()
        self.dense = nn.Linear(hidden, inner)


class Layer(nn.Module):
    def __init__(self, hidden: int, inner: int, heads: int):
        super().__init__()
        self.attention = Attention(hidden, heads)
        self.intermediate = Intermediate(hidden, inner)
        self.output = Dense(inner, hidden)

    def forward(self, x, additive_mask):
        x = self.attention.output(self.attention.self(x, additive_mask), x)
        return self.output(nn.functional.gelu(self.intermediate.dense(x)), x)


class Encoder(nn.Module):
    def __init__(self, layers: int, hidden: int, inner: int, heads: int):
        super().__init__()
        self.layer = nn.ModuleList([Layer(hidden, inner, heads) for _ in range(layers)])


class Bert(nn.Module):
    """transformers BertModel(...).last_hidden_state (eval mode, no pooler)."""

    def __init__(self, vocab: int, hidden: int, positions: int, types: int, layers: int, inner: int, heads: int):
        super().__init__()
        self.embeddings = Embeddings(vocab, hidden, positions, types)
        self.encoder = Encoder(layers, hidden, inner, heads)

    def forward(self, input_ids, attention_mask, token_type_ids):
        # get_extended_attention_mask: (1 - mask) * the dtype's minimum, added to every head's scores.
        additive = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.encoder.layer:
            x = layer(x, additive)
        return x


def bert_config(state: dict[str, torch.Tensor], heads: int | None) -> dict:
    vocab, hidden = state['embeddings.word_embeddings.weight'].shape
    layers = len({k.split('.')[2] for k in state if k.startswith('encoder.layer.')})
    return {'vocab': vocab, 'hidden': hidden, 'positions': state['embeddings.position_embeddings.weight'].shape[0],
            'types': state['embeddings.token_type_embeddings.weight'].shape[0], 'layers': layers,
            'inner': state['encoder.layer.0.intermediate.dense.weight'].shape[0], 'heads': heads or hidden // 32}


def load_bert(path: str, heads: int | None = None) -> Bert:
    state = {k.removeprefix('bert.').removeprefix('0.auto_model.'): v.float() for k, v in load_any_state_dict(path).items()}
    state = {k: v for k, v in state.items() if not k.startswith('pooler.') and k != 'embeddings.position_ids'}
    if 'embeddings.word_embeddings.weight' not in state:
        raise SystemExit(f'{path}: not a BERT checkpoint (no embeddings.word_embeddings.weight; keys start {", ".join(list(state)[:5])})')
    config = bert_config(state, heads)
    if config['hidden'] % config['heads']:
        raise SystemExit(f'{path}: hidden {config["hidden"]} is not divisible by {config["heads"]} heads (pass --heads)')
    model = Bert(**config)
    load_strict(model, state, path)
    return model.eval()


def sample_ids(batch: int, length: int, vocab: int, seed: int, pad: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, vocab, (batch, length), generator=g)
    ids[:, 0], ids[:, -1] = 101, 102  # [CLS] ... [SEP]
    mask = torch.ones(batch, length, dtype=torch.int64)
    if pad:
        ids[:, -pad:], mask[:, -pad:] = 0, 0
    return {'input_ids': ids, 'attention_mask': mask, 'token_type_ids': torch.zeros(batch, length, dtype=torch.int64)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--checkpoint', required=True, help='model.safetensors or pytorch_model.bin of all-MiniLM-L6-v2')
    parser.add_argument('--out', required=True, type=Path, help='e.g. models/metrics/all-MiniLM-L6-v2/onnx/model.onnx')
    parser.add_argument('--heads', type=int, default=None, help='attention heads (default hidden // 32: 12 for MiniLM)')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    parser.add_argument('--tol', type=float, default=DEFAULT_TOL)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--report-json', type=Path, default=None)
    args = parser.parse_args(argv)
    configure_threads(args.threads)

    model = load_bert(args.checkpoint, args.heads)
    vocab = model.embeddings.word_embeddings.num_embeddings
    log('minilm', f'loaded {args.checkpoint} (strict): {bert_config(model.state_dict(), args.heads)}')
    cases = [sample_ids(2, 11, vocab, 0), sample_ids(1, 4, vocab, 1), sample_ids(2, 16, vocab, 2, pad=5)]
    axes = {0: 'batch', 1: 'sequence'}
    return export_checked('minilm', model, args, cases, output='last_hidden_state',
                          dynamic={n: axes for n in ['input_ids', 'attention_mask', 'token_type_ids', 'last_hidden_state']})


if __name__ == '__main__':
    sys.exit(0 if main()['passed'] else 1)
