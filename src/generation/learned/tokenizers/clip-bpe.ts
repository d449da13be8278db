import { readFileSync } from 'node:fs';
import type { Encoding } from './wordpiece.js';

/** Settings of CLIP's byte-level BPE tokenizer (openai/clip-vit-base-patch32: 77 tokens with specials). */
export interface ClipBpeOptions {
  maxLength: number;
}

/** The text pattern of CLIP's tokenizer (simple_tokenizer.py / CLIPTokenizerFast), applied after lowercasing. */
const WORD_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/gu;

/** CLIP (like GPT-2) keeps at most this many merges: `merges[1 : 49152 - 256 - 2 + 1]` in CLIPTokenizer. */
const MAX_MERGES = 49152 - 256 - 2;

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';

/**
 * CLIP's tokenizer as Hugging Face `CLIPTokenizerFast` runs it, from a local `vocab.json` + `merges.txt`:
 * NFC, whitespace runs → one space, lowercase; split with CLIP's pattern (letters, single digits, contractions,
 * other symbol runs); each piece's UTF-8 bytes mapped to GPT-2's printable byte alphabet, `</w>` appended to its
 * last character, then merged pair by pair in merge-rank order; `<|startoftext|> … <|endoftext|>`, truncated to
 * maxLength. Not done: ftfy's `fix_text` and HTML unescaping, which the slow CLIPTokenizer applies when ftfy is
 * installed (they change only mojibake and entities such as `&amp;`).
 */
export class ClipBpeTokenizer {
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, string[]>();

  constructor(
    private readonly vocab: Map<string, number>,
    merges: readonly string[],
    private readonly options: ClipBpeOptions,
  ) {
    this.ranks = new Map(merges.slice(0, MAX_MERGES).map((m, i) => [m, i]));
    for (const special of [BOS, EOS]) if (!vocab.has(special)) throw new Error(`CLIP vocabulary has no '${special}' token`);
  }

  /** Reads `vocab.json` (token → id) and `merges.txt` (a `#version` line, then one "a b" merge per line). */
  static fromFiles(vocabFile: string, mergesFile: string, options: ClipBpeOptions): ClipBpeTokenizer {
    const vocab = new Map(Object.entries(JSON.parse(readFileSync(vocabFile, 'utf8')) as Record<string, number>));
    const lines = readFileSync(mergesFile, 'utf8').split('\n');
    const merges = (lines[0]?.startsWith('#version') ? lines.slice(1) : lines).filter((l) => l.trim() !== '');
    return new ClipBpeTokenizer(vocab, merges, options);
  }

  /** BPE tokens of a text, without the start and end tokens. */
  tokenize(text: string): string[] {
    const normalized = text.normalize('NFC').replace(/\s+/g, ' ').toLowerCase();
    const tokens: string[] = [];
    for (const match of normalized.matchAll(WORD_PATTERN)) tokens.push(...this.bpe(toByteAlphabet(match[0])));
    return tokens;
  }

  /** `<|startoftext|> tokens <|endoftext|>` as ids, truncated to maxLength (the end token is kept). */
  encode(text: string): Encoding {
    const body = this.tokenize(text).slice(0, Math.max(0, this.options.maxLength - 2));
    const tokens = [BOS, ...body, EOS];
    const unk = this.vocab.get(EOS)!;
    return { tokens, ids: tokens.map((t) => this.vocab.get(t) ?? unk) };
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

/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the rest to code points from 256 up. */
const BYTE_TO_CHAR: string[] = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + next++);
  return table;
})();

function toByteAlphabet(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += BYTE_TO_CHAR[byte];
  return out;
}
