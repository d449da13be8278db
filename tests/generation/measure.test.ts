import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_COLUMNS, METRIC_COLUMNS } from '../../src/generation/columns.js';
import { measure } from '../../src/generation/measure.js';
import { pairsTable } from '../../src/generation/table.js';
import { copyEvalset, FIXTURE_EVALSET, tempDir } from '../helpers.js';
import { measureEvalset, readCsv, writeCsv } from './measure-helpers.js';

const PIXEL_COLUMNS = ['post_edit_ratio', 'ssim', 'mse', 'largest_component_size', 'cc_clusters', 'cluster_dist'];
const LEARNED_COLUMNS = ['lpips_score', 'dreamsim', 'sen_sim', 'cap2_img2', 'img1_img2', 'direct_sim'];

describe('semibench measure on a copy of the bundled eval set', () => {
  it('fills every metric column and keeps every input row and cell', async () => {
    const dir = copyEvalset();
    const original = readCsv(join(dir, 'metadata.csv'));
    const originalBytes = readFileSync(join(dir, 'metadata.csv'));
    const result = await measureEvalset(dir);

    const out = readCsv(join(dir, 'metadata.csv'));
    // the fixture has the released `ratio`: semibench's own area is kept beside it (released.test.ts)
    expect(out.columns).toEqual([...original.columns, ...OUTPUT_COLUMNS.filter((c) => !original.columns.includes(c)), 'area_ratio_measured']);
    expect(out.rows).toHaveLength(original.rows.length);
    out.rows.forEach((row, i) => {
      for (const c of original.columns) expect(row[c]).toBe(original.rows[i][c]);
    });
    expect(readFileSync(join(dir, 'metadata.orig.csv'))).toEqual(originalBytes);

    const reals = out.rows.filter((r) => r.label === 'real');
    const fakes = out.rows.filter((r) => r.label === 'fake');
    expect(result).toMatchObject({ rows: 64, pairs: 48, measured: 48, alreadyMeasured: 0, rowsWithProblems: 0 });
    for (const r of reals) for (const c of [...METRIC_COLUMNS, 'localization', 'pass_qc', 'measure_error', 'mse_category']) expect(r[c]).toBe('');
    for (const r of fakes) {
      for (const c of PIXEL_COLUMNS) expect(Number.isFinite(Number(r[c])) && r[c] !== '').toBe(true);
      expect(['localized', 'diffused']).toContain(r.localization);
      expect(r.measure_error).toBe('');
      // No metric model in the folder: the learned columns stay empty and no QC rule can apply.
      for (const c of LEARNED_COLUMNS) expect(r[c]).toBe('');
      expect(r.pass_qc).toBe('');
      expect(r.mse_category).toMatch(/^bin[1-5]$/);
      expect(['small', 'medium', 'large']).toContain(r.ssim_category3);
      // The fixture's `ratio` was counted from the same masks: area_ratio must agree exactly.
      if (r.method === 'inpainting') expect(r.area_ratio).toBe(String(Number(r.ratio)));
      else expect([r.area_ratio, r.area_ratio_category]).toEqual(['', '']);
    }
    // Scene columns describe the image, so real rows carry them too.
    for (const r of out.rows) expect(r.scene_diversity).toBe(String(r.entities.split(',').length));
    expect(result.models.map((m) => m.status)).toEqual(['missing', 'missing', 'missing', 'missing']);
    expect(JSON.parse(readFileSync(join(dir, 'bins.json'), 'utf8')).basis.rows).toBe(48);
  });

  it('a rerun measures nothing and rewrites the same bytes', async () => {
    const dir = copyEvalset();
    await measureEvalset(dir);
    const first = readFileSync(join(dir, 'metadata.csv'));
    const again = await measureEvalset(dir);
    expect(again).toMatchObject({ measured: 0, alreadyMeasured: 48 });
    expect(readFileSync(join(dir, 'metadata.csv'))).toEqual(first);
    // The backup is the table as it was before the first run, not the measured one.
    expect(readFileSync(join(dir, 'metadata.orig.csv'))).toEqual(readFileSync(join(FIXTURE_EVALSET, 'metadata.csv')));
  });

  it('resumes after a kill: only the missing rows are measured and the result is byte-identical', async () => {
    const reference = copyEvalset();
    await measureEvalset(reference, { batchSize: 4 });

    const dir = copyEvalset();
    await measureEvalset(dir, { batchSize: 4 });
    // Simulate a kill mid-measure: the log holds 20 rows and half of the 21st; the table was never rewritten.
    const log = join(dir, '.semibench-measure.csv');
    const lines = readFileSync(log, 'utf8').split('\n');
    truncateSync(log, lines.slice(0, 21).join('\n').length + 1 + Math.floor(lines[21].length / 2));
    copyFileSync(join(dir, 'metadata.orig.csv'), join(dir, 'metadata.csv'));
    writeFileSync(join(dir, 'metadata.csv.partial'), 'half a rewrite');

    const resumed = await measureEvalset(dir, { batchSize: 4 });
    expect(resumed).toMatchObject({ measured: 28, alreadyMeasured: 20 });
    for (const file of ['metadata.csv', 'bins.json']) {
      expect(readFileSync(join(dir, file), 'utf8')).toBe(readFileSync(join(reference, file), 'utf8'));
    }
    expect(existsSync(join(dir, 'metadata.csv.partial'))).toBe(false);
  });

  it('--fresh measures everything again; --retry-errors re-measures rows that had a problem', async () => {
    const dir = copyEvalset();
    const gone = 'inpainting/ADE20K/later.png';
    const meta = readCsv(join(dir, 'metadata.csv'));
    writeCsv(join(dir, 'metadata.csv'), meta.columns, [...meta.rows, { ...meta.rows[1], image_path: gone }]);
    const first = await measureEvalset(dir);
    expect(first.problems).toEqual({ missing_file: 1 });
    cpSync(join(dir, meta.rows[1].image_path), join(dir, gone));
    expect((await measureEvalset(dir)).measured).toBe(0);
    const retried = await measureEvalset(dir, { retryErrors: true });
    expect(retried).toMatchObject({ measured: 1, problems: {} });
    expect((await measureEvalset(dir, { fresh: true })).measured).toBe(49);
  });
});

describe('semibench measure --pairs', () => {
  it('measures a CSV of (real, edited[, mask]) pairs in place, with its own side files', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'img'));
    const meta = readCsv(join(FIXTURE_EVALSET, 'metadata.csv')).rows;
    const real = meta.find((r) => r.label === 'real')!;
    const fakes = meta.filter((r) => r.image_id === real.image_id && r.label === 'fake');
    const copy = (rel: string) => {
      const name = rel.replaceAll('/', '_');
      cpSync(join(FIXTURE_EVALSET, rel), join(dir, 'img', name));
      return `img/${name}`;
    };
    const rows = fakes.map((f) => ({
      real_path: copy(real.image_path),
      edited_path: copy(f.image_path),
      mask_path: f.mask_path ? copy(f.mask_path) : '',
      original_caption: 'a photo of a street',
      perturbed_caption: 'a photo of a street at night',
    }));
    const file = join(dir, 'pairs.csv');
    writeCsv(file, ['real_path', 'edited_path', 'mask_path', 'original_caption', 'perturbed_caption'], rows);

    const result = await measure({ table: pairsTable(file), metricsDir: join(dir, 'no-models') });
    expect(result).toMatchObject({ mode: 'pairs', rows: 3, pairs: 3, measured: 3, rowsWithProblems: 0 });
    const out = readCsv(file).rows;
    expect(out.map((r) => r.area_ratio === '')).toEqual(rows.map((r) => r.mask_path === ''));
    for (const r of out) expect(r.mse).not.toBe('');
    // Complexity counts rows sharing the real image.
    expect(out.map((r) => r.scene_complexity)).toEqual(['3', '3', '3']);
    for (const f of ['pairs.orig.csv', '.semibench-measure-pairs.csv', 'pairs.bins.json', 'pairs.measure.json']) expect(existsSync(join(dir, f))).toBe(true);
  });
});
