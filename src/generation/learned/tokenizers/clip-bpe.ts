import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { decodeHTML } from 'entities';
import type { Encoding } from './wordpiece.js';

/**
 * Which reference's text handling the tokenizer reproduces (the BPE itself is the same in both):
 * - `openai`: OpenAI's clip/simple_tokenizer.py with clip.tokenize(truncate=True): ftfy, html.unescape, cut to
 *   maxLength keeping the end token;
 * - `hf-slow`: what Semi-Truths' QC runs (quality_check/utils.py: transformers' slow `CLIPTokenizer`, called with
 *   `padding=True` and no truncation), on the path transformers takes when ftfy is not installed (it is not in the
 *   authors' requirements): BERT's BasicTokenizer cleaning (see {@link hfBasicWords}), no html.unescape, and a
 *   caption longer than maxLength is an error, as CLIP's text model raises on it and their QC loop drops the row.
 */
export type ClipTextHandling = 'openai' | 'hf-slow';

/** Settings of CLIP's byte-level BPE tokenizer (openai/clip-vit-base-patch32: 77 tokens with specials). */
export interface ClipBpeOptions {
  maxLength: number;
  /** Default `openai`. */
  textHandling?: ClipTextHandling;
}

/** A caption longer than CLIP's context under `hf-slow`, where the authors' QC fails on it instead of cutting it. */
export class ClipContextError extends Error {
  constructor(readonly length: number, readonly maxLength: number) {
    super(`the caption is ${length} CLIP tokens, over the ${maxLength}-token context (the authors' QC, which does not truncate, fails on such a row and drops it)`);
    this.name = 'ClipContextError';
  }
}

/**
 * OpenAI CLIP's merge list (openai/CLIP clip/bpe_simple_vocab_16e6.txt.gz, MIT, unchanged; LICENSE-CLIP.txt), shipped
 * with semibench so the tokenizer needs no download.
 */
export const OPENAI_BPE_FILE = fileURLToPath(new URL('./bpe_simple_vocab_16e6.txt.gz', import.meta.url));

/**
 * Python's whitespace as simple_tokenizer.py sees it: the `regex` package's `\s` is JavaScript's `\s` without
 * U+FEFF and with U+0085; `str.strip()` also strips U+001C..U+001F.
 */
const WS = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WS_RUN = new RegExp(`[${WS}]+`, 'gu');
const STRIP = new RegExp(`^[${WS}\\x1c-\\x1f]+|[${WS}\\x1c-\\x1f]+$`, 'gu');

/** simple_tokenizer.py's pre-tokenizer pattern, applied after lowercasing. */
const WORD_PATTERN = new RegExp(`<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${WS}\\p{L}\\p{N}]+`, 'gu');

/** CLIP keeps the first 49152 - 256 - 2 merges (`merges[1 : 49152 - 256 - 2 + 1]` after the header line). */
const MAX_MERGES = 49152 - 256 - 2;

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';

/**
 * OpenAI CLIP's tokenizer (clip/simple_tokenizer.py) with clip.tokenize(truncate=True)'s context handling, which
 * open_clip's tokenize shares:
 * 1. clean: ftfy's fix_text (the character fixes in `fixText`), `html.unescape` twice, strip; whitespace runs → one
 *    space; lowercase;
 * 2. split with CLIP's pattern (the specials, contractions 's 't 're 've 'm 'll 'd, letter runs, single digits, runs
 *    of other non-space characters);
 * 3. each piece's UTF-8 bytes → GPT-2's printable byte alphabet, `</w>` on its last character, merged pair by pair
 *    in merge-rank order;
 * 4. `<|startoftext|> … <|endoftext|>`, cut to maxLength with the end token kept (75 text tokens at 77).
 * With `textHandling: 'hf-slow'` step 1 is instead what the Semi-Truths QC's Hugging Face CLIPTokenizer does (see
 * {@link ClipTextHandling}), and step 4 does not cut.
 */
export class ClipBpeTokenizer {
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, string[]>([[BOS, [BOS]], [EOS, [EOS]]]);

  constructor(
    private readonly vocab: Map<string, number>,
    merges: readonly string[],
    private readonly options: ClipBpeOptions,
  ) {
    this.ranks = new Map(merges.slice(0, MAX_MERGES).map((m, i) => [m, i]));
    for (const special of [BOS, EOS]) if (!vocab.has(special)) throw new Error(`CLIP vocabulary has no '${special}' token`);
  }

  /**
   * Builds the vocabulary as simple_tokenizer.py does from OpenAI's gzipped merge list (a header line, then one
   * "a b" merge per line): the 256 byte symbols in `bytes_to_unicode` order, the same with `</w>`, the joined merges,
   * then the two specials (49408 ids for the shipped file).
   */
  static fromOpenAiBpe(file: string, options: ClipBpeOptions): ClipBpeTokenizer {
    const merges = gunzipSync(readFileSync(file)).toString('utf8').split('\n').slice(1, MAX_MERGES + 1);
    const symbols = BYTE_ORDER.map((b) => BYTE_TO_CHAR[b]);
    const tokens = [...symbols, ...symbols.map((s) => `${s}</w>`), ...merges.map((m) => m.split(' ').join('')), BOS, EOS];
    return new ClipBpeTokenizer(new Map(tokens.map((t, i) => [t, i])), merges, options);
  }

  /** Hugging Face's form of the same data: `vocab.json` (token → id) and `merges.txt` (a `#version` line, then merges). */
  static fromFiles(vocabFile: string, mergesFile: string, options: ClipBpeOptions): ClipBpeTokenizer {
    const vocab = new Map(Object.entries(JSON.parse(readFileSync(vocabFile, 'utf8')) as Record<string, number>));
    const lines = readFileSync(mergesFile, 'utf8').split('\n');
    const merges = (lines[0]?.startsWith('#version') ? lines.slice(1) : lines).filter((l) => l.trim() !== '');
    return new ClipBpeTokenizer(vocab, merges, options);
  }

  get textHandling(): ClipTextHandling {
    return this.options.textHandling ?? 'openai';
  }

  /** BPE tokens of a text, without the start and end tokens. */
  tokenize(text: string): string[] {
    if (this.textHandling === 'openai') return this.bpeWords(cleanText(text));
    // PreTrainedTokenizer.tokenize: the special tokens are cut out of the raw text first, the rest cleaned piece by piece
    const tokens: string[] = [];
    for (const piece of text.split(SPECIAL_SPLIT)) {
      if (piece === BOS || piece === EOS) tokens.push(piece);
      else if (piece !== '') tokens.push(...this.bpeWords(hfBasicWords(piece).join(' ')));
    }
    return tokens;
  }

  /**
   * `<|startoftext|> tokens <|endoftext|>` as ids. Longer than maxLength: `openai` cuts it (the end token is kept),
   * `hf-slow` throws {@link ClipContextError}.
   */
  encode(text: string): Encoding {
    const words = this.tokenize(text);
    if (this.textHandling === 'hf-slow' && words.length + 2 > this.options.maxLength) throw new ClipContextError(words.length + 2, this.options.maxLength);
    const body = words.slice(0, Math.max(0, this.options.maxLength - 2));
    const tokens = [BOS, ...body, EOS];
    const unk = this.vocab.get(EOS)!;
    return { tokens, ids: tokens.map((t) => this.vocab.get(t) ?? unk) };
  }

  /** CLIP's split pattern over cleaned text, each piece in the byte alphabet, BPE-merged. */
  private bpeWords(cleaned: string): string[] {
    const tokens: string[] = [];
    for (const match of cleaned.matchAll(WORD_PATTERN)) tokens.push(...this.bpe(toByteAlphabet(match[0])));
    return tokens;
  }

  private bpe(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const chars = Array.from(word);
    let parts = [...chars.slice(0, -1), `${chars.at(-1)}</w>`];
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const rank = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) [best, bestRank] = [i, rank];
      }
      if (best < 0) break;
      // Merge every occurrence of the winning pair, left to right.
      const [a, b] = [parts[best], parts[best + 1]];
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i < parts.length - 1 && parts[i] === a && parts[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else {
          merged.push(parts[i]);
        }
      }
      parts = merged;
    }
    if (this.cache.size < 10_000) this.cache.set(word, parts);
    return parts;
  }
}

/** simple_tokenizer.py's `whitespace_clean(basic_clean(text)).lower()`. */
export function cleanText(text: string): string {
  const unescaped = decodeHTML(decodeHTML(fixText(text))).replace(STRIP, '');
  return unescaped.replace(WS_RUN, ' ').replace(STRIP, '').toLowerCase();
}

const SPECIAL_SPLIT = /(<\|startoftext\|>|<\|endoftext\|>)/;
/** BasicTokenizer's `_is_control` (category C*, but not tab, newline, carriage return), NUL and U+FFFD: dropped. */
const HF_DROPPED = /[\p{C}\ufffd]/gu;
/** BasicTokenizer's `_is_whitespace`: space, tab, newline, carriage return and category Zs become one space each. */
const HF_SPACE = /[\t\n\r\p{Zs}]/gu;
/** BasicTokenizer's `_is_chinese_char`: the CJK Unified Ideographs blocks get a space on each side. */
const HF_CJK = /[\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b820}-\u{2ceaf}\uf900-\ufaff\u{2f800}-\u{2fa1f}]/gu;

/**
 * The words transformers' CLIPTokenizer makes of a text when ftfy is not installed:
 * `BasicTokenizer(strip_accents=False, do_split_on_punc=False).tokenize(text)` (transformers >= 4.29): drop
 * control/format/unassigned/private-use characters, NUL and U+FFFD; whitespace → space; spaces around CJK
 * ideographs; NFC; split on Python's whitespace; lowercase each word. No ftfy, no HTML unescaping.
 */
export function hfBasicWords(text: string): string[] {
  const cleaned = text
    .replace(HF_SPACE, ' ')
    .replace(HF_DROPPED, '') // after HF_SPACE, so tab, newline and carriage return are spaces already
    .replace(HF_CJK, (c) => ` ${c} `)
    .normalize('NFC');
  return cleaned.split(WS_RUN).filter((w) => w !== '').map((w) => w.toLowerCase());
}

/** ftfy's Latin ligatures (fix_latin_ligatures). */
const LIGATURES: Record<string, string> = {
  Ĳ: 'IJ', ĳ: 'ij', ŉ: 'ʼn', Ǳ: 'DZ', ǲ: 'Dz', ǳ: 'dz', Ǆ: 'DŽ', ǅ: 'Dž', ǆ: 'dž', Ǉ: 'LJ', ǈ: 'Lj', ǉ: 'lj', Ǌ: 'NJ', ǋ: 'Nj', ǌ: 'nj',
  ﬀ: 'ff', ﬁ: 'fi', ﬂ: 'fl', ﬃ: 'ffi', ﬄ: 'ffl', ﬅ: 'ſt', ﬆ: 'st',
};

/**
 * The character fixes of ftfy's `fix_text` (default settings) that apply to text which is not mojibake, in ftfy's
 * order: terminal escapes removed, C1 controls read as Windows-1252, Latin ligatures split, full/half-width forms
 * to their normal width, curly quotes straightened, control characters removed, NFC. Not done: ftfy's mojibake
 * repair (fix_encoding) and its own HTML unescaping (which matters only for entities escaped three times).
 */
export function fixText(text: string): string {
  return text
    .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
    .replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80] || c)
    .replace(/[Ĳĳŉ\u01c4-\u01ccﬀ-ﬆ]/g, (c) => LIGATURES[c] ?? c)
    .replace(/[\uff01-\uffef]/g, (c) => c.normalize('NFKC'))
    .replace(/\u3000/g, ' ')
    .replace(/[\u02bc\u2018-\u201b]/g, "'")
    .replace(/[\u201c-\u201f]/g, '"')
    .replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc\u{1d173}-\u{1d17a}]/gu, '')
    .normalize('NFC');
}

/** Windows-1252's characters for bytes 0x80..0x9F (ftfy's "sloppy" codec: the five undefined ones stay as they are). */
const WINDOWS_1252_C1 = Array.from('€\0‚ƒ„…†‡ˆ‰Š‹Œ\0Ž\0\0‘’“”•–—˜™š›œ\0žŸ').map((c) => (c === '\0' ? '' : c));

/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the rest to code points from 256 up. */
const PRINTABLE: number[] = [];
for (let b = 0x21; b <= 0x7e; b++) PRINTABLE.push(b);
for (let b = 0xa1; b <= 0xac; b++) PRINTABLE.push(b);
for (let b = 0xae; b <= 0xff; b++) PRINTABLE.push(b);
/** The table's key order, which fixes the first 512 vocabulary ids: printable bytes first, then the others. */
const BYTE_ORDER = [...PRINTABLE, ...Array.from({ length: 256 }, (_, b) => b).filter((b) => !PRINTABLE.includes(b))];
const BYTE_TO_CHAR: string[] = [];
BYTE_ORDER.forEach((b, i) => (BYTE_TO_CHAR[b] = String.fromCodePoint(i < PRINTABLE.length ? b : 256 + i - PRINTABLE.length)));

function toByteAlphabet(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += BYTE_TO_CHAR[byte];
  return out;
}
