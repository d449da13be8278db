import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { DEFAULTS, type BenchConfig } from '../../src/config/index.js';
import { importPredictions, parsePredictionsArg } from '../../src/reports/import-predictions.js';
import { notebookTables } from '../../src/reports/notebook-tables.js';
import { buildReport } from '../../src/reports/report.js';
import { tempDir } from '../helpers.js';

/**
 * An eval sample in the notebook's own shape: Evalset metadata plus the notebook's `prediction` and
 * `probability` columns for one detector. f5 has no prediction (the notebook drops it); r4's probability was
 * rounded to 0.50 after the notebook had predicted real (so `--score prediction` reproduces the notebook,
 * `probability` differs on that row).
 */
const COLUMNS = 'image_id,image_path,dataset,label,method,model,sem_magnitude,change_location_category,ratio_category';
const ROWS: [string, string, string][] = [
  ['i1,real/r1.jpg,D1,real,,,,,', '0', '0.2'],
  ['i2,real/r2.jpg,D1,real,,,,,', '1', '0.7'],
  ['i3,real/r3.jpg,D2,real,,,,,', '0', '0.1'],
  ['i4,real/r4.jpg,D2,real,,,,,', '0', '0.50'],
  ['i1,fake/f1.png,D1,fake,inpainting,M1,small,localized,bin1', '1', '0.9'],
  ['i1,fake/f2.png,D1,fake,p2p,M2,large,diffused,bin2', '0', '0.4'],
  ['i3,fake/f3.png,D2,fake,inpainting,M1,large,localized,bin1', '1', '0.8'],
  ['i3,fake/f4.png,D2,fake,inpainting,M2,small,diffused,bin2', '1', '0.55'],
  ['i3,fake/f5.png,D2,fake,p2p,M1,small,localized,bin5', '', ''],
];

function notebookFiles(): { data: string; notebook: string; run: string; config: BenchConfig } {
  const root = tempDir('semibench-nb-');
  const data = join(root, 'evalset');
  mkdirSync(data);
  writeFileSync(join(data, 'metadata.csv'), `${[COLUMNS, ...ROWS.map(([m]) => m)].join('\n')}\n`);
  const notebook = join(root, 'UniversalFakeDetect.csv');
  writeFileSync(notebook, `${[`${COLUMNS},prediction,probability`, ...ROWS.map(([m, p, q]) => `${m},${p},${q}`)].join('\n')}\n`);
  return { data, notebook, run: join(root, 'run'), config: { ...DEFAULTS, data, slices: [] } };
}

describe('reproducing the Semi-Truths notebook tables', () => {
  it('imports a notebook-style file: one row per image, no-prediction rows as errors, disagreements counted', () => {
    const f = notebookFiles();
    const [summary] = importPredictions([parsePredictionsArg(f.notebook)], join(f.run, 'predictions.csv'));
    expect(summary).toMatchObject({ detector: 'UniversalFakeDetect', format: 'notebook', rows: 9, noPrediction: 1, scoreColumn: 'probability', disagreements: 1 });
    const lines = readFileSync(join(f.run, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('sample_id,detector,score,label,status,error,ms,cache_key,model_sha256,protocol,pipeline_hash,condition');
    expect(lines[1]).toBe('real/r1.jpg,UniversalFakeDetect,0.2,0,ok,,,,,,,');
    expect(lines[9]).toMatch(/^fake\/f5.png,UniversalFakeDetect,,1,error,no probability in UniversalFakeDetect.csv/);
    expect(parsePredictionsArg('UFD=a/b.csv')).toEqual({ detector: 'UFD', file: 'a/b.csv' });
  });

  it("prints the notebook's tables, computed by hand here (--score prediction: the notebook's own decisions)", async () => {
    const f = notebookFiles();
    importPredictions([{ detector: 'UFD', file: f.notebook }], join(f.run, 'predictions.csv'), { score: 'prediction' });
    const report = await buildReport({ runDir: f.run, config: f.config, dataDir: f.data, notebook: true, resamples: 0 });
    const t = notebookTables(report.meta, report.scores.detectors, report.thresholds);

    // f5 dropped; r4 real → tp 3 (f1 f3 f4), fn 1 (f2), fp 1 (r2), tn 3 (r1 r3 r4)
    const { m, n } = t.overall[0];
    expect(n).toBe(8);
    expect(m.accuracy.value).toBe(6 / 8);
    expect([m.fake.precision.value, m.fake.recall.value, m.fake.f1.value]).toEqual([3 / 4, 3 / 4, 3 / 4]);
    expect([m.real.precision.value, m.real.recall.value, m.real.f1.value]).toEqual([3 / 4, 3 / 4, 3 / 4]);
    expect([m.macro.precision.value, m.macro.recall.value, m.macro.f1.value]).toEqual([3 / 4, 3 / 4, 3 / 4]);

    // D1: r1 tn, r2 fp, f1 tp, f2 fn → everything 1/2; D2: r3 r4 tn, f3 f4 tp → everything 1
    const d1 = t.perDataset.find((d) => d.dataset === 'D1')!.cells[0].m;
    expect([d1.accuracy.value, d1.macro.f1.value, d1.real.recall.value, d1.fake.recall.value]).toEqual([0.5, 0.5, 0.5, 0.5]);
    const d2 = t.perDataset.find((d) => d.dataset === 'D2')!.cells[0].m;
    expect([d2.accuracy.value, d2.macro.f1.value, d2.real.recall.value, d2.fake.recall.value]).toEqual([1, 1, 1, 1]);

    const recall = (title: string) => Object.fromEntries([...[...t.fakeSlices, ...t.binSlices].find((x) => x.title === title)!.recall.get('UFD')!].map(([v, r]) => [v, r.recall]));
    expect(recall('method')).toEqual({ inpainting: 1, p2p: 0 });
    expect(recall('editing model')).toEqual({ M1: 1, M2: 0.5 });
    expect(recall('sem_magnitude')).toEqual({ small: 1, large: 0.5 });
    expect(recall('localization')).toEqual({ localized: 1, diffused: 0.5 });
    expect(recall('ratio (area)')).toEqual({ bin1: 1, bin2: 0.5 }); // bin5 only had f5, which has no prediction
    expect(t.binSlices.map((b) => b.title)).toEqual(['ratio (area)']);
    // the paper's small / medium / large: bin1 → small, bin5 → large (f5 has no prediction), bin2 left out
    const paper = t.paperSizeSlices.find((x) => x.title === 'ratio (area)')!;
    expect(paper.values).toEqual(['small']);
    expect(Object.fromEntries([...paper.recall.get('UFD')!].map(([v, r]) => [v, [r.recall, r.n]]))).toEqual({ small: [1, 2] });
  });

  it('with the rounded probability as the score, r4 (0.50) flips to a false positive', async () => {
    const f = notebookFiles();
    importPredictions([{ detector: 'UFD', file: f.notebook }], join(f.run, 'predictions.csv'));
    const report = await buildReport({ runDir: f.run, config: f.config, dataDir: f.data, notebook: true, resamples: 0 });
    expect(notebookTables(report.meta, report.scores.detectors, report.thresholds).overall[0].m.accuracy.value).toBe(5 / 8);
  });

  describe('the CLI recipe', () => {
    afterEach(() => vi.restoreAllMocks());

    it('semibench report RUN --predictions NAME=FILE --data DIR --notebook prints and saves the tables', async () => {
      const f = notebookFiles();
      const out: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
      vi.spyOn(console, 'error').mockImplementation(() => {});
      await main(['report', f.run, '--predictions', `UFD=${f.notebook}`, '--score', 'prediction', '--data', f.data, '--notebook', '--resamples', '0']);
      const text = out.join('\n');
      expect(text).toContain('### Overall, all rows');
      expect(text).toContain('| UFD | 8 | 0.750 | 0.750 | 0.750 | 0.750 | 0.750 | 0.750 | 0.750 | 0.750 | 0.750 | 0.750 |');
      expect(text).toContain('| D1 | 0.500 / 0.500 / 0.500 / 0.500 |');
      expect(text).toContain('| editing model | M2 | 0.500 |');
      expect(text).toContain('### Fake-only slices: "accuracy" as the notebook labels it; on these fake-only groups it equals Recall(fake)');
      expect(text).toMatch(/### The paper's small \/ medium \/ large \(5-bin bins 1, 3, 5; notebook thin_bins[^\n]*\n\n[^\n]*\n[^\n]*\n\| ratio \(area\) \| small \| 1\.000 \|/);
      expect(existsSync(join(f.run, 'notebook.md'))).toBe(true);
      expect(existsSync(join(f.run, 'results.json'))).toBe(true);
    });

    it('--predictions without --data is a usage error', async () => {
      const f = notebookFiles();
      const err: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
      await main(['report', f.run, '--predictions', f.notebook]);
      expect(err.join('\n')).toMatch(/--predictions needs --data/);
      process.exitCode = 0;
    });
  });
});
