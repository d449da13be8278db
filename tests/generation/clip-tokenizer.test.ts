import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClipBpeTokenizer, ClipContextError, cleanText, fixText, OPENAI_BPE_FILE } from '../../src/generation/learned/tokenizers/clip-bpe.js';

/** Written by tools/parity/make_clip_tokenizer_goldens.py (OpenAI's simple_tokenizer.py + clip.tokenize, re-implemented). */
interface Golden {
  fix_text: string;
  context_length: number;
  vocab_size: number;
  cases: { text: string; bpe: string[]; ids: number[] }[];
}
const GOLDEN = JSON.parse(readFileSync('tests/goldens/clip-tokenizer/expected.json', 'utf8')) as Golden;
const clip = ClipBpeTokenizer.fromOpenAiBpe(OPENAI_BPE_FILE, { maxLength: GOLDEN.context_length });

describe('CLIP tokenizer against OpenAI simple_tokenizer.py (shipped bpe_simple_vocab_16e6.txt.gz)', () => {
  it.each(GOLDEN.cases.map((c, i) => [i, JSON.stringify(c.text).slice(0, 60), c] as const))('case %i %s', (_, __, c) => {
    expect(clip.tokenize(c.text)).toEqual(c.bpe);
    expect(clip.encode(c.text).ids).toEqual(c.ids);
  });

  it('builds the 49408-id vocabulary with the specials last', () => {
    expect(GOLDEN.vocab_size).toBe(49408);
    expect(clip.encode('').ids).toEqual([49406, 49407]);
    // The tokenization every CLIP user has seen.
    expect(clip.encode('a photo of a cat').ids).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  it('cuts long text to 77 ids, 75 of them text, ending with <|endoftext|>', () => {
    const long = GOLDEN.cases.filter((c) => c.bpe.length > 75);
    expect(long.length).toBeGreaterThan(2);
    for (const c of long) {
      const { ids } = clip.encode(c.text);
      expect(ids).toHaveLength(77);
      expect(ids.at(-1)).toBe(49407);
      expect(ids.slice(1, 76)).toEqual(c.ids.slice(1, 76));
    }
  });
});

describe("ftfy's character fixes (fix_text), which the goldens' corpus avoids", () => {
  it('straightens curly quotes, so a curly apostrophe tokenizes as the contraction', () => {
    expect(fixText('‘a’ “b” ‛c‟ dogʼs')).toBe(`'a' "b" 'c" dog's`);
    expect(clip.encode('the dog’s ball').ids).toEqual(clip.encode("the dog's ball").ids);
  });

  it('splits Latin ligatures and brings full-width forms to normal width', () => {
    expect(fixText('ﬁsh ﬂour ﬃ Ĳssel')).toBe('fish flour ffi IJssel');
    expect(fixText('ＣＬＩＰ　３！')).toBe('CLIP 3!');
  });

  it('removes control characters and the byte order mark, reads C1 controls as Windows-1252, composes to NFC', () => {
    expect(fixText('\ufeffa\x00b\x07c\x1bd\x7f\u{1d173}')).toBe('abcd');
    expect(fixText('\x1b[31mred\x1b[0m')).toBe('red');
    expect(fixText('\x93quoted\x94 \x80')).toBe('"quoted" €');
    expect(fixText('cafe\u0301')).toBe('café');
  });

  it('keeps tabs, newlines and ordinary text as they are', () => {
    const text = 'a photo\tof a\ncat, 3.5 m² — naïve 🐶';
    expect(fixText(text)).toBe(text);
  });

  it('unescapes HTML twice and collapses whitespace as Python does (U+FEFF is not space; ftfy turns U+0085 into …)', () => {
    expect(cleanText('Fish &amp;amp; Chips')).toBe('fish & chips');
    expect(cleanText(' a\u2028b\u3000c\x85 ')).toBe('a b c…');
    expect(cleanText('a\u200bb')).toBe('a\u200bb');
  });
});

/** The authors' QC tokenizer: transformers' slow CLIPTokenizer without ftfy, padding=True, no truncation (transcribed in the golden script). */
interface HfGolden {
  cases: { text: string; hf_bpe: string[]; hf_ids: number[] }[];
  hf_cases: { text: string; hf_bpe: string[]; hf_ids: number[] }[];
}
const HF = JSON.parse(readFileSync('tests/goldens/clip-tokenizer/expected.json', 'utf8')) as HfGolden;
const hf = ClipBpeTokenizer.fromOpenAiBpe(OPENAI_BPE_FILE, { maxLength: GOLDEN.context_length, textHandling: 'hf-slow' });

describe("CLIP tokenizer as the Semi-Truths QC calls it (Hugging Face CLIPTokenizer, no ftfy, no truncation)", () => {
  const all = [...HF.cases, ...HF.hf_cases];
  it.each(all.map((c, i) => [i, JSON.stringify(c.text).slice(0, 60), c] as const))('case %i %s', (_, __, c) => {
    expect(hf.tokenize(c.text)).toEqual(c.hf_bpe);
    if (c.hf_ids.length <= 77) expect(hf.encode(c.text).ids).toEqual(c.hf_ids);
    else expect(() => hf.encode(c.text)).toThrow(ClipContextError);
  });

  it('parts from OpenAI\'s tokenizer only where the references do: entities, format characters, CJK, long captions', () => {
    const differ = HF.cases.filter((c) => c.hf_ids.join() !== GOLDEN.cases.find((g) => g.text === c.text)!.ids.join());
    expect(differ.length).toBeGreaterThan(5);
    expect(hf.encode('fish &amp; chips').ids).not.toEqual(clip.encode('fish &amp; chips').ids);
    expect(hf.encode('a photo of a cat').ids).toEqual(clip.encode('a photo of a cat').ids);
    expect(() => hf.encode(' word'.repeat(76))).toThrow(/78 CLIP tokens, over the 77-token context/);
    expect(hf.encode(' word'.repeat(75)).ids).toHaveLength(77);
  });
});
