"""Goldens for the BLIP caption backend (src/generation/generate/caption/blip.ts) on a TINY random-weight BLIP.

Real BLIP weights are not here, so this builds the exporter's own architecture (tools/export/blip_caption.py: BLIP's
ViT and BERT decoder with cross-attention) at a tiny size with seeded random weights and a tiny WordPiece vocabulary,
and exports it with that exporter (vision.onnx, decoder.onnx, vocab.txt, blip.json: the files the backend loads).
Then, per fixture photo:
  - the pixel tensor as LAVIS's blip_image_eval makes it: PIL open, convert('RGB'), torchvision
    Resize((S, S), BICUBIC), ToTensor, Normalize(CLIP mean, std)  -> pixels_<name>.f32;
  - token ids from greedy search and beam search run on the PyTorch model, written here from transformers'
    generate (GenerationMixin._sample / _beam_search with BeamSearchScorer and BeamHypotheses as at commit 4e7bd11,
    with the eos counted in the generated length; LAVIS calls generate with eos = [SEP], pad = [PAD], the prompt "[DEC] a picture of");
  - the decoded text as BertTokenizer.decode(skip_special_tokens=True) gives it (tokens joined by spaces, " ##"
    removed, clean_up_tokenization_spaces), then LAVIS's caption[len(prompt):] and LANCE's "a photo of " prefix.
What this proves: the TypeScript preprocessing, decoding loop and text decoding equal these references on a model
of BLIP's shape. It does not run the real BLIP weights.

  /usr/bin/python3 tools/parity/make_blip_goldens.py --out /tmp/blip-goldens
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision import transforms
from torchvision.transforms.functional import InterpolationMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'export'))
from blip_caption import CLIP_MEAN, CLIP_STD, Blip, export_blip  # noqa: E402

# A tiny BERT-like vocabulary: the specials at their own ids, whole words, "##" pieces, punctuation for the
# clean-up rules, and LAVIS's added [DEC] / [ENC] last.
VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'picture', 'of', 'photo', 'dog', 'cat', 'on', 'the',
         'grass', 'red', 'car', 'street', 'man', 'with', 'and', 'in', 'front', 'house', 'tree', 'sit', 'run', 'blue',
         'sky', 'is', 'it', 'do', 'n', "'", 't', 's', 'm', 're', 've', '.', ',', '?', '!', '-', 'don', 'play',
         '##ing', '##s', '##ed', '##er', '##y', '##ly', '##ball', '##house', 'foot', 'sun', 'light', 'white', 'black',
         'table', 'room', 'window', 'people', 'two', 'walk', '[DEC]', '[ENC]']
PROMPT = 'a picture of '
EOS_BIAS = 1.0
IMAGE_SIZE = 384
# (name, generation settings): the authors' search (beam 3, prompt, min/max length; shorter here), greedy, and a
# beam search with a repetition and a length penalty, and one cut short by max_length.
SETTINGS = [
    ('authors', {'num_beams': 3, 'max_length': 24, 'min_length': 8, 'repetition_penalty': 1.0, 'length_penalty': 1.0}),
    ('greedy', {'num_beams': 1, 'max_length': 20, 'min_length': 6, 'repetition_penalty': 1.0, 'length_penalty': 1.0}),
    ('penalties', {'num_beams': 4, 'max_length': 18, 'min_length': 7, 'repetition_penalty': 1.3, 'length_penalty': 1.5}),
    ('cut', {'num_beams': 3, 'max_length': 9, 'min_length': 0, 'repetition_penalty': 1.0, 'length_penalty': 1.0}),
]


def tiny_model(seed: int, eos: int) -> Blip:
    torch.manual_seed(seed)
    model = Blip({'image_size': IMAGE_SIZE, 'patch': 32, 'width': 128, 'layers': 2, 'heads': 2},
                 {'vocab': len(VOCAB), 'hidden': 128, 'positions': 64, 'layers': 2, 'heads': 2, 'intermediate': 256,
                  'encoder_width': 128})
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('pos_embed') or name.endswith('cls_token'):
                p.normal_(std=0.5)
            # Sharper, stronger cross-attention, so that the photo changes the caption.
            if '.crossattention.self.query.' in name or '.crossattention.self.key.' in name:
                p.mul_(4.0)
            if '.crossattention.output.dense.' in name:
                p.mul_(8.0)
        # Random logits rarely pick [SEP]; a raised bias lets some searches end before max_length.
        model.text_decoder.cls.predictions.decoder.bias[eos] += EOS_BIAS
    return model.eval()


def fixtures(out: Path) -> list[Path]:
    """Odd sizes, RGB and greyscale, smooth and noisy, so the bicubic resize is exercised up and down."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:61, 0:97]
    smooth = np.stack([x * 2.6, y * 4.1, (x + y) * 1.6], axis=-1).clip(0, 255).astype(np.uint8)
    noisy = rng.integers(0, 256, (300, 451, 3), dtype=np.uint8)
    noisy[80:200, 100:300] = [200, 30, 40]
    grey = (rng.random((50, 33)) * 255).astype(np.uint8)
    images = [('smooth', Image.fromarray(smooth, 'RGB')), ('noisy', Image.fromarray(noisy, 'RGB')), ('grey', Image.fromarray(grey, 'L'))]
    paths = []
    for name, image in images:
        path = out / f'{name}.png'
        image.save(path)
        paths.append(path)
    return paths


def preprocess(path: Path) -> torch.Tensor:
    """LAVIS blip_image_eval after LANCE's Image.open(img_path).convert("RGB")."""
    transform = transforms.Compose([
        transforms.Resize((IMAGE_SIZE, IMAGE_SIZE), interpolation=InterpolationMode.BICUBIC),
        transforms.ToTensor(),
        transforms.Normalize(CLIP_MEAN, CLIP_STD),
    ])
    return transform(Image.open(path).convert('RGB'))


class BeamHypotheses:
    """transformers' BeamHypotheses (early_stopping=False): the num_beams best finished sequences."""

    def __init__(self, num_beams: int, length_penalty: float):
        self.num_beams, self.length_penalty = num_beams, length_penalty
        self.beams: list[tuple[float, list[int]]] = []
        self.worst_score = 1e9

    def add(self, hyp: list[int], sum_logprobs: float, generated_len: int) -> None:
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hyp))
            if len(self.beams) > self.num_beams:
                sorted_scores = sorted([(s, i) for i, (s, _) in enumerate(self.beams)])
                del self.beams[sorted_scores[0][1]]
                self.worst_score = sorted_scores[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs: float, cur_len: int, decoder_prompt_len: int) -> bool:
        if len(self.beams) < self.num_beams:
            return False
        return self.worst_score >= best_sum_logprobs / (cur_len - decoder_prompt_len) ** self.length_penalty


def process_scores(input_ids: torch.Tensor, scores: torch.Tensor, s: dict, eos: int) -> torch.Tensor:
    """RepetitionPenaltyLogitsProcessor (only when != 1.0, as generate builds it), then MinLengthLogitsProcessor."""
    scores = scores.clone()
    if s['repetition_penalty'] != 1.0:
        picked = torch.gather(scores, 1, input_ids)
        picked = torch.where(picked < 0, picked * s['repetition_penalty'], picked / s['repetition_penalty'])
        scores.scatter_(1, input_ids, picked)
    if input_ids.shape[-1] < s['min_length']:
        scores[:, eos] = -float('inf')
    return scores


@torch.no_grad()
def greedy(model: Blip, image: torch.Tensor, prompt: list[int], s: dict, eos: int) -> list[int]:
    ids = torch.tensor([prompt])
    while True:
        logits = model.text_decoder(ids, torch.ones_like(ids), image)
        token = int(process_scores(ids, logits, s, eos).argmax(dim=-1)[0])
        ids = torch.cat([ids, torch.tensor([[token]])], dim=-1)
        if token == eos or ids.shape[-1] >= s['max_length']:
            return ids[0].tolist()


@torch.no_grad()
def beam_search(model: Blip, image: torch.Tensor, prompt: list[int], s: dict, eos: int, pad: int) -> list[int]:
    k = s['num_beams']
    ids = torch.tensor([prompt] * k)
    states = image.expand(k, -1, -1)
    beam_scores = torch.zeros(k)
    beam_scores[1:] = -1e9
    prompt_len = len(prompt)
    hyps = BeamHypotheses(k, s['length_penalty'])
    done = False
    while True:
        logits = model.text_decoder(ids, torch.ones_like(ids), states)
        scores = process_scores(ids, torch.log_softmax(logits.float(), dim=-1), s, eos) + beam_scores[:, None]
        vocab = scores.shape[-1]
        top_scores, top = torch.topk(scores.view(1, -1), 2 * k, dim=1, largest=True, sorted=True)
        cur_len = ids.shape[-1] + 1
        next_scores, next_tokens, next_beams = [], [], []
        for rank, (score, flat) in enumerate(zip(top_scores[0].tolist(), top[0].tolist())):
            beam, token = flat // vocab, flat % vocab
            if token == eos:
                if rank >= k:
                    continue
                hyps.add(ids[beam].tolist(), score, cur_len - prompt_len)
            else:
                next_scores.append(score)
                next_tokens.append(token)
                next_beams.append(beam)
            if len(next_scores) == k:
                break
        done = done or hyps.is_done(top_scores[0].max().item(), cur_len, prompt_len)
        beam_scores = torch.tensor(next_scores)
        ids = torch.cat([ids[next_beams], torch.tensor(next_tokens)[:, None]], dim=-1)
        if done or ids.shape[-1] >= s['max_length']:
            break
    if not done:
        for beam in range(k):
            hyps.add(ids[beam].tolist(), float(beam_scores[beam]), ids.shape[-1] - prompt_len)
    best = sorted(hyps.beams, key=lambda b: b[0])[-1][1]
    # finalize: the eos is appended when the sequence is shorter than max_length.
    return best + [eos] if len(best) < s['max_length'] else best


def decode(ids: list[int], special: set[int]) -> str:
    """BertTokenizer.decode(ids, skip_special_tokens=True) with clean_up_tokenization_spaces."""
    text = ' '.join(VOCAB[i] for i in ids if i not in special).replace(' ##', '').strip()
    for a, b in ((' .', '.'), (' ?', '?'), (' !', '!'), (' ,', ','), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
                 (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(a, b)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, type=Path)
    parser.add_argument('--seed', type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    args.out.mkdir(parents=True, exist_ok=True)
    ids = {t: i for i, t in enumerate(VOCAB)}
    eos, pad, bos = ids['[SEP]'], ids['[PAD]'], ids['[DEC]']
    model = tiny_model(args.seed, eos)
    generation = {'model': 'blip-tiny-random', 'prompt': PROMPT, 'caption_prefix': 'a photo of ', **SETTINGS[0][1]}
    report = export_blip(model, VOCAB, args.out / 'model', generation=generation, checkpoint='tiny-random-weights',
                         layout='BLIP/LAVIS')
    if not report['passed']:
        return 1
    # LAVIS: tokenizer(prompt) = [CLS] a picture of [SEP]; [CLS] becomes [DEC] and the [SEP] is dropped.
    prompt = [bos] + [ids[w] for w in PROMPT.split()]
    special = {ids[t] for t in ('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '[DEC]', '[ENC]')}
    goldens = {'prompt_ids': prompt, 'settings': dict(SETTINGS), 'images': []}
    for path in fixtures(args.out):
        pixels = preprocess(path)
        pixels.numpy().astype('<f4').tofile(args.out / f'pixels_{path.stem}.f32')
        with torch.no_grad():
            image = model.visual_encoder(pixels[None])
        entry = {'file': path.name, 'pixels': f'pixels_{path.stem}.f32', 'runs': {}}
        for name, s in SETTINGS:
            seq = greedy(model, image, prompt, s, eos) if s['num_beams'] == 1 else beam_search(model, image, prompt, s, eos, pad)
            text = decode(seq, special)
            entry['runs'][name] = {'ids': seq, 'text': text, 'caption': 'a photo of ' + text[len(PROMPT):]}
            print(f'{path.name} {name}: {len(seq)} ids, {text!r}')
        goldens['images'].append(entry)
    (args.out / 'goldens.json').write_text(json.dumps(goldens, indent=1) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
