// The BLIP caption backend (src/generation/generate/caption/blip.ts) against tools/parity/make_blip_goldens.py: a
// TINY random-weight BLIP (the exporter's architecture) exported by tools/export/blip_caption.py, with pixel
// tensors from torchvision and token ids from greedy and beam search in PyTorch, written from transformers'
// generate. Real BLIP weights are not run here. Needs Debian's python3-torch, python3-torchvision, python3-onnx.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/image/decode.js';
import { BlipCaptionBackend, BlipCaptioner, decodeSequence, type BlipGeneration } from '../../../src/generation/generate/caption/blip.js';
import { createCaptionBackend, loadCaptionPrompts, withCaptioner } from '../../../src/generation/generate/caption/index.js';
import type { SourcePhoto } from '../../../src/generation/generate/contracts.js';
import { loadPrompts } from '../../../src/generation/generate/perturb/prompts.js';
import { joinWordPieces, WordPieceTokenizer } from '../../../src/generation/learned/tokenizers/wordpiece.js';
import { UserError } from '../../../src/util/errors.js';
import { makeSourceSet } from '../../../tools/make-source-set.js';
import { skipWithoutReference, tempDir } from '../../helpers.js';
import { pythonModulesMissing, runPython } from '../../export/python.js';

interface Goldens {
  prompt_ids: number[];
  settings: Record<string, BlipGeneration>;
  images: { file: string; pixels: string; runs: Record<string, { ids: number[]; text: string; caption: string }> }[];
}

describe('WordPiece decode (BertTokenizer.decode, skip_special_tokens, clean_up_tokenization_spaces)', () => {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'a', 'dog', '##s', 'play', '##ing', 'foot', '##ball', '.', ',', "'", 's', 'don', 't', 'n', '?', '!', 'm', 're', 've', '[DEC]'];
  const tokenizer = new WordPieceTokenizer(vocab, { lowercase: true, maxLength: 64 });
  const id = (...tokens: string[]) => tokens.map((t) => vocab.indexOf(t));
  const skip = new Set(id('[PAD]', '[UNK]', '[CLS]', '[SEP]', '[DEC]'));

  it('joins ## pieces to the word before and drops the skipped ids', () => {
    expect(tokenizer.decode(id('[DEC]', 'a', 'dog', '##s', 'play', '##ing', 'foot', '##ball', '[SEP]', '[PAD]'), skip)).toBe('a dogs playing football');
    expect(tokenizer.decode(id('a', '[UNK]', 'dog'), skip)).toBe('a dog');
    expect(tokenizer.decode(id('##s', 'dog'), skip)).toBe('##s dog'); // a leading piece keeps its ## (no space before it)
    expect(tokenizer.decode([...id('a'), 999], new Set())).toBe('a [UNK]'); // an id outside the vocabulary
  });

  it('cleans the spaces before punctuation and in contractions', () => {
    expect(joinWordPieces(['a', 'dog', ',', 'a', 'ball', '.'])).toBe('a dog, a ball.');
    expect(joinWordPieces(['don', "'", 't', '?', 'yes', '!'])).toBe("don't? yes!");
    expect(joinWordPieces(['it', "'", 's', 'i', "'", 'm', 'we', "'", 're', 'we', "'", 've'])).toBe("it's i'm we're we've");
    expect(joinWordPieces(['do', 'n', "'", 't'])).toBe("don't"); // " ' " → "'" first, then " n't" → "n't"
    expect(joinWordPieces(['dog', "'", 's'])).toBe("dog's");
    expect(joinWordPieces([])).toBe('');
  });
});

describe('beam search bookkeeping (hand-made logits)', () => {
  // vocab: 0 eos, 1..3 words.
  const g: BlipGeneration = { num_beams: 2, max_length: 6, min_length: 0, repetition_penalty: 1, length_penalty: 1 };
  it('ends a hypothesis at eos and returns the best one with its eos appended', async () => {
    // After the prompt eos is the likeliest token: [7] is finished with log p(eos); the beams 7,1 and 7,2 go on and
    // tie at every later step, so the search stops once they cannot beat the finished ones.
    const next = async (seqs: number[][]) => seqs.map((s) => (s.at(-1) === 7 ? [3, 2, 1, -5] : [0, 0, 0, 0]));
    expect(await decodeSequence([7], g, 0, next)).toEqual([7, 0]);
  });
  it('forbids eos below min_length and cuts at max_length without an eos', async () => {
    const next = async (seqs: number[][]) => seqs.map(() => [9, 0, 1, 0]);
    expect(await decodeSequence([7], { ...g, num_beams: 1, min_length: 3 }, 0, next)).toEqual([7, 2, 2, 0]);
    expect(await decodeSequence([7], { ...g, num_beams: 1, min_length: 9 }, 0, next)).toEqual([7, 2, 2, 2, 2, 2]);
  });
});

const missing = pythonModulesMissing('torch, torchvision, onnx, PIL');

describe('BLIP captions on a tiny random BLIP (tools/parity/make_blip_goldens.py)', () => {
  if (skipWithoutReference('blip goldens', missing && `${missing}. Install python3-torch python3-torchvision python3-onnx python3-pil.`)) {
    it.skip(`BLIP goldens skipped: ${missing}`, () => {});
    return;
  }
  let dir: string;
  let goldens: Goldens;
  let captioner: BlipCaptioner;

  beforeAll(async () => {
    dir = tempDir('semibench-blip-');
    const { code, output } = await runPython(['tools/parity/make_blip_goldens.py', '--out', dir]);
    if (code !== 0) throw new Error(`make_blip_goldens.py failed:\n${output.slice(-4000)}`);
    goldens = JSON.parse(readFileSync(join(dir, 'goldens.json'), 'utf8')) as Goldens;
    captioner = await BlipCaptioner.load(join(dir, 'model'));
  }, 240_000);
  afterAll(async () => {
    await captioner?.close();
  });

  it('tokenizes the prompt as LAVIS does: [DEC] a picture of', () => {
    expect(captioner.promptIds).toEqual(goldens.prompt_ids);
  });

  it('preprocesses each photo to the torchvision tensor, bit for bit', async () => {
    for (const image of goldens.images) {
      const expected = new Float32Array(readFileSync(join(dir, image.pixels)).buffer.slice(0));
      const got = captioner.preprocess(await decodeImage(join(dir, image.file)));
      expect([got.channels, got.height, got.width], image.file).toEqual([3, 384, 384]);
      let diff = 0;
      for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs(got.data[i] - expected[i]));
      expect(diff, image.file).toBe(0);
    }
  });

  it('gives the reference token ids and text for greedy and beam search, with and without penalties', async () => {
    for (const image of goldens.images) {
      const embeds = await captioner.imageEmbeds(captioner.preprocess(await decodeImage(join(dir, image.file))));
      for (const [name, run] of Object.entries(image.runs)) {
        const ids = await captioner.generate(embeds, goldens.settings[name]);
        expect(ids, `${image.file} ${name}`).toEqual(run.ids);
        expect(captioner.decode(ids), `${image.file} ${name}`).toEqual({ ids: run.ids, text: run.text, caption: run.caption });
      }
    }
  }, 120_000);

  it('captions from the file bytes with blip.json settings, and as a caption backend with edits from --llm', async () => {
    const image = goldens.images[2];
    const bytes = readFileSync(join(dir, image.file));
    expect((await captioner.caption(bytes)).ids).toEqual(image.runs.authors.ids);
    const prompts = loadPrompts();
    const captionPrompts = loadCaptionPrompts();
    const backend = withCaptioner(`blip:${join(dir, 'model')}`, createCaptionBackend('offline', undefined, captionPrompts, prompts), captionPrompts);
    expect(backend).toBeInstanceOf(BlipCaptionBackend);
    expect(backend.captionModel).toMatch(/^blip-tiny-random@[0-9a-f]{12}$/);
    expect(backend.languageModel).toBe('offline-wordnet-3.1');
    await backend.probe();
    const photo: SourcePhoto = { imageId: 'x', masks: [{ imageId: 'x', imagePath: '', imageRelPath: '', dataset: 'd', entities: "['dog']", className: '', maskId: 'm', maskPath: '', maskRelPath: '', maskName: 'dog', ratio: '' }] };
    const caption = await backend.caption({ photo, image: bytes, seed: 1 });
    expect(caption).toEqual({ ok: true, caption: image.runs.authors.caption, attempts: 1 });
  });

  it('names the missing file in one line', async () => {
    const broken = join(dir, 'broken');
    mkdirSync(broken, { recursive: true });
    const offline = createCaptionBackend('offline', undefined, loadCaptionPrompts(), loadPrompts());
    expect(() => withCaptioner(`blip:${broken}`, offline, loadCaptionPrompts())).toThrow(/blip\.json is missing\); make one with tools\/export\/blip_caption\.py/);
    copyFileSync(join(dir, 'model', 'blip.json'), join(broken, 'blip.json'));
    await expect(BlipCaptioner.load(broken)).rejects.toThrow(UserError);
    await expect(BlipCaptioner.load(broken)).rejects.toThrow(/vocab\.txt is missing/);
    copyFileSync(join(dir, 'model', 'vocab.txt'), join(broken, 'vocab.txt'));
    await expect(BlipCaptioner.load(broken)).rejects.toThrow(/vision\.onnx is missing/);
    writeFileSync(join(broken, 'vision.onnx'), 'not a model');
    await expect(BlipCaptioner.load(broken)).rejects.toThrow(/sha256 mismatch/);
    rmSync(broken, { recursive: true, force: true });
    expect(() => withCaptioner('blip', offline, loadCaptionPrompts())).toThrow(/--caption blip needs the model folder/);
    expect(() => withCaptioner('clip:x', offline, loadCaptionPrompts())).toThrow(/--caption must be 'llm' or blip:DIR/);
  });

  it('semibench generate --methods p2p --caption blip:DIR writes BLIP captions and records the caption model', async () => {
    const src = join(dir, 'src');
    await makeSourceSet(src, 1); // 2 photos
    const out = join(dir, 'gen');
    const model = join(dir, 'model');
    const cli = (args: string[]) => spawnSync(process.execPath, [resolve('bin/semibench.js'), ...args], { encoding: 'utf8', cwd: dir });
    const args = (to: string) => ['generate', '--input', src, '--out', to, '--methods', 'p2p', '--llm', 'offline', '--edit', 'offline', '--no-brisque', '--no-learned'];
    const run = cli([...args(out), '--caption', `blip:${model}`]);
    expect(run.status, run.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'generation.json'), 'utf8'));
    expect(record.backends.caption).toEqual({ name: 'blip', caption_model: expect.stringMatching(/^blip-tiny-random@/), language_model: 'offline-wordnet-3.1' });
    // Every photo got its BLIP caption; the offline editor then finds none of the photo's objects in these random
    // captions, so no p2p row is made (a real BLIP names objects; a server LLM edits any caption).
    const entries = readFileSync(join(out, '.semibench-generate', 'caption.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { original_caption?: string; caption_model: string; reason?: string });
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      expect(entry.original_caption).toMatch(/^a photo of \S/);
      expect(entry.caption_model).toBe(record.backends.caption.caption_model);
    }
    const rows = parse(readFileSync(join(out, 'metadata.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    for (const row of rows.filter((r) => r.method === 'p2p')) expect(entries.map((e) => e.original_caption)).toContain(row.original_caption);
    const bad = cli([...args(join(dir, 'gen2')), '--caption', `blip:${join(dir, 'nowhere')}`]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^semibench: --caption blip:.*nowhere: no BLIP caption model there \(.*blip\.json is missing\); make one with tools\/export\/blip_caption\.py/)]);
  }, 180_000);
});
