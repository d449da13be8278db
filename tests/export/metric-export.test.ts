// Runs tools/export/metrics_self_test.py: the CLIP ViT-B/32, LPIPS and MiniLM exporters on random-weight models of the real
// architectures, written into a metrics folder in the built-in manifests' layout; then semibench loads them with
// those manifests (zoo.ts) and measures with them. Needs Debian's python3-torch, python3-torchvision, python3-onnx
// (skipped with the reason otherwise; a failure under CI=true).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClipModel } from '../../src/generation/learned/clip.js';
import { loadLearnedMetrics } from '../../src/generation/learned/registry.js';
import type { SentenceEmbeddingModel } from '../../src/generation/learned/sentence-embedding.js';
import { ClipBpeTokenizer, OPENAI_BPE_FILE } from '../../src/generation/learned/tokenizers/clip-bpe.js';
import { basicTokenize, WordPieceTokenizer } from '../../src/generation/learned/tokenizers/wordpiece.js';
import { copyEvalset, skipWithoutReference, tempDir } from '../helpers.js';
import { measureEvalset, readCsv } from '../generation/measure-helpers.js';
import { pythonModulesMissing, runPython } from './python.js';

const CAPTIONS = ['a photo of a cat', 'A red double-decker bus driving down a street in London.', 'two dogs’ frisbee & a ball'];



const missing = pythonModulesMissing('torch, torchvision, onnx');

describe('tools/export metric models (CLIP ViT-B/32, LPIPS) → the built-in metric manifests', () => {
  if (skipWithoutReference('metric export', missing && `${missing}. Install python3-torch python3-torchvision python3-onnx.`)) {
    it.skip(`metric export self-test skipped: ${missing}`, () => {});
    return;
  }

  it('exports graphs that the zoo manifests load and measure with, matching PyTorch', async () => {
    const dir = tempDir('semibench-metric-export-');
    const metricsDir = join(dir, 'metrics');
    // the caption handling of the built-in manifest (the authors' QC: Hugging Face's CLIPTokenizer without ftfy)
    const tokenizer = ClipBpeTokenizer.fromOpenAiBpe(OPENAI_BPE_FILE, { maxLength: 77, textHandling: 'hf-slow' });
    writeFileSync(join(dir, 'ids.json'), JSON.stringify(CAPTIONS.map((c) => tokenizer.encode(c).ids)));
    // MiniLM's vocab.txt is not shipped: a BERT-shaped stand-in (specials at BERT's ids) covering the captions.
    const words = [...new Set(CAPTIONS.flatMap((c) => basicTokenize(c, true)))];
    const vocab = Array.from({ length: 30522 }, (_, i) => ({ 0: '[PAD]', 100: '[UNK]', 101: '[CLS]', 102: '[SEP]', 103: '[MASK]' })[i] ?? words[i - 1000] ?? `[unused${i}]`);
    mkdirSync(join(metricsDir, 'all-MiniLM-L6-v2'), { recursive: true });
    writeFileSync(join(metricsDir, 'all-MiniLM-L6-v2', 'vocab.txt'), `${vocab.join('\n')}\n`);
    const wordpiece = new WordPieceTokenizer(vocab, { lowercase: true, maxLength: 256 });
    writeFileSync(join(dir, 'wordpiece.json'), JSON.stringify(CAPTIONS.map((c) => wordpiece.encode(c).ids)));
    const { code, output } = await runPython(['tools/export/metrics_self_test.py', '--metrics-dir', metricsDir, '--ids', join(dir, 'ids.json'),
      '--wordpiece-ids', join(dir, 'wordpiece.json'), '--json', join(dir, 'results.json')]);
    expect(code, output.slice(-4000)).toBe(0);
    const { results } = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      results: { model: string; passed: boolean; max_abs_diff: number; layout_diff?: number; vs_original?: number; text_embeddings?: number[][]; sentence_embeddings?: number[][] }[];
    };
    expect(results.map((r) => [r.model, r.passed])).toEqual([['clip', true], ['lpips', true], ['minilm', true]]);
    for (const r of results) expect(r.max_abs_diff, r.model).toBeLessThanOrEqual(1e-4);
    expect(results[0].layout_diff).toBeLessThanOrEqual(1e-6); // Hugging Face and OpenAI checkpoints give one graph
    expect(results[0].vs_original).toBeLessThanOrEqual(1e-4);

    // The built-in manifests accept the files as exported: input/output names, shapes, the shipped tokenizer.
    const learned = await loadLearnedMetrics(metricsDir);
    try {
      const status = Object.fromEntries(learned.statuses.map((s) => [s.name, [s.status, s.source]]));
      expect(status['clip-vit-b32']).toEqual(['loaded', 'builtin']);
      expect(status['lpips-squeeze']).toEqual(['loaded', 'builtin']);
      expect(status['all-minilm-l6-v2']).toEqual(['loaded', 'builtin']);
      const minilm = learned.models.find((m) => m.id.startsWith('all-minilm-l6-v2@')) as SentenceEmbeddingModel;
      for (const [i, caption] of CAPTIONS.entries()) {
        const ours = await minilm.embed(caption);
        const torch = results[2].sentence_embeddings![i];
        expect(Math.max(...torch.map((v, k) => Math.abs(v - ours[k]))), caption).toBeLessThanOrEqual(1e-5);
      }
      const clip = learned.models.find((m) => m.id.startsWith('clip-vit-b32@')) as ClipModel;
      for (const [i, caption] of CAPTIONS.entries()) {
        const ours = await clip.embedText(caption);
        const torch = results[0].text_embeddings![i];
        expect(ours).toHaveLength(torch.length);
        expect(Math.max(...torch.map((v, k) => Math.abs(v - ours[k]))), caption).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      await learned.close();
    }

    const evalset = copyEvalset();
    const measured = await measureEvalset(evalset, { metricsDir });
    expect(measured.rowsWithProblems).toBe(0);
    const fakes = readCsv(join(evalset, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    for (const r of fakes) {
      for (const column of ['lpips_score', 'img1_img2', 'cap2_img2', ...(r.method === 'inpainting' ? (['sen_sim'] as const) : [])] as const) expect(Number.isFinite(Number(r[column])) && r[column] !== '', `${r.image_path} ${column}`).toBe(true);
      expect(Number(r.lpips_score)).toBeGreaterThanOrEqual(0);
      expect(Math.abs(Number(r.img1_img2))).toBeLessThanOrEqual(1);
    }
  }, 600_000); // ~150 s on 2 idle cores (three exports, then a measure run)
});
