import { readFileSync } from 'node:fs';

/** Settings of a BERT-style WordPiece tokenizer (all-MiniLM-L6-v2: uncased, 256 tokens with specials). */
export interface WordPieceOptions {
  /** Lowercase and strip accents (BERT "uncased"). */
  lowercase: boolean;
  /** Longest sequence fed to the model, [CLS] and [SEP] included; longer texts are truncated. */
  maxLength: number;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  /** Words longer than this become [UNK] (BERT: 100). */
  maxInputCharsPerWord?: number;
}

/** A tokenized text: ids to feed the model, and the tokens for messages and tests. */
export interface Encoding {
  ids: number[];
  tokens: string[];
}

/**
 * The BERT tokenizer that sentence-transformers' all-MiniLM-L6-v2 uses (Hugging Face `BertTokenizer` /
 * `BertTokenizerFast` with `do_lower_case=True`), from a local `vocab.txt` (one token per line, id = line number):
 * 1. basic tokenization: drop NUL, U+FFFD and control characters, map whitespace to spaces, put spaces around CJK
 *    ideographs, split on whitespace; lowercase and strip accents (NFD, drop non-spacing marks); split every
 *    punctuation character (ASCII symbols and Unicode category P) into its own token;
 * 2. WordPiece: greedy longest-match-first against the vocabulary, continuation pieces prefixed `##`; a word with
 *    no full segmentation (or over 100 characters) becomes [UNK];
 * 3. `[CLS] … [SEP]`, truncated to `maxLength`.
 */
export class WordPieceTokenizer {
  private readonly vocab: Map<string, number>;
  private readonly unk: string;
  private readonly cls: string;
  private readonly sep: string;
  private readonly maxChars: number;

  constructor(
    private readonly tokens: readonly string[],
    private readonly options: WordPieceOptions,
  ) {
    // A repeated line keeps its last id, as transformers' `load_vocab` (an OrderedDict filled in order) does.
    this.vocab = new Map(tokens.map((token, id) => [token, id]));
    this.unk = options.unkToken ?? '[UNK]';
    this.cls = options.clsToken ?? '[CLS]';
    this.sep = options.sepToken ?? '[SEP]';
    this.maxChars = options.maxInputCharsPerWord ?? 100;
    for (const special of [this.unk, this.cls, this.sep]) {
      if (!this.vocab.has(special)) throw new Error(`WordPiece vocabulary has no '${special}' token`);
    }
  }

  /** Reads `vocab.txt` as transformers' `load_vocab` does: lines with their trailing "\n" removed. */
  static fromVocabFile(file: string, options: WordPieceOptions): WordPieceTokenizer {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return new WordPieceTokenizer(lines, options);
  }

  /** Word pieces of a text, without [CLS] / [SEP]. */
  tokenize(text: string): string[] {
    return basicTokenize(text, this.options.lowercase).flatMap((word) => this.wordPieces(word));
  }

  /** `[CLS] pieces [SEP]` as ids, truncated to maxLength. */
  encode(text: string): Encoding {
    const pieces = this.tokenize(text).slice(0, Math.max(0, this.options.maxLength - 2));
    const tokens = [this.cls, ...pieces, this.sep];
    return { tokens, ids: tokens.map((t) => this.vocab.get(t) ?? this.vocab.get(this.unk)!) };
  }

  /**
   * `BertTokenizer.decode(ids, skip_special_tokens=True)`: the ids in `skip` dropped, an unknown id read as [UNK],
   * then {@link joinWordPieces}.
   */
  decode(ids: readonly number[], skip: ReadonlySet<number>): string {
    return joinWordPieces(ids.filter((id) => !skip.has(id)).map((id) => this.tokens[id] ?? this.unk));
  }

  private wordPieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > this.maxChars) return [this.unk];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        if (this.vocab.has(piece)) {
          found = piece;
          break;
        }
        end--;
      }
      if (found === undefined) return [this.unk];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }
}

/**
 * Word pieces back to text as BertTokenizer does: `" ".join(tokens).replace(" ##", "").strip()`, then
 * `clean_up_tokenization_spaces` (on for BERT tokenizers): no space before . ? ! , and English contractions.
 */
export function joinWordPieces(tokens: readonly string[]): string {
  let text = tokens.join(' ').replaceAll(' ##', '').trim();
  for (const [from, to] of CLEAN_UP) text = text.replaceAll(from, to);
  return text;
}

/** transformers' `clean_up_tokenization`, in its order. */
const CLEAN_UP: readonly (readonly [string, string])[] = [
  [' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"], [" 'm", "'m"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"],
];

/** BERT's BasicTokenizer: clean, space out CJK, split on whitespace, lowercase + strip accents, split punctuation. */
export function basicTokenize(text: string, lowercase: boolean): string[] {
  let cleaned = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (isWhitespace(ch)) cleaned += ' ';
    else if (isCjk(cp)) cleaned += ` ${ch} `;
    else cleaned += ch;
  }
  const words: string[] = [];
  for (let token of cleaned.trim().split(/\s+/)) {
    if (!token) continue;
    if (lowercase) token = stripAccents(token.toLowerCase());
    words.push(...splitPunctuation(token));
  }
  return words;
}

function stripAccents(text: string): string {
  return text.normalize('NFD').replace(/\p{Mn}/gu, '');
}

function splitPunctuation(token: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of token) {
    if (isPunctuation(ch)) {
      if (current) out.push(current);
      out.push(ch);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) out.push(current);
  return out;
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /\p{Zs}/u.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return /\p{C}/u.test(ch);
}

/** ASCII non-letter/number symbols count as punctuation too (BERT: "$", "^", "`" split words). */
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /\p{P}/u.test(ch);
}

/** The CJK Unified Ideograph blocks BERT's `_is_chinese_char` lists. */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
