import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minMaxToSigned } from '../../src/generation/learned/image-input.js';
import { validateMetricManifest } from '../../src/generation/learned/manifest.js';
import { loadLearnedMetrics } from '../../src/generation/learned/registry.js';
import { ClipBpeTokenizer } from '../../src/generation/learned/tokenizers/clip-bpe.js';
import { WordPieceTokenizer } from '../../src/generation/learned/tokenizers/wordpiece.js';
import { CLIP_VIT_B32, DREAMSIM, LPIPS_SQUEEZE } from '../../src/generation/learned/zoo.js';
import { formatMeasureSummary } from '../../src/generation/summary.js';
import { copyEvalset, tempDir } from '../helpers.js';
import { measureEvalset, readCsv, writeCsv } from './measure-helpers.js';
import { clipVocab, WORDPIECE_VOCAB, writeTinyMetricModels } from './tiny-metric-models.js';

/**
 * Expected columns for the first inpainting and the first p2p row of the bundled eval set, computed without
 * semibench by tools/parity/make_learned_goldens.py (Pillow, NumPy, Semi-Truths' normalize_lpips, CLIP's BPE and
 * BERT's WordPiece as published), from the stand-in models' definitions.
 */
interface LearnedGolden {
  image_path: string;
  lpips_score: number;
  dreamsim: number;
  img1_img2: number;
  cap2_img2: number;
  sen_sim?: number;
  direct_sim?: number;
  tokens: { clip: Record<string, number[]>; wordpiece: Record<string, number[]> };
}
const GOLDEN = JSON.parse(readFileSync('tests/goldens/learned/expected.json', 'utf8')) as Record<'inpainting' | 'p2p', LearnedGolden>;

describe('learned metrics with tiny ONNX models', () => {
  it('fill lpips_score, dreamsim, sen_sim and the CLIP QC scores as the Python reference computes them', async () => {
    const dir = copyEvalset();
    const metricsDir = writeTinyMetricModels(join(tempDir(), 'metrics'));
    const result = await measureEvalset(dir, { metricsDir });
    expect(result.models.map((m) => [m.name, m.status])).toEqual([
      ['lpips-squeeze', 'loaded'], ['dreamsim', 'loaded'], ['all-minilm-l6-v2', 'loaded'], ['clip-vit-b32', 'loaded'],
    ]);
    expect(result.rowsWithProblems).toBe(0);

    const rows = readCsv(join(dir, 'metadata.csv')).rows;
    const wordpiece = new WordPieceTokenizer(WORDPIECE_VOCAB, { lowercase: true, maxLength: 256 });
    const { vocab, merges } = clipVocab();
    const bpe = new ClipBpeTokenizer(new Map(Object.entries(vocab)), merges, { maxLength: 77 });
    for (const method of ['inpainting', 'p2p'] as const) {
      const golden = GOLDEN[method];
      const row = rows.find((r) => r.method === method)!;
      expect(row.image_path).toBe(golden.image_path);
      // the tokenizers first: a wrong id would show below only as a wrong cosine
      for (const [caption, ids] of Object.entries(golden.tokens.clip)) expect(bpe.encode(caption).ids, caption).toEqual(ids);
      for (const [caption, ids] of Object.entries(golden.tokens.wordpiece)) expect(wordpiece.encode(caption).ids, caption).toEqual(ids);

      // the models compute in float32 (sums over 224×224 or 256×256 pixels): agreement to ~1e-6 .. 1e-5
      expect(Number(row.lpips_score)).toBeCloseTo(golden.lpips_score, 5);
      expect(Number(row.dreamsim)).toBeCloseTo(golden.dreamsim, 5);
      expect(Number(row.img1_img2)).toBeCloseTo(golden.img1_img2, 4);
      expect(Number(row.cap2_img2)).toBeCloseTo(golden.cap2_img2, 4);
      if (method === 'inpainting') {
        // Inpainting captions: mask_name → perturbed_mask_name.
        expect(Number(row.sen_sim)).toBeCloseTo(golden.sen_sim!, 6);
        expect(Number(row.direct_sim)).toBeCloseTo(golden.direct_sim!, 4);
      } else {
        // The fixture's prompt edits have no original caption: caption-pair metrics stay empty.
        expect([row.sen_sim, row.direct_sim]).toEqual(['', '']);
      }
    }
    // With CLIP loaded, QC applies to every row; categories exist for every learned column with values.
    expect(result.qc.rules.find((r) => r.metric === 'img1_img2')!.applied).toBe(48);
    expect(result.bins.basis.passQcEmpty).toBe(0);
  });

  it('a caption over CLIP\'s 77 tokens is a model error for its row, as the authors\' QC fails on it and drops the row', async () => {
    const dir = copyEvalset();
    const metricsDir = writeTinyMetricModels(join(tempDir(), 'metrics'), ['clip']);
    const file = join(dir, 'metadata.csv');
    const { columns, rows } = readCsv(file);
    const long = rows.find((r) => r.method === 'inpainting')!;
    long.perturbed_mask_name = Array(80).fill('red').join(' ');
    writeCsv(file, columns, rows);
    const result = await measureEvalset(dir, { metricsDir });
    expect(result.rowsWithProblems).toBe(1);
    const after = readCsv(file).rows.find((r) => r.image_path === long.image_path)!;
    expect(after.measure_error).toMatch(/clip-vit-b32: the caption is 82 CLIP tokens, over the 77-token context/);
    expect([after.img1_img2, after.cap2_img2, after.direct_sim]).toEqual(['', '', '']);
    expect(after.pass_qc).toBe('0');
    expect(readCsv(file).rows.filter((r) => r.label === 'fake' && r.img1_img2 !== '')).toHaveLength(47);
  });

  it('a model added later re-measures the rows that lack it; an unchanged set measures nothing', async () => {
    const dir = copyEvalset();
    const metricsDir = join(tempDir(), 'metrics');
    await measureEvalset(dir, { metricsDir });
    writeTinyMetricModels(metricsDir, ['lpips']);
    expect((await measureEvalset(dir, { metricsDir })).measured).toBe(48);
    expect(readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.lpips_score !== '')).toHaveLength(48);
    expect((await measureEvalset(dir, { metricsDir })).measured).toBe(0);
    // --no-learned keeps what the learned models wrote before.
    const pixelOnly = await measureEvalset(dir, { metricsDir, noLearned: true });
    expect(pixelOnly.measured).toBe(0);
    expect(readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.lpips_score !== '')).toHaveLength(48);
  });
});

describe('missing and broken metric models', () => {
  it('leave their columns empty and say which file to put where; nothing is downloaded', async () => {
    const dir = copyEvalset();
    const metricsDir = join(tempDir(), 'metrics');
    writeTinyMetricModels(metricsDir, ['dreamsim']);
    const result = await measureEvalset(dir, { metricsDir });
    const byName = Object.fromEntries(result.models.map((m) => [m.name, m]));
    expect(byName.dreamsim.status).toBe('loaded');
    expect(byName['lpips-squeeze']).toMatchObject({ status: 'missing', columns: ['lpips_score'], missingFiles: [join(metricsDir, 'lpips-squeeze/model.onnx')] });
    expect(byName['all-minilm-l6-v2'].missingFiles).toEqual([join(metricsDir, 'all-MiniLM-L6-v2/onnx/model.onnx'), join(metricsDir, 'all-MiniLM-L6-v2/vocab.txt')]);
    // CLIP's tokenizer ships with semibench: only the two graphs are missing.
    expect(byName['clip-vit-b32'].missingFiles).toEqual(['vision_model', 'text_model'].map((f) => join(metricsDir, `clip-vit-base-patch32/onnx/${f}.onnx`)));
    const rows = readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    for (const r of rows) {
      expect([r.lpips_score, r.sen_sim, r.cap2_img2, r.img1_img2, r.direct_sim, r.lpips_score_category]).toEqual(['', '', '', '', '', '']);
      expect(r.dreamsim).not.toBe('');
    }
    const summary = formatMeasureSummary(result, '/');
    expect(summary).toContain('lpips-squeeze: model missing, columns left empty. Put:');
    expect(summary).toContain(join(metricsDir, 'lpips-squeeze/model.onnx').slice(1));
    expect(summary).toMatch(/cap2_img2, img1_img2, direct_sim\s+clip-vit-b32: model missing/);
    expect(summary).toMatch(/dreamsim: loaded \(dreamsim@[0-9a-f]{8}; not verified against the reference\)/);
  });

  it('a corrupt model file is reported as failed and measuring goes on', async () => {
    const dir = copyEvalset();
    const metricsDir = join(tempDir(), 'metrics');
    mkdirSync(join(metricsDir, 'lpips-squeeze'), { recursive: true });
    writeFileSync(join(metricsDir, 'lpips-squeeze/model.onnx'), 'not onnx');
    const result = await measureEvalset(dir, { metricsDir });
    expect(result.models[0]).toMatchObject({ name: 'lpips-squeeze', status: 'failed' });
    expect(result.measured).toBe(48);
    expect(formatMeasureSummary(result)).toContain('lpips-squeeze: FAILED to load');
  });

  it('a JSON manifest in the metrics folder replaces the built-in one of its kind', async () => {
    const dir = copyEvalset();
    const metricsDir = join(tempDir(), 'metrics');
    writeTinyMetricModels(join(metricsDir, 'elsewhere'), ['lpips']);
    writeFileSync(join(metricsDir, 'my-lpips.json'), JSON.stringify({ ...LPIPS_SQUEEZE, name: 'my-lpips', model: { ...LPIPS_SQUEEZE.model, path: 'elsewhere/lpips-squeeze/model.onnx' } }));
    const learned = await loadLearnedMetrics(metricsDir);
    await learned.close();
    expect(learned.statuses[0]).toMatchObject({ name: 'my-lpips', status: 'loaded', source: join(metricsDir, 'my-lpips.json') });
    const result = await measureEvalset(dir, { metricsDir });
    expect(result.models[0].status).toBe('loaded');
    expect(readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.lpips_score !== '')).toHaveLength(48);
  });

  it('manifest validation names the bad field', () => {
    expect(() => validateMetricManifest({ ...LPIPS_SQUEEZE, model: { ...LPIPS_SQUEEZE.model, inputs: { a: 'in0' } } })).toThrow(/'lpips-squeeze': model.inputs.b: is required/);
    expect(() => validateMetricManifest({ ...LPIPS_SQUEEZE, kind: 'lpips' })).toThrow(/kind: must be one of/);
    expect(() => validateMetricManifest({ ...DREAMSIM, image: { ops: [{ op: 'normalize', mean: [0, 0, 0], std: [1, 1, 1] }] } })).toThrow(/image.ops/);
    expect(validateMetricManifest(JSON.parse(JSON.stringify(CLIP_VIT_B32))).name).toBe('clip-vit-b32');
    expect(() => validateMetricManifest({ ...CLIP_VIT_B32, tokenizer: { ...CLIP_VIT_B32.tokenizer, textHandling: 'hf' } })).toThrow(/tokenizer.textHandling: must be "hf-slow"/);
  });

  it('min-max scaling maps each image to [-1, 1] on its own, as Semi-Truths normalize_lpips does', () => {
    const t = minMaxToSigned({ width: 2, height: 1, data: Uint8Array.from([10, 20, 30, 30, 20, 10]) });
    expect(Array.from(t.data)).toEqual([-1, 1, 0, 0, 1, -1]);
    expect(Array.from(minMaxToSigned({ width: 1, height: 1, data: Uint8Array.from([7, 7, 7]) }).data)).toEqual([-1, -1, -1]);
  });
});
