import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinBasis, categorize } from '../../src/generation/bins.js';
import { BINNED_COLUMNS } from '../../src/generation/columns.js';
import { countEntities, SceneIndex, sceneCategory } from '../../src/generation/scene.js';
import { copyEvalset } from '../helpers.js';
import { measureEvalset, readCsv, writeCsv } from './measure-helpers.js';

/** Edges from `np.percentile(a, [25, 75])` and `np.percentile(a, [20, 40, 60, 80])`, numpy 2.4.6, written out by hand. */
const NUMPY_CASES: { values: number[]; p25_75: number[]; p20_80: number[] }[] = [
  { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p25_75: [3.25, 7.75], p20_80: [2.8, 4.6, 6.3999999999999995, 8.2] },
  { values: [5, 1, 4, 2, 3], p25_75: [2, 4], p20_80: [1.8, 2.6, 3.4, 4.2] },
  { values: [0.5, 0.125, 0.25, 1.0], p25_75: [0.21875, 0.625], p20_80: [0.2, 0.30000000000000004, 0.44999999999999996, 0.7000000000000002] },
  { values: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2], p25_75: [0.5, 1.5], p20_80: [0.4, 0.8, 1.2, 1.6] },
];

describe('bin edges', () => {
  it('equal numpy.percentile (linear) for 3 and 5 bins', () => {
    for (const c of NUMPY_CASES) {
      const basis = new BinBasis();
      for (const v of c.values) basis.add('mse', v);
      basis.add('mse', NaN); // dropped like pandas dropna
      const { mse } = basis.edges();
      expect(mse!.values).toBe(c.values.length);
      expect(mse!.quantile3).toEqual({ edges: c.p25_75, labels: ['small', 'medium', 'large'] });
      expect(mse!.quantile5).toEqual({ edges: c.p20_80, labels: ['bin1', 'bin2', 'bin3', 'bin4', 'bin5'] });
    }
  });

  it('label a value like final_bins.py: v < edge → lower bin, v at an edge → the upper one; nothing for a missing value', () => {
    const basis = new BinBasis();
    for (const v of NUMPY_CASES[0].values) basis.add('ssim', v);
    const bins = basis.edges().ssim;
    expect(categorize(1, bins)).toEqual({ category5: 'bin1', category3: 'small' });
    expect(categorize(2.8, bins)).toEqual({ category5: 'bin2', category3: 'small' });
    expect(categorize(3.25, bins)).toEqual({ category5: 'bin2', category3: 'medium' });
    expect(categorize(8.2, bins)).toEqual({ category5: 'bin5', category3: 'large' });
    expect(categorize(undefined, bins)).toEqual({ category5: '', category3: '' });
    expect(categorize(5, undefined)).toEqual({ category5: '', category3: '' });
  });

  it("put a missing value in the last bin as final_bins.py does (NaN fails every <), unless told 'own'; no edges, no label", () => {
    const basis = new BinBasis();
    for (const v of NUMPY_CASES[0].values) basis.add('ssim', v);
    const bins = basis.edges().ssim;
    expect(categorize(undefined, bins, 'lastBin')).toEqual({ category5: 'bin5', category3: 'large' });
    expect(categorize(NaN, bins, 'lastBin')).toEqual({ category5: 'bin5', category3: 'large' });
    expect(categorize(undefined, bins, 'own')).toEqual({ category5: '', category3: '' });
    expect(categorize(undefined, undefined, 'lastBin')).toEqual({ category5: '', category3: '' });
  });

  it('on a measured eval set: an edited row without a value is in bin5 / large by default, counted in bins.json; empty with missingValue own', async () => {
    for (const missingValue of ['lastBin', 'own'] as const) {
      const dir = copyEvalset();
      const rows0 = readCsv(join(dir, 'metadata.csv')).rows;
      const victim = rows0.find((r) => r.method === 'inpainting')!;
      rmSync(join(dir, victim.mask_path)); // no mask: no area_ratio on this row (and its released ratio dropped below)
      const { columns, rows } = readCsv(join(dir, 'metadata.csv'));
      writeCsv(join(dir, 'metadata.csv'), columns.filter((c) => !c.startsWith('area_ratio') && c !== 'ratio'), rows);
      await measureEvalset(dir, { missingValue });
      const bins = JSON.parse(readFileSync(join(dir, 'bins.json'), 'utf8'));
      expect(bins.columns.area_ratio.missingValues.rows).toBe(1);
      const out = readCsv(join(dir, 'metadata.csv')).rows;
      const row = out.find((r) => r.image_path === victim.image_path)!;
      expect(row.area_ratio).toBe('');
      expect([row.area_ratio_category, row.area_ratio_category3]).toEqual(missingValue === 'lastBin' ? ['bin5', 'large'] : ['', '']);
      // prompt-based rows have no mask: never an area category, whatever the rule
      for (const r of out.filter((r) => r.method === 'p2p')) expect(r.area_ratio_category).toBe('');
    }
  });

  it('on a measured eval set: bins.json edges are the percentiles of the QC-passing values, and categories follow them', async () => {
    const dir = copyEvalset();
    await measureEvalset(dir);
    const bins = JSON.parse(readFileSync(join(dir, 'bins.json'), 'utf8'));
    const rows = readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.label === 'fake' && r.pass_qc !== '0' && !r.measure_error);
    for (const column of BINNED_COLUMNS) {
      const values = rows.map((r) => r[column]).filter((v) => v !== '').map(Number).sort((a, b) => a - b);
      if (values.length === 0) {
        expect(bins.columns[column]).toBeUndefined();
        continue;
      }
      // numpy's linear percentile, written independently of src/slices/bins.ts.
      const percentile = (p: number) => {
        const pos = ((values.length - 1) * p) / 100;
        const lo = Math.floor(pos);
        const hi = Math.min(lo + 1, values.length - 1);
        return values[lo] + (values[hi] - values[lo]) * (pos - lo);
      };
      const got = bins.columns[column];
      expect(got.values).toBe(values.length);
      [25, 75].forEach((p, i) => expect(got.quantile3.edges[i]).toBeCloseTo(percentile(p), 12));
      [20, 40, 60, 80].forEach((p, i) => expect(got.quantile5.edges[i]).toBeCloseTo(percentile(p), 12));
      for (const r of rows) {
        if (r[column] === '') continue;
        expect(r[`${column}_category`]).toBe(categorize(Number(r[column]), got).category5);
        expect(r[`${column}_category3`]).toBe(categorize(Number(r[column]), got).category3);
      }
    }
    // area_ratio: edges from inpainting rows only (p2p rows have no mask).
    expect(bins.columns.area_ratio.values).toBe(rows.filter((r) => r.method === 'inpainting').length);
    expect(bins.localization.meanClusters).toBeCloseTo(rows.reduce((s, r) => s + Number(r.cc_clusters), 0) / rows.length, 12);
  });
});

describe('scene diversity and complexity', () => {
  it('counts the entities of a Python list literal', () => {
    expect(countEntities("['sky', 'tree', 'person', 'car']")).toBe(4);
    expect(countEntities('[]')).toBe(0);
    expect(countEntities(`['a, b', "c's", 'd\\'e']`)).toBe(3);
    expect(countEntities("['x',]")).toBe(1);
    expect(countEntities('[1, 2.5, None]')).toBe(3);
    for (const missing of ['nan', 'NaN', 'None', '']) expect(countEntities(missing)).toBeUndefined();
  });

  it('bins unique images at mean ± σ (np.std, ddof 0): low < mean − σ ≤ medium < mean + σ ≤ high', () => {
    const scene = new SceneIndex();
    // Diversities 0, 2, 4, 6, 8: mean 4, σ = √8 → edges 1.17, 6.83. Image "d" has 3 rows, the others 1.
    const images: [string, number][] = [['a', 0], ['b', 2], ['c', 4], ['d', 6], ['e', 8]];
    for (const [id, n] of images) scene.addRow(id, `[${Array.from({ length: n }, (_, i) => `'e${i}'`).join(', ')}]`);
    scene.addRow('d', 'nan');
    scene.addRow('d', "['other']"); // an image's first readable list wins
    const stats = scene.stats();
    expect(stats.diversity).toMatchObject({ images: 5, mean: 4, std: Math.sqrt(8) });
    expect(images.map(([id]) => sceneCategory(scene.diversity(id), stats.diversity))).toEqual(['low', 'medium', 'medium', 'medium', 'high']);
    // Complexity: rows per image 1, 1, 1, 3, 1 → mean 1.4, σ 0.8 → 'd' is high, the rest medium.
    expect(stats.complexity.mean).toBeCloseTo(1.4, 15);
    expect(stats.complexity.std).toBeCloseTo(0.8, 15);
    expect(images.map(([id]) => sceneCategory(scene.complexity(id), stats.complexity))).toEqual(['medium', 'medium', 'medium', 'high', 'medium']);
  });

  // scene_diversity_complexity.py counts an image's rows in the source-image CSV: one row per mask.
  it('complexity counts masks per image (distinct mask_id of its edits), edits only where no mask is named', () => {
    const scene = new SceneIndex();
    scene.addRow('a', "['x']", false); // the real row: never counted
    for (const mask of ['m1', 'm1', 'm1', 'm2']) scene.addRow('a', "['x']", true, mask); // 2 masks, 4 edits
    scene.addRow('a', "['x']", true, ''); // a prompt-based edit of the same image: no mask
    scene.addRow('b', "['x']", true, 'NaN');
    scene.addRow('b', "['x']", true, undefined);
    expect([scene.complexity('a'), scene.complexity('b')]).toEqual([2, 2]);
    expect(scene.stats().complexity).toMatchObject({ images: 2, mean: 2, std: 0 });
  });
});
