#!/usr/bin/python3
"""Parity goldens for src/generation/learned/tokenizers/clip-bpe.ts (semibench).

The reference is OpenAI CLIP's tokenizer, openai/CLIP clip/simple_tokenizer.py (MIT) with clip.tokenize's
context handling, re-implemented here step by step from that file: ftfy.fix_text, html.unescape twice, strip;
`regex` \\s+ runs → one space, strip; lower(); the pre-tokenizer pattern (compiled with regex.IGNORECASE, as the
original); bytes_to_unicode; BPE over the first 49152 - 256 - 2 merges of bpe_simple_vocab_16e6.txt.gz (the copy
shipped in src/generation/learned/tokenizers/); vocabulary = 256 byte symbols, the same with </w>, the merges, then
<|startoftext|> <|endoftext|>. clip.tokenize(truncate=True) (as open_clip.tokenize): [sot] + ids + [eot], cut to
77 with the last one set to eot.

ftfy: Debian 12 has no python3-ftfy. When ftfy is importable it is used; otherwise fix_text is the identity, which
is what ftfy does on the corpus below (NFC text without curly quotes, ligatures, full-width forms, control characters
or mojibake; the clip-bpe tests cover those fixes separately). expected.json records which one ran.

Second reference, `hf_bpe` / `hf_ids`: what the authors' QC (SemiTruths quality_check/utils.py) computes with
Hugging Face's slow `CLIPTokenizer.from_pretrained("openai/clip-vit-base-patch32")` called as
`tokenizer([caption], padding=True)` (no truncation). transformers is not installable here, so HfSlowClipTokenizer
below is a TRANSCRIPTION of transformers' source (models/clip/tokenization_clip.py and the BasicTokenizer it copies
from models/bert, as they are since transformers 4.29 / PR #22280; the authors pin transformers>=4.37), for the
path taken when ftfy is not importable (ftfy is not in the authors' requirements.txt):
- PreTrainedTokenizer.tokenize splits the text on the added special tokens <|startoftext|> and <|endoftext|>
  (case-sensitive literals) and maps each to its id;
- each other piece goes through BasicTokenizer(do_lower_case=True, tokenize_chinese_chars=True,
  strip_accents=False, do_split_on_punc=False): drop NUL, U+FFFD and every category C* character except \t \n \r;
  \t \n \r and Zs become a space; spaces around CJK ideographs; NFC; str.split(); each word lower-cased; the
  words joined by one space. No ftfy, no html.unescape;
- then CLIP's pattern, bytes_to_unicode and BPE exactly as in the OpenAI path; [bos] + ids + [eos], NOT cut at
  77: a longer caption makes CLIPTextModel fail, and the authors' QC loop drops that row (`except Exception`).

Needs Debian's python3-regex (apt-get install python3-regex). Run:
  /usr/bin/python3 tools/parity/make_clip_tokenizer_goldens.py [--out tests/goldens/clip-tokenizer]
"""
import argparse
import gzip
import html
import json
import os
import unicodedata

import regex

try:
    import ftfy
    fix_text = ftfy.fix_text
    FIX_TEXT = f'ftfy {ftfy.__version__} fix_text'
except ImportError:
    fix_text = lambda text: text  # noqa: E731
    FIX_TEXT = 'identity (ftfy not installed; the corpus is text ftfy leaves unchanged)'

HERE = os.path.dirname(os.path.abspath(__file__))
BPE_FILE = os.path.join(HERE, '..', '..', 'src', 'generation', 'learned', 'tokenizers', 'bpe_simple_vocab_16e6.txt.gz')
CONTEXT_LENGTH = 77


def bytes_to_unicode():
    """GPT-2's table: printable Latin-1 bytes stand for themselves, the other bytes for code points 256 up. The dict
    order matters (the vocabulary lists its values in that order): the printable bytes first, then the others."""
    printable = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def pairs_of(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


class ReferenceClipTokenizer:
    def __init__(self, bpe_path=BPE_FILE):
        self.byte_encoder = bytes_to_unicode()
        lines = gzip.open(bpe_path).read().decode('utf-8').split('\n')
        merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + '</w>' for v in vocab]
        vocab += [''.join(m) for m in merges]
        vocab += ['<|startoftext|>', '<|endoftext|>']
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.cache = {'<|startoftext|>': '<|startoftext|>', '<|endoftext|>': '<|endoftext|>'}
        self.pattern = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE
        )

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + '</w>',)
        pairs = pairs_of(word)
        if not pairs:
            return token + '</w>'
        while True:
            best = min(pairs, key=lambda p: self.ranks.get(p, float('inf')))
            if best not in self.ranks:
                break
            first, second = best
            merged, i = [], 0
            while i < len(word):
                if first in word[i:]:
                    j = word.index(first, i)
                    merged.extend(word[i:j])
                    i = j
                else:
                    merged.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
            if len(word) == 1:
                break
            pairs = pairs_of(word)
        joined = ' '.join(word)
        self.cache[token] = joined
        return joined

    @staticmethod
    def clean(text):
        text = html.unescape(html.unescape(fix_text(text))).strip()
        return regex.sub(r'\s+', ' ', text).strip().lower()

    def bpe_tokens(self, text):
        out = []
        for piece in regex.findall(self.pattern, self.clean(text)):
            out.extend(self.bpe(''.join(self.byte_encoder[b] for b in piece.encode('utf-8'))).split(' '))
        return out

    def encode(self, text):
        return [self.encoder[t] for t in self.bpe_tokens(text)]

    def tokenize(self, text):
        """clip.tokenize(text, truncate=True) without the zero padding."""
        ids = [self.encoder['<|startoftext|>']] + self.encode(text) + [self.encoder['<|endoftext|>']]
        if len(ids) > CONTEXT_LENGTH:
            ids = ids[:CONTEXT_LENGTH]
            ids[-1] = self.encoder['<|endoftext|>']
        return ids


SPECIALS = regex.compile(r'(<\|startoftext\|>|<\|endoftext\|>)')
CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
              (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


class HfSlowClipTokenizer(ReferenceClipTokenizer):
    """transformers' slow CLIPTokenizer without ftfy (transcribed; see the module docstring)."""

    @staticmethod
    def basic_tokenize(text):
        out = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or (char not in '\t\n\r' and unicodedata.category(char).startswith('C')):
                continue  # _is_control
            out.append(' ' if char in ' \t\n\r' or unicodedata.category(char) == 'Zs' else char)  # _is_whitespace
        text = ''.join(' ' + c + ' ' if any(lo <= ord(c) <= hi for lo, hi in CJK_RANGES) else c for c in out)
        words = [word.lower() for word in unicodedata.normalize('NFC', text).strip().split()]
        return ' '.join(words).strip().split()

    def bpe_tokens(self, text):
        out = []
        for piece in SPECIALS.split(text):
            if piece in ('<|startoftext|>', '<|endoftext|>'):
                out.append(piece)
                continue
            for word in regex.findall(self.pattern, ' '.join(self.basic_tokenize(piece))):
                out.extend(self.bpe(''.join(self.byte_encoder[b] for b in word.encode('utf-8'))).split(' '))
        return out

    def tokenize(self, text):
        """input_ids of tokenizer([text], padding=True): no truncation."""
        return [self.encoder['<|startoftext|>']] + self.encode(text) + [self.encoder['<|endoftext|>']]


LONG = ('a wide panoramic photograph of a crowded farmers market on a sunny saturday morning, with stalls of red apples, '
        'green pears, orange pumpkins, yellow bananas and purple grapes, people carrying wicker baskets, a dog on a leash '
        'sniffing a crate of carrots, striped awnings, hand-written price signs, bicycles leaning on a lamp post and '
        'a clock tower in the distance showing 10:45')

CORPUS = [
    # captions
    'a photo of a cat',
    'A Photo Of A Cat',
    'Two dogs playing frisbee in the park.',
    'a red double-decker bus driving down a street in London',
    'An elderly man sitting on a bench, reading a newspaper.',
    'a bowl of ramen with a soft-boiled egg, nori and green onions',
    'close-up of a hummingbird feeding from a flower',
    'the skyline of new york city at night; lights reflected in the river',
    # contractions and apostrophes
    "it's a dog's life",
    "they'll say we're fine, I'm sure you've heard they'd go",
    "IT'S ALL CAPS AND I'LL SHOUT",
    "don't can't won't isn't",
    "rock'n'roll at the dogs' home",
    "'quoted' and ''double'' marks",
    'she said "hello" and left',
    # numbers
    '3 cats and 42 dogs',
    'pi is 3.14159 and e is 2.71828',
    '1,000,000 dollars in 2023',
    'room 101, floor -2, temperature 21.5°C',
    'x² + y² = z², ½ cup, Ⅻ o\'clock',
    '٣ ٤ ٥ arabic-indic digits, ৫ bengali, 七 kanji',
    # accents and other scripts (NFC)
    'café crème brûlée à la carte',
    'naïve façade, Zürich, São Paulo, Kraków',
    'ÉCOLE ÉLÉMENTAIRE',
    'straße, STRASSE, İstanbul, ılık',
    'Москва — столица России',
    'Αθήνα και Θεσσαλονίκη',
    '東京タワーの夜景',
    '北京烤鸭和小笼包',
    '서울의 거리',
    'مرحبا بالعالم',
    'नमस्ते दुनिया',
    'שלום עולם',
    # emoji
    'a dog 🐶 and a cat 🐱',
    'family 👨‍👩‍👧‍👦 at the beach 🏖️',
    'thumbs up 👍🏽 flag 🇯🇵',
    '🔥🔥🔥 hot!!!',
    '❤️ love ✨ sparkle ☕ coffee',
    # punctuation and symbols
    'wait... what?!?! (really) [yes] {no} <maybe>',
    'email me at someone@example.com or visit https://example.org/a_b?c=1&d=2',
    '#hashtag @user $100 50% a+b=c ~tilde~ `code` |pipe| \\backslash/',
    '—em dash– en dash… ellipsis • bullet',
    '«guillemets» ‹single› ¿qué? ¡olé!',
    # html entities (ftfy would unescape the same ones: no triple escapes)
    'fish &amp; chips',
    'a &lt;b&gt;bold&lt;/b&gt; claim &amp;amp; more',
    'caf&eacute; &copy; 2020 &#39;quoted&#39; &#x263A; &nbsp;space',
    '&ampx &notin; &notit; &frac12;',
    # whitespace
    '  leading and trailing  ',
    'tabs\tand\nnewlines\r\nand  double  spaces',
    'no\u00a0break\u00a0spaces and\u2003em\u2009thin',
    'zero\u200bwidth joiner',
    'next\u2028line and\u2029paragraph\u202fseparators',
    '',
    '   ',
    # special token strings
    '<|startoftext|>hello<|endoftext|>',
    'a <|endoftext|> in the middle',
    # long text (truncated to 77)
    LONG,
    LONG + ' ' + LONG,
    ' '.join(['word'] * 100),
    '1234567890' * 10,
    # odd words
    'supercalifragilisticexpialidocious antidisestablishmentarianism',
    'McDonald\'s iPhone eBay YouTube camelCaseWords snake_case_words',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
]

# Texts where the Hugging Face path parts from OpenAI's (some are text ftfy would change, so only hf_* goldens).
HF_ONLY_CORPUS = [
    'soft\u00adhyphen and zero\u200dwidth\u200cjoiners',
    'bom\ufeffinside, private \ue000 use, unassigned \u0378 here',
    'controls\x00\x07\x1b[31m and \x85 next line, \x0bvertical\x0ctab',
    'decomposed cafe\u0301 and A\u030a',
    'replacement \ufffd char',
    '北京 is in China; 東京タワー and 서울',
    'CJK ext 𠀀𪜀 and compatibility 豈',
    '<|ENDOFTEXT|> upper, !!<|endoftext|>!! glued, <|startoftext|>start',
    'x<|endoftext|>y <|endoftext|><|endoftext|>',
    'line\u2028separator\u2029paragraph and\u3000ideographic space',
    'ﬁsh ligature, ＣＬＩＰ full width, “curly” quotes',
    'ΣΊΣΥΦΟΣ ΟΔΟΣ final sigma',
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(HERE, '..', '..', 'tests', 'goldens', 'clip-tokenizer'))
    args = parser.parse_args()
    tok = ReferenceClipTokenizer()
    hf = HfSlowClipTokenizer()
    cases = [
        {'text': text, 'bpe': tok.bpe_tokens(text), 'ids': tok.tokenize(text), 'hf_bpe': hf.bpe_tokens(text), 'hf_ids': hf.tokenize(text)}
        for text in CORPUS
    ]
    hf_cases = [{'text': text, 'hf_bpe': hf.bpe_tokens(text), 'hf_ids': hf.tokenize(text)} for text in HF_ONLY_CORPUS]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'expected.json'), 'w', encoding='utf-8') as f:
        json.dump({
            'reference': 'openai/CLIP clip/simple_tokenizer.py + clip.tokenize(truncate=True), re-implemented in tools/parity/make_clip_tokenizer_goldens.py',
            'hf_reference': 'transformers slow CLIPTokenizer without ftfy (BasicTokenizer path), called with padding=True and no truncation; transcribed from transformers >= 4.29 source in HfSlowClipTokenizer',
            'unicodedata': unicodedata.unidata_version,
            'regex': regex.__version__,
            'fix_text': FIX_TEXT,
            'context_length': CONTEXT_LENGTH,
            'vocab_size': len(tok.encoder),
            'cases': cases,
            'hf_cases': hf_cases,
        }, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print(f'wrote {len(cases)} + {len(hf_cases)} cases to {args.out}/expected.json ({FIX_TEXT})')


if __name__ == '__main__':
    main()
