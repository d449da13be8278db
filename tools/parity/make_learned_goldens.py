#!/usr/bin/python3
"""Goldens for the learned-metric test (tests/generation/learned.test.ts), computed without semibench.

semibench's measure fills lpips_score, dreamsim, sen_sim, cap2_img2, img1_img2 and direct_sim with ONNX models.
The test swaps in tiny stand-in models (tests/generation/tiny-metric-models.ts) whose maths is simple, so the only
things left to check are the steps around the model: image loading and alignment, each model's preprocessing, the
tokenizers and the formula of each column. This script redoes those steps with the reference tools, for the
first inpainting and the first p2p row of fixtures/evalset (and the real row of the same image_id):

- images: PIL open + convert('RGB'), the edited image resized to the real one's size (Semi-Truths calc_metrics);
- LPIPS input: Change.normalize_lpips of SemiTruths/change_metrics/magnitude_change.py (copied below);
- DreamSim input: torchvision Resize((224, 224), bicubic) + ToTensor = PIL resize + /255;
- CLIP input: CLIPImageProcessor (openai/clip-vit-base-patch32): shortest edge 224 (PIL bicubic), center crop 224
  (transformers floors the offset), /255, normalise with OpenAI's mean and std;
- CLIP tokens: the BPE of openai/CLIP simple_tokenizer.py (bpe() as published, copied below; ftfy/HTML cleaning
  is a no-op on these ASCII captions);
- MiniLM tokens: BERT's BasicTokenizer + WordpieceTokenizer (google-research/bert tokenization.py, as published);
- columns as Semi-Truths defines them: sen_sim = 1 - max(cos, 0) of the caption embeddings (calc_sen_sim),
  img1_img2 = cos(I1, I2), cap2_img2 = cos(I2, T2), direct_sim = cos(I1 - T1, I2 - T2)
  (quality_check/utils.py calculate_directional_similarity), captions: mask_name -> perturbed_mask_name.

The stand-in models are restated here from their definition in tiny-metric-models.ts (tables, projection, maths);
all sums run in float64 on the float32 model inputs. Needs only Pillow and NumPy:
    /usr/bin/python3 tools/parity/make_learned_goldens.py [--out tests/goldens/learned/expected.json]
"""
import argparse
import csv
import json
import os
import re
import unicodedata

import numpy as np
from PIL import Image

EVALSET = 'fixtures/evalset'
EMBED_DIM = 4

# ---- the stand-in models (tests/generation/tiny-metric-models.ts) ----

WORDPIECE_VOCAB = [
    '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'slightly', 'dark', '##er', 'tree', 'red', 'car', 'wooden', 'bench',
    'bi', '##cycle', 'giant', 'robot', 'water', '##fall', 'sky', 'person', 'road', 'wall', 'grass', 'table', '.', ',',
]
VISION_PROJECTION = np.array([[1, 0.5, -0.25, 0.1], [0.2, 1, 0.3, -0.4], [-0.3, 0.1, 1, 0.6]], dtype=np.float32).astype(np.float64)


def embedding_table(rows, seed):
    return np.array([[np.float32((((i + 1) * 37 + j * 11 + seed * 5) % 29) / 14.5 - 1) for j in range(EMBED_DIM)] for i in range(rows)], dtype=np.float64)


def clip_vocab():
    tokens = []
    for c in range(0x21, 0x7f):
        tokens += [chr(c), chr(c) + '</w>']
    merges = ['r e', 're d</w>', 'c a', 'ca r</w>', 't r', 'e e</w>', 'tr ee</w>']
    tokens += ['re', 'red</w>', 'ca', 'car</w>', 'tr', 'ee</w>', 'tree</w>', '<|startoftext|>', '<|endoftext|>']
    return {t: i for i, t in enumerate(tokens)}, merges


MINILM_TABLE = embedding_table(len(WORDPIECE_VOCAB), 7)
CLIP_ENCODER, CLIP_MERGES = clip_vocab()
CLIP_TEXT_TABLE = embedding_table(len(CLIP_ENCODER), 11)

# ---- Semi-Truths: SemiTruths/change_metrics/magnitude_change.py, Change.normalize_lpips ----


def normalize_lpips(arr):
    arr_min = np.min(arr)
    arr_max = np.max(arr)
    arr_range = arr_max - arr_min
    scaled = np.array((arr - arr_min) / max(float(arr_range), 1e-6), dtype='f')
    arr_new = -1 + (scaled * 2)
    return arr_new

# ---- OpenAI CLIP simple_tokenizer.py: bytes_to_unicode, get_pairs, bpe ----


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(n) for n in cs]))


def get_pairs(word):
    pairs = set()
    prev_char = word[0]
    for char in word[1:]:
        pairs.add((prev_char, char))
        prev_char = char
    return pairs


BPE_RANKS = dict(zip([tuple(m.split()) for m in CLIP_MERGES], range(len(CLIP_MERGES))))
BYTE_ENCODER = bytes_to_unicode()
# simple_tokenizer's pattern with the `regex` module's \p{L} / \p{N} written for Python's re (ASCII captions only)
CLIP_PATTERN = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+", re.IGNORECASE)


def bpe(token):
    word = tuple(token[:-1]) + (token[-1] + '</w>',)
    pairs = get_pairs(word)
    if not pairs:
        return token + '</w>'
    while True:
        bigram = min(pairs, key=lambda pair: BPE_RANKS.get(pair, float('inf')))
        if bigram not in BPE_RANKS:
            break
        first, second = bigram
        new_word = []
        i = 0
        while i < len(word):
            try:
                j = word.index(first, i)
                new_word.extend(word[i:j])
                i = j
            except ValueError:
                new_word.extend(word[i:])
                break
            if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
        if len(word) == 1:
            break
        pairs = get_pairs(word)
    return ' '.join(word)


def clip_encode(text):
    assert text.isascii(), text
    text = re.sub(r'\s+', ' ', text).strip().lower()
    ids = [CLIP_ENCODER['<|startoftext|>']]
    for token in re.findall(CLIP_PATTERN, text):
        token = ''.join(BYTE_ENCODER[b] for b in token.encode('utf-8'))
        ids.extend(CLIP_ENCODER[t] for t in bpe(token).split(' '))
    return ids + [CLIP_ENCODER['<|endoftext|>']]

# ---- google-research/bert tokenization.py: BasicTokenizer (lower case) + WordpieceTokenizer ----


def is_punctuation(char):
    cp = ord(char)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(char).startswith('P')


def basic_tokenize(text):
    output = []
    for token in text.strip().split():
        token = unicodedata.normalize('NFD', token.lower())
        token = ''.join(c for c in token if unicodedata.category(c) != 'Mn')
        current = ''
        for char in token:
            if is_punctuation(char):
                if current:
                    output.append(current)
                output.append(char)
                current = ''
            else:
                current += char
        if current:
            output.append(current)
    return output


def wordpiece(token, vocab, max_input_chars_per_word=100):
    chars = list(token)
    if len(chars) > max_input_chars_per_word:
        return ['[UNK]']
    start, sub_tokens = 0, []
    while start < len(chars):
        end, cur_substr = len(chars), None
        while start < end:
            substr = ''.join(chars[start:end])
            if start > 0:
                substr = '##' + substr
            if substr in vocab:
                cur_substr = substr
                break
            end -= 1
        if cur_substr is None:
            return ['[UNK]']
        sub_tokens.append(cur_substr)
        start = end
    return sub_tokens


def wordpiece_encode(text):
    vocab = {t: i for i, t in enumerate(WORDPIECE_VOCAB)}
    pieces = [p for word in basic_tokenize(text) for p in wordpiece(word, vocab)]
    return [vocab[t] for t in ['[CLS]', *pieces, '[SEP]']]

# ---- preprocessing and the columns ----


def to_chw(pixels):
    """ToTensor: uint8 HWC -> float32 CHW in [0, 1]."""
    return (np.asarray(pixels, dtype=np.float32) / np.float32(255)).transpose(2, 0, 1)


def dreamsim_input(img):
    return to_chw(img.resize((224, 224), Image.BICUBIC))


def clip_input(img):
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(224 * long / short)
    img = img.resize((224, new_long) if w <= h else (new_long, 224), Image.BICUBIC)
    w, h = img.size
    top, left = (h - 224) // 2, (w - 224) // 2
    x = to_chw(img.crop((left, top, left + 224, top + 224)))
    mean = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)[:, None, None]
    std = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)[:, None, None]
    return (x - mean) / std


def channel_means(chw):
    return chw.astype(np.float64).mean(axis=(1, 2))


def cos(a, b):
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def clip_image(img):
    return channel_means(clip_input(img)) @ VISION_PROJECTION


def clip_text(caption):
    return CLIP_TEXT_TABLE[clip_encode(caption)].mean(axis=0)


def sentence(caption):
    return MINILM_TABLE[wordpiece_encode(caption)].mean(axis=0)


def expected_row(row, real_row):
    real = Image.open(os.path.join(EVALSET, real_row['image_path'])).convert('RGB')
    edited = Image.open(os.path.join(EVALSET, row['image_path'])).convert('RGB')
    aligned = edited.resize(real.size)  # calc_metrics: img_fake_rgb.resize(img_real_rgb.size)
    a = normalize_lpips(np.asarray(real)).astype(np.float64)
    b = normalize_lpips(np.asarray(aligned)).astype(np.float64)
    out = {
        'image_path': row['image_path'],
        'lpips_score': float(np.mean((a - b) ** 2)),
        'dreamsim': 1 - cos(channel_means(dreamsim_input(real)), channel_means(dreamsim_input(aligned))),
    }
    img1, img2 = clip_image(real), clip_image(edited)
    caption2 = row['perturbed_mask_name']
    out['img1_img2'] = cos(img1, img2)
    out['cap2_img2'] = cos(img2, clip_text(caption2))
    out['tokens'] = {'clip': {caption2: clip_encode(caption2)}, 'wordpiece': {}}
    caption1 = row['mask_name']
    if caption1:
        out['sen_sim'] = 1 - max(cos(sentence(caption1), sentence(caption2)), 0)
        out['direct_sim'] = cos(img1 - clip_text(caption1), img2 - clip_text(caption2))
        out['tokens']['clip'][caption1] = clip_encode(caption1)
        out['tokens']['wordpiece'] = {c: wordpiece_encode(c) for c in (caption1, caption2)}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default='tests/goldens/learned/expected.json')
    args = parser.parse_args()
    with open(os.path.join(EVALSET, 'metadata.csv'), newline='') as f:
        rows = list(csv.DictReader(f))
    result = {}
    for method in ['inpainting', 'p2p']:
        row = next(r for r in rows if r['method'] == method)
        real_row = next(r for r in rows if r['image_id'] == row['image_id'] and r['label'] == 'real')
        result[method] = expected_row(row, real_row)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
