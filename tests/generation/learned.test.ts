import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minMaxToSigned, prepareImage } from '../../src/generation/learned/image-input.js';
import { validateMetricManifest } from '../../src/generation/learned/manifest.js';
import { loadLearnedMetrics } from '../../src/generation/learned/registry.js';
import { ClipBpeTokenizer } from '../../src/generation/learned/tokenizers/clip-bpe.js';
import { WordPieceTokenizer } from '../../src/generation/learned/tokenizers/wordpiece.js';
import { CLIP_VIT_B32, DREAMSIM, LPIPS_SQUEEZE } from '../../src/generation/learned/zoo.js';
import { formatMeasureSummary } from '../../src/generation/summary.js';
import { alignToReal } from '../../src/generation/change/index.js';
import { decodeImage } from '../../src/image/decode.js';
import type { Chw } from '../../src/image/types.js';
import { copyEvalset, tempDir } from '../helpers.js';
import { measureEvalset, readCsv } from './measure-helpers.js';
import {
  CLIP_TEXT_TABLE,
  clipVocab,
  EMBED_DIM,
  MINILM_TABLE,
  VISION_PROJECTION,
  WORDPIECE_VOCAB,
  writeTinyMetricModels,
} from './tiny-metric-models.js';

// Plain-TS references of the tiny models (tiny-metric-models.ts), in float64.
const cos = (a: number[], b: number[]) => {
  const dot = a.reduce((s, v, i) => s + v * b[i], 0);
  return dot / Math.sqrt(a.reduce((s, v) => s + v * v, 0) * b.reduce((s, v) => s + v * v, 0));
};
const channelMeans = (t: Chw) => [0, 1, 2].map((c) => {
  const plane = t.width * t.height;
  let sum = 0;
  for (let i = 0; i < plane; i++) sum += t.data[c * plane + i];
  return sum / plane;
});
const meanRows = (table: number[][], ids: number[]) => Array.from({ length: EMBED_DIM }, (_, d) => ids.reduce((s, id) => s + table[id][d], 0) / ids.length);

describe('learned metrics with tiny ONNX models', () => {
  it('fill lpips_score, dreamsim, sen_sim and the CLIP QC scores exactly as their definitions say', async () => {
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
    for (const method of ['inpainting', 'p2p']) {
      const row = rows.find((r) => r.method === method)!;
      const realRow = rows.find((r) => r.image_id === row.image_id && r.label === 'real')!;
      const real = await decodeImage(join(dir, realRow.image_path));
      const edited = await decodeImage(join(dir, row.image_path));
      const aligned = alignToReal(real, edited).image;

      // LPIPS stand-in: mean squared difference of the min-max scaled images.
      const [a, b] = [minMaxToSigned(real), minMaxToSigned(aligned)];
      const lpips = a.data.reduce((s, v, i) => s + (v - b.data[i]) ** 2, 0) / a.data.length;
      expect(Number(row.lpips_score)).toBeCloseTo(lpips, 5); // float32 mean inside the graph

      // DreamSim stand-in: embedding = channel means of the 224×224 bicubic resize.
      const dsReal = channelMeans(await prepareImage(real, DREAMSIM.image));
      const dsEdited = channelMeans(await prepareImage(aligned, DREAMSIM.image));
      expect(Number(row.dreamsim)).toBeCloseTo(1 - cos(dsReal, dsEdited), 5);

      // CLIP stand-in: image = channel means (CLIP preprocessing) × projection; text = mean of token rows.
      const clipImage = CLIP_VIT_B32.image;
      const embed = (t: Chw) => {
        const m = channelMeans(t);
        return Array.from({ length: EMBED_DIM }, (_, d) => m.reduce((s, v, c) => s + v * VISION_PROJECTION[c][d], 0));
      };
      const img1 = embed(await prepareImage(real, clipImage));
      const img2 = embed(await prepareImage(edited, clipImage));
      const txt = (caption: string) => meanRows(CLIP_TEXT_TABLE, bpe.encode(caption).ids);
      // float32 sums over 224×224 pixels inside the graph: agreement to ~1e-5.
      expect(Number(row.img1_img2)).toBeCloseTo(cos(img1, img2), 4);
      expect(Number(row.cap2_img2)).toBeCloseTo(cos(img2, txt(row.perturbed_mask_name)), 4);

      if (method === 'inpainting') {
        // Inpainting captions: mask_name → perturbed_mask_name.
        const sentence = (caption: string) => meanRows(MINILM_TABLE, wordpiece.encode(caption).ids);
        expect(Number(row.sen_sim)).toBeCloseTo(1 - Math.max(cos(sentence(row.mask_name), sentence(row.perturbed_mask_name)), 0), 6);
        const t1 = txt(row.mask_name);
        const t2 = txt(row.perturbed_mask_name);
        expect(Number(row.direct_sim)).toBeCloseTo(cos(img1.map((v, i) => v - t1[i]), img2.map((v, i) => v - t2[i])), 4);
      } else {
        // The fixture's prompt edits have no original caption: caption-pair metrics stay empty.
        expect([row.sen_sim, row.direct_sim]).toEqual(['', '']);
      }
    }
    // With CLIP loaded, QC applies to every row; categories exist for every learned column with values.
    expect(result.qc.rules.find((r) => r.metric === 'img1_img2')!.applied).toBe(48);
    expect(result.bins.basis.passQcEmpty).toBe(0);
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
    expect(byName['clip-vit-b32'].missingFiles).toHaveLength(4);
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
  });

  it('min-max scaling maps each image to [-1, 1] on its own, as Semi-Truths normalize_lpips does', () => {
    const t = minMaxToSigned({ width: 2, height: 1, data: Uint8Array.from([10, 20, 30, 30, 20, 10]) });
    expect(Array.from(t.data)).toEqual([-1, 1, 0, 0, 1, -1]);
    expect(Array.from(minMaxToSigned({ width: 1, height: 1, data: Uint8Array.from([7, 7, 7]) }).data)).toEqual([-1, -1, -1]);
  });
});
