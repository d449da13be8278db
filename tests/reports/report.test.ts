import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/report.js';
import { SLICE_CSV_COLUMNS } from '../../src/reports/slice-csv.js';
import { writeReport } from '../../src/reports/write.js';
import type { SliceRow } from '../../src/slices/aggregate.js';
import { tempDir } from '../helpers.js';
import { tinyRun } from './tiny-run.js';

function row(rows: SliceRow[], detector: string, slice: string, value: string): SliceRow {
  const r = rows.find((x) => x.detector === detector && x.slice === slice && x.value === value);
  if (!r) throw new Error(`no row ${detector}/${slice}/${value}`);
  return r;
}

describe('report on a hand-made eval set', async () => {
  const tiny = tinyRun();
  const report = await buildReport({ runDir: tiny.run, config: tiny.config });
  const det = (slice: string, value: string) => row(report.rows, 'det', slice, value);

  it('overall: thresholded metrics at 0.5, AUC with a tie counted 1/2, 2AFC against each fake\'s own real', () => {
    const all = det('all', 'all');
    expect([all.n_real, all.n_fake]).toEqual([4, 6]);
    expect(all.threshold_policy).toBe('0.5');
    expect(all.threshold).toBe(0.5);
    // fakes >= 0.5: A1 B1 C1 D1 (tp 4, fn 2); reals >= 0.5: B D (fp 2, tn 2)
    expect(all.metrics.accuracy.value).toBeCloseTo(6 / 10, 12);
    expect(all.metrics.recall_fake.value).toBeCloseTo(4 / 6, 12);
    expect(all.metrics.specificity_real.value).toBeCloseTo(2 / 4, 12);
    expect(all.metrics.precision.value).toBeCloseTo(4 / 6, 12);
    // per fake, reals below (+1/2 tie): 0.7→3, 0.1→0, 0.6→2.5, 0.8→3, 0.3→1, 0.95→4 = 13.5 of 24
    expect(all.metrics.auc.value).toBeCloseTo(13.5 / 24, 12);
    // every real is a source here, so the paired AUC is the AUC
    expect(all.metrics.paired_auc.value).toBeCloseTo(13.5 / 24, 12);
    // win A1, lose A2, tie B1, win C1, lose C2, win D1
    expect(all.metrics.two_afc.value).toBeCloseTo(3.5 / 6, 12);
    expect(all.kind).toBe('both');
  });

  it('fake-only slices: recall on fakes, paired AUC against the fakes\' own sources, 2AFC; the rest blank with a reason', () => {
    const inpainting = det('method', 'inpainting');
    expect(inpainting.kind).toBe('fake-only');
    expect([inpainting.n_real, inpainting.n_fake, inpainting.n_paired_real]).toEqual([0, 4, 4]);
    expect(inpainting.metrics.recall_fake.value).toBe(1);
    // A1 3, B1 2.5 (tie with B), C1 3, D1 4 of 4x4
    expect(inpainting.metrics.paired_auc.value).toBeCloseTo(12.5 / 16, 12);
    expect(inpainting.metrics.two_afc.value).toBeCloseTo(3.5 / 4, 12);
    expect(inpainting.metrics.auc.value).toBeNull();
    expect(inpainting.metrics.auc.reason).toMatch(/fake-only slice: reals carry no 'method'/);
    expect(inpainting.metrics.accuracy.value).toBeNull();
    expect(inpainting.metrics.accuracy.reason).toMatch(/would equal recall_fake/);

    const p2p = det('method', 'p2p');
    expect(p2p.metrics.recall_fake.value).toBe(0);
    // A2 0.1 beats nothing, C2 0.3 beats A (0.2): 1 of 2x2
    expect(p2p.metrics.paired_auc.value).toBeCloseTo(1 / 4, 12);
    expect(p2p.metrics.two_afc.value).toBe(0);
    expect(p2p.n_paired_real).toBe(2);

    // M1: A1, B1, C2 against A, B, C: 3 + 2.5 + 1 of 9; M2: A2, C1, D1 against A, C, D: 0 + 2 + 3 of 9
    expect(det('model', 'M1').metrics.paired_auc.value).toBeCloseTo(6.5 / 9, 12);
    expect(det('model', 'M1').metrics.two_afc.value).toBeCloseTo(1.5 / 3, 12);
    expect(det('model', 'M2').metrics.paired_auc.value).toBeCloseTo(5 / 9, 12);
    expect(det('model', 'M2').metrics.recall_fake.value).toBeCloseTo(2 / 3, 12);
  });

  it('both-class slices report every metric (dataset)', () => {
    // D1: reals 0.2 0.6, fakes 0.7 0.1 0.6 → tp 2 fn 1 fp 1 tn 1; AUC (2 + 0 + 1.5) / 6
    const d1 = det('dataset', 'D1');
    expect(d1.kind).toBe('both');
    expect(d1.metrics.accuracy.value).toBeCloseTo(3 / 5, 12);
    expect(d1.metrics.auc.value).toBeCloseTo(3.5 / 6, 12);
    // D2: reals 0.4 0.9, fakes 0.8 0.3 0.95 → AUC (1 + 0 + 2) / 6
    expect(det('dataset', 'D2').metrics.auc.value).toBeCloseTo(3 / 6, 12);
  });

  it('fixed bins keep an empty bin as a row with reasons, and put rows without a value in (missing)', () => {
    expect(report.rows.filter((r) => r.detector === 'det' && r.slice === 'area').map((r) => r.value)).toEqual(['small', 'medium', 'mid', 'large', '(missing)']);
    const mid = det('area', 'mid');
    expect(mid.n_fake).toBe(0);
    expect(mid.metrics.recall_fake.value).toBeNull();
    expect(mid.metrics.recall_fake.reason).toBeTruthy();
    expect(mid.metrics.paired_auc.reason).toBe('no fakes in the slice');
    // medium: B1 0.6, C1 0.8 against B 0.6, C 0.4 → (1.5 + 2) / 4; 2AFC tie + win
    expect(det('area', 'medium').metrics.paired_auc.value).toBeCloseTo(3.5 / 4, 12);
    expect(det('area', 'medium').metrics.two_afc.value).toBeCloseTo(0.75, 12);
    expect(det('area', '(missing)').n_fake).toBe(2);
  });

  it('quantile bins are computed over QC-passing fakes and written into the report', () => {
    const q3 = report.slices.find((s) => s.name === 'area_q3')!;
    // basis 0.1 0.3 0.5 0.7 (numpy linear): P25 = 0.25, P75 = 0.55
    expect(q3.bins!.edges[0]).toBeCloseTo(0.25, 12);
    expect(q3.bins!.edges[1]).toBeCloseTo(0.55, 12);
    expect(q3.bins!.source).toBe('quantiles');
    expect(q3.bins!.n).toBe(4);
    expect(det('area_q3', 'medium').n_fake).toBe(2);
  });

  it('scene diversity is derived from entities, binned by mean ± sd over unique images, and holds both classes', () => {
    const s = report.slices.find((x) => x.name === 'scene_diversity')!;
    // entities per image: A 2, B 1, C 3, D 2 → mean 2, sd √0.5
    expect(s.bins!.edges[0]).toBeCloseTo(2 - Math.sqrt(0.5), 12);
    expect(s.bins!.edges[1]).toBeCloseTo(2 + Math.sqrt(0.5), 12);
    expect(s.fakeOnly).toBe(false);
    expect([det('scene_diversity', 'low').n_real, det('scene_diversity', 'low').n_fake]).toEqual([1, 1]);
    expect([det('scene_diversity', 'medium').n_real, det('scene_diversity', 'medium').n_fake]).toEqual([2, 3]);
    // medium: reals 0.2 0.9, fakes 0.7 0.1 0.95 → (1 + 0 + 2) / 6
    expect(det('scene_diversity', 'medium').metrics.auc.value).toBeCloseTo(0.5, 12);
  });

  it('crossed slices group by both values', () => {
    expect(report.rows.filter((r) => r.detector === 'det' && r.slice === 'method_x_model').map((r) => r.value)).toEqual([
      'inpainting x M1',
      'inpainting x M2',
      'p2p x M1',
      'p2p x M2',
    ]);
    // A1 0.7, B1 0.6 against A 0.2, B 0.6 → (2 + 1.5) / 4
    expect(det('method_x_model', 'inpainting x M1').metrics.paired_auc.value).toBeCloseTo(3.5 / 4, 12);
  });

  it('counts bad input per slice and excludes it with a reason', () => {
    const all = row(report.rows, 'det2', 'all', 'all');
    expect(all.n_invalid).toBe(2); // A2 nan, D1 1.5
    expect(all.n_error).toBe(1); // C2
    expect(all.n_missing).toBe(1); // real B
    expect([all.n_real, all.n_fake]).toEqual([3, 3]);
    const p2p = row(report.rows, 'det2', 'method', 'p2p');
    expect([p2p.n_fake, p2p.n_invalid, p2p.n_error]).toEqual([0, 1, 1]);
    // B1's source real has no prediction: unpaired, left out of the paired metrics
    const m1 = row(report.rows, 'det2', 'model', 'M1');
    expect(m1.n_unpaired_fake).toBe(1);
    expect(m1.metrics.paired_auc.note).toMatch(/1 fakes without a scored source real/);
    const d2 = report.scores.detectors.find((d) => d.detector === 'det2')!;
    expect(d2.counts).toMatchObject({ ok: 6, error: 1, nonFinite: 1, outOfRange: 1, missing: 1 });
    expect([...d2.errors.keys()]).toEqual(['decode failed: bad "PNG", truncated']);
    expect(report.scores.unknownIds).toEqual({ count: 1, ids: ['ghost/none.png'] });
  });

  it('skips an optional slice whose column is missing, with the reason', () => {
    expect(report.plan.skipped).toEqual([{ name: 'ssim', reason: expect.stringMatching(/no metadata column 'ssim' or 'ssim_rgb'/) }]);
  });

  it('writes per-slice CSVs, results.json and summary.md, byte-identical on a rerun', async () => {
    const out = tempDir();
    const files = writeReport(report, out).files;
    expect(files.map((f) => f.slice(out.length + 1))).toEqual([
      'slices/all.csv',
      'slices/dataset.csv',
      'slices/method.csv',
      'slices/model.csv',
      'slices/area.csv',
      'slices/area_q3.csv',
      'slices/sem_magnitude.csv',
      'slices/method_x_model.csv',
      'slices/scene_diversity.csv',
      'results.json',
      'summary.md',
    ]);
    const csv = readFileSync(join(out, 'slices', 'method.csv'), 'utf8');
    const [header] = csv.split('\n');
    expect(header.split(',')).toEqual(SLICE_CSV_COLUMNS);
    const records = parse(csv, { columns: true }) as Record<string, string>[];
    const inpainting = records.find((r) => r.detector === 'det' && r.value === 'inpainting')!;
    expect(inpainting.paired_auc).toBe('0.781250');
    expect(inpainting.threshold_policy).toBe('0.5');
    expect(inpainting.auc).toBe('');
    expect(inpainting.auc_reason).toMatch(/fake-only slice/);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.dataset.sha256).toBe(createHash('sha256').update(readFileSync(join(tiny.data, 'metadata.csv'))).digest('hex'));
    expect(results.threshold.policy).toBe('0.5');
    expect(results.threshold.detectors.det).toMatchObject({ value: 0.5, optimistic: false });
    expect(results.intervals.bootstrap).toMatchObject({ resamples: 200, seed: 7 });
    expect(results.slices.find((s: { name: string }) => s.name === 'area').bins).toMatchObject({ edges: [0.2, 0.6, 0.65], source: 'fixed' });
    expect(results.inputs.notInMetadata).toEqual({ count: 1, listed: 1, ids: ['ghost/none.png'] });
    expect(results.inputs.detectors.det2.excluded).toEqual({
      'score is not a finite number (NaN, Inf, empty or text)': 1,
      'score is outside [0, 1] (must be P(fake))': 1,
    });
    expect(results.rows).toHaveLength(report.rows.length);

    // 4 of 4 fakes flagged: a bootstrap can only say [1, 1]; the cell carries a Wilson interval and says so
    expect([inpainting.recall_fake, inpainting.recall_fake_ci_method]).toEqual(['1', 'wilson']);
    expect(Number(inpainting.recall_fake_lo)).toBeLessThan(0.6);
    expect(inpainting.recall_fake_reason).toMatch(/zero width \(4 of 4\): Wilson score interval on 4 rows instead/);
    expect(inpainting.paired_auc_ci_method).toBe('bootstrap');

    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('Threshold policy: `0.5`');
    expect(summary).toMatch(/Wilson score interval for \d+ proportions whose interval had zero width/);
    expect(summary).not.toContain('1.000 [1.00, 1.00]');
    expect(summary).toContain('| inpainting | 4 | 1.000 / 0.781 / 0.875 |');
    expect(summary).toContain('skipped optional slices');

    const again = tempDir();
    writeReport(await buildReport({ runDir: tiny.run, config: tiny.config }), again);
    for (const f of ['results.json', 'summary.md', 'slices/model.csv']) {
      expect(readFileSync(join(again, f), 'utf8').replace(again, out)).toBe(readFileSync(join(out, f), 'utf8'));
    }
  });
});

describe('threshold policies', () => {
  it('fpr@X is fixed on all reals of the run, per detector, and printed with its value', async () => {
    const tiny = tinyRun();
    const report = await buildReport({ runDir: tiny.run, config: tiny.config, threshold: 'fpr@0.25', resamples: 0 });
    const all = row(report.rows, 'det', 'all', 'all');
    // reals 0.9 0.6 0.4 0.2: one false positive allowed → fake iff score > 0.6
    expect(all.threshold_policy).toBe('fpr@0.25');
    expect(all.threshold).toBeGreaterThan(0.6);
    expect(all.threshold).toBeLessThan(0.6000001);
    expect(all.metrics.specificity_real.value).toBe(0.75);
    expect(all.metrics.recall_fake.value).toBe(0.5); // 0.7, 0.8, 0.95
    // the same threshold applies inside every slice
    expect(row(report.rows, 'det', 'method', 'inpainting').metrics.recall_fake.value).toBe(0.75);
  });

  it('oracle is flagged optimistic; native needs a manifest and says so', async () => {
    const tiny = tinyRun();
    const oracle = await buildReport({ runDir: tiny.run, config: tiny.config, threshold: 'oracle', resamples: 0 });
    expect(row(oracle.rows, 'det', 'all', 'all').threshold_note).toMatch(/optimistic/);
    expect(oracle.thresholds.get('det')!.threshold!.optimistic).toBe(true);

    const native = await buildReport({ runDir: tiny.run, config: tiny.config, threshold: 'native', resamples: 0 });
    const all = row(native.rows, 'det', 'all', 'all');
    expect(all.threshold).toBeNull();
    expect(all.metrics.accuracy.value).toBeNull();
    expect(all.metrics.accuracy.reason).toMatch(/no threshold: native: no manifest for 'det'/);
    expect(all.metrics.auc.value).toBeCloseTo(13.5 / 24, 12); // threshold-free metrics are unaffected
  });

  it('rejects a malformed policy with the valid forms', async () => {
    const tiny = tinyRun();
    await expect(buildReport({ runDir: tiny.run, config: tiny.config, threshold: 'fpr5' })).rejects.toThrow(/Valid forms/);
  });
});

describe('slice selection and unknown columns', () => {
  it('an unknown slice name fails with the nearest match', async () => {
    const tiny = tinyRun();
    await expect(buildReport({ runDir: tiny.run, config: tiny.config, slices: ['modle'] })).rejects.toThrow(/Unknown slice 'modle'. Did you mean 'model'\?/);
  });

  it('a slice on a column the metadata lacks fails with the nearest column', async () => {
    const tiny = tinyRun({ slices: [{ name: 'area', column: 'ratoi', bins: 'quantile3' }] });
    await expect(buildReport({ runDir: tiny.run, config: tiny.config })).rejects.toThrow(/Slice 'area': Unknown metadata column 'ratoi'. Did you mean 'ratio'\?/);
  });

  it('an optional slice named explicitly is not skipped silently', async () => {
    const tiny = tinyRun();
    await expect(buildReport({ runDir: tiny.run, config: tiny.config, slices: ['ssim'] })).rejects.toThrow(/Slice 'ssim'/);
  });

  it('--slices keeps the named slices and the parts of crossed ones', async () => {
    const tiny = tinyRun();
    const report = await buildReport({ runDir: tiny.run, config: tiny.config, slices: ['method_x_model'], resamples: 0 });
    expect(report.slices.map((s) => s.name)).toEqual(['all', 'method', 'model', 'method_x_model']);
  });
});

describe('what the terminal and summary.md say', async () => {
  const { syntheticSet, SYNTHETIC_SLICES } = await import('../slices/synthetic.js');
  const { DEFAULTS } = await import('../../src/config/index.js');
  const { terminalSummary, summaryMarkdown, WORST_MIN_ROWS, wroteLines } = await import('../../src/reports/summary-md.js');
  const { writeFileSync } = await import('node:fs');
  const set = await syntheticSet(9, 300, 5);
  writeFileSync(join(set.dir, 'run.json'), JSON.stringify({ config: { data: join(set.dir, 'data'), protocol: 'semitruths', threshold: '0.5' }, detectors: [{ name: 'det', protocol: 'semitruths' }] }));
  const report = await buildReport({ runDir: set.dir, config: { ...DEFAULTS, data: join(set.dir, 'data'), slices: SYNTHETIC_SLICES }, resamples: 0 });

  it('summary.md states the protocol and the threshold policy', () => {
    const md = summaryMarkdown(report);
    expect(md).toContain('Protocol: `semitruths`.');
    expect(md).toContain('Threshold policy: `0.5`');
  });

  it('the terminal gets a short summary: protocol, policy, the overall table, where each detector fails most', () => {
    const text = terminalSummary(report);
    const lines = text.trim().split('\n');
    expect(lines[1]).toBe('protocol semitruths; threshold policy 0.5 (fake iff score >= threshold)');
    expect(lines[3]).toMatch(/^detector\s+threshold\s+real\/fake\s+acc\s+bal\. acc\s+recall fake/);
    expect(lines[4]).toMatch(/^det\s+0\.5\s+\d+\/\d+\s+0\.\d{3}/);
    expect(text).not.toContain('###'); // the slice tables stay in summary.md
    expect(lines.length).toBeLessThan(12);
    // the worst value named is the lowest recall among slice values with enough fakes
    const worst = report.rows
      .filter((r) => r.slice !== 'all' && r.n_fake >= WORST_MIN_ROWS)
      .sort((a, b) => a.metrics.recall_fake.value! - b.metrics.recall_fake.value!)[0];
    expect(text).toContain(`  det: recall_fake ${worst.slice}=${worst.value} ${worst.metrics.recall_fake.value!.toFixed(3)} (n fake ${worst.n_fake})`);
  });

  it('the list of written files names the slice CSVs as one folder line', () => {
    const out = tempDir();
    const files = writeReport(report, out).files;
    expect(wroteLines(files, out)).toEqual(['Wrote:', '  results.json', '  summary.md', `  slices/ (${files.length - 2} slice CSVs)`]);
  });
});
