import { describe, expect, it } from 'vitest';
import { ClipBpeTokenizer } from '../../src/generation/learned/tokenizers/clip-bpe.js';
import { basicTokenize, WordPieceTokenizer } from '../../src/generation/learned/tokenizers/wordpiece.js';

// A tiny BERT vocabulary: id = position.
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', '##s', 'sat', 'on', 'mat', '.', 'un', '##aff', '##able', 'cafe', '!', '中', '国', 'a', '$', 'b'];
const bert = new WordPieceTokenizer(VOCAB, { lowercase: true, maxLength: 256 });

describe('WordPiece (BERT uncased, all-MiniLM-L6-v2)', () => {
  it('lowercases, splits punctuation and continues words with ##', () => {
    expect(bert.tokenize('The cats sat on the mat.')).toEqual(['the', 'cat', '##s', 'sat', 'on', 'the', 'mat', '.']);
    expect(bert.tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
  });

  it('strips accents, spaces out CJK ideographs and splits ASCII symbols', () => {
    expect(bert.tokenize('Café!')).toEqual(['cafe', '!']);
    expect(bert.tokenize('中国')).toEqual(['中', '国']);
    expect(bert.tokenize('a$b')).toEqual(['a', '$', 'b']);
  });

  it('drops control characters and treats tabs and newlines as spaces', () => {
    expect(bert.tokenize('ca\u200bt\u0000')).toEqual(['cat']);
    expect(bert.tokenize('the\tcat\nsat\r')).toEqual(['the', 'cat', 'sat']);
    expect(basicTokenize('  Hello,\u00a0World  ', true)).toEqual(['hello', ',', 'world']);
  });

  it('maps a word with no full segmentation to a single [UNK]', () => {
    expect(bert.tokenize('dog')).toEqual(['[UNK]']);
    // "cat" matches, "x" does not: the whole word is unknown, not "cat [UNK]".
    expect(bert.tokenize('catx sat')).toEqual(['[UNK]', 'sat']);
    expect(new WordPieceTokenizer(VOCAB, { lowercase: true, maxLength: 9, maxInputCharsPerWord: 3 }).tokenize('cats')).toEqual(['[UNK]']);
  });

  it('wraps in [CLS] … [SEP], gives vocabulary ids and truncates to maxLength', () => {
    expect(bert.encode('the cat')).toEqual({ tokens: ['[CLS]', 'the', 'cat', '[SEP]'], ids: [2, 5, 6, 3] });
    const short = new WordPieceTokenizer(VOCAB, { lowercase: true, maxLength: 4 });
    expect(short.encode('the cats sat').tokens).toEqual(['[CLS]', 'the', 'cat', '[SEP]']);
  });

  it('keeps case without lowercase (cased models)', () => {
    const cased = new WordPieceTokenizer([...VOCAB, 'The'], { lowercase: false, maxLength: 16 });
    expect(cased.tokenize('The the')).toEqual(['The', 'the']);
  });

  it('refuses a vocabulary without its special tokens', () => {
    expect(() => new WordPieceTokenizer(['a', 'b'], { lowercase: true, maxLength: 8 })).toThrow(/\[UNK\]/);
  });
});

/** CLIP's byte-level BPE on a hand-made vocabulary: every printable ASCII character, alone and word-final. */
function tinyClip(merges: string[], extra: string[], maxLength = 77): ClipBpeTokenizer {
  const tokens: string[] = [];
  for (let c = 0x21; c <= 0x7e; c++) tokens.push(String.fromCharCode(c), `${String.fromCharCode(c)}</w>`);
  tokens.push(...extra, '<|startoftext|>', '<|endoftext|>');
  return new ClipBpeTokenizer(new Map(tokens.map((t, i) => [t, i])), merges, { maxLength });
}

describe('CLIP byte-level BPE', () => {
  const clip = tinyClip(['l o', 'lo w</w>', 'lo w', 'e r</w>'], ['lo', 'low</w>', 'low', 'er</w>']);

  it('merges pairs in rank order, marking word ends with </w>', () => {
    expect(clip.tokenize('low')).toEqual(['low</w>']);
    // l o w e r</w> → lo w e r</w> → low e r</w> ("lo w" outranks "e r</w>") → low er</w>
    expect(clip.tokenize('lower')).toEqual(['low', 'er</w>']);
  });

  it('lowercases, collapses whitespace, and splits letters, single digits, symbols and contractions', () => {
    expect(clip.tokenize('  LOW\n\tlow ')).toEqual(['low</w>', 'low</w>']);
    expect(clip.tokenize('low, 42!')).toEqual(['low</w>', ',</w>', '4</w>', '2</w>', '!</w>']);
    expect(clip.tokenize("it's")).toEqual(['i', 't</w>', "'", 's</w>']);
  });

  it('maps UTF-8 bytes to the GPT-2 byte alphabet', () => {
    // é = C3 A9; both bytes are printable Latin-1, so they map to themselves.
    expect(clip.tokenize('é')).toEqual(['Ã', '©</w>']);
  });

  it('adds the start and end tokens and truncates to maxLength, keeping the end token', () => {
    const enc = clip.encode('low lower');
    expect(enc.tokens).toEqual(['<|startoftext|>', 'low</w>', 'low', 'er</w>', '<|endoftext|>']);
    expect(enc.ids[0]).not.toBe(enc.ids.at(-1));
    const short = tinyClip(['l o', 'lo w</w>'], ['lo', 'low</w>'], 3);
    expect(short.encode('low low').tokens).toEqual(['<|startoftext|>', 'low</w>', '<|endoftext|>']);
  });
});
