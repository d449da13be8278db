import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricDef, pairedMetrics, resolveThreshold, wilsonInterval, Z95, type MetricKey } from '../../src/metrics/index.js';
import { allSlice, assignSlices, type AssignedSlice } from '../../src/slices/assign.js';
import { detectorView, realScoreMap, type DetectorView } from '../../src/slices/detector-view.js';
import { GroupStats } from '../../src/slices/group-stats.js';
import { readHeader, readMetadata } from '../../src/slices/metadata.js';
import { aggregateAll } from '../../src/slices/parallel.js';
import { planSlices } from '../../src/slices/plan.js';
import { partitionRanks, codesInRankOrder } from '../../src/slices/rank.js';
import { readScores } from '../../src/slices/scores.js';
import { golden } from '../metrics/goldens.js';
import { tempDir } from '../helpers.js';
import { groupColumns, SYNTHETIC_SLICES, syntheticSet } from './synthetic.js';

/** The report's slice rows for one detector view, on this thread. */
async function sliceRows(set: { meta: DetectorView['meta']; view: DetectorView }, slices: AssignedSlice[], opts: { resamples: number; seed: number; ciBudget: number }) {
  const { rows } = await aggregateAll(set.meta, [set.view.scores], slices, { ...opts, policy: '0.5', manifests: new Map(), workers: 1 });
  return rows;
}

interface ReportGolden {
  metadata_csv: string;
  predictions_csv: string;
  resamples: number;
  seed: number;
  rows: { slice: string; value: string; n: number; metrics: Record<string, { value: number | null; lo: number | null; hi: number | null }> }[];
}

describe('the report kernel against src/metrics', async () => {
  const set = await syntheticSet(5, 60, 4);
  const slices = [allSlice(set.meta), ...set.slices];
  const realScores = realScoreMap(set.view);

  it('paired AUC and 2AFC equal metrics pairedMetrics for every group (ties and unpaired fakes included)', () => {
    const stats = new GroupStats();
    let checked = 0;
    for (const slice of slices) {
      const { start, positions } = partitionRanks(codesInRankOrder(set.view.order, slice.codes), slice.values.length);
      for (let g = 0; g < slice.values.length; g++) {
        stats.collect(set.view, positions.subarray(start[g], start[g + 1]), 0.5, !slice.fakeOnly);
        const cols = groupColumns(set.view, slice.codes, g);
        const fakes = [...cols.labels.keys()].filter((i) => cols.labels[i] === 1);
        const expected = pairedMetrics(fakes.map((i) => cols.scores[i]), fakes.map((i) => cols.pairIds[i]), realScores);
        expect(stats.pairedAuc()).toBeCloseTo(expected.pairedAuc.value!, 12);
        expect(stats.twoAfc()).toBeCloseTo(expected.twoAfc.value!, 12);
        expect([stats.nPairedFakes, stats.nPairedReals, stats.nUnpaired]).toEqual([expected.nPairedFakes, expected.nReals, expected.nUnpaired]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
    expect(set.view.realPairsDesc.length).toBeLessThan(60); // some reals unscored: unpaired fakes exist
  });

  it('fake-only groups report recall and paired metrics only; the rest has a reason', async () => {
    const rows = await sliceRows(set, slices, { resamples: 0, seed: 3, ciBudget: 0 });
    const g0 = rows.find((r) => r.slice === 'grp' && r.value === 'g0')!;
    expect(g0.kind).toBe('fake-only');
    for (const [key, cell] of Object.entries(g0.metrics)) {
      if (['recall_fake', 'paired_auc', 'two_afc'].includes(key)) expect(cell.value, key).not.toBeNull();
      else expect(cell.reason, key).toMatch(/fake-only slice/);
    }
  });
});

describe('cluster-robust normal intervals', async () => {
  const set = await syntheticSet(9, 400, 5);
  const slices = [allSlice(set.meta), ...set.slices];

  it('equal the variance of per-image influences computed from their definition (placements by brute force)', async () => {
    const cols = groupColumns(set.view, slices[0].codes, 0);
    const n = cols.labels.length;
    const fakes = [...Array(n).keys()].filter((i) => cols.labels[i] === 1);
    const reals = [...Array(n).keys()].filter((i) => cols.labels[i] === 0);
    const psi = (f: number, r: number): number => (cols.scores[f] > cols.scores[r] ? 1 : cols.scores[f] === cols.scores[r] ? 0.5 : 0);
    const auc = fakes.reduce((s, f) => s + reals.reduce((t, r) => t + psi(f, r), 0), 0) / (fakes.length * reals.length);
    // z_c = Σ_{fakes in c} (V10 − A)/M + Σ_{reals in c} (V01 − A)/N
    const z = new Map<string, number>();
    for (const f of fakes) z.set(cols.pairIds[f], (z.get(cols.pairIds[f]) ?? 0) + (reals.reduce((t, r) => t + psi(f, r), 0) / reals.length - auc) / fakes.length);
    for (const r of reals) z.set(cols.pairIds[r], (z.get(cols.pairIds[r]) ?? 0) + (fakes.reduce((t, f) => t + psi(f, r), 0) / fakes.length - auc) / reals.length);
    const C = z.size;
    const se = Math.sqrt((C / (C - 1)) * [...z.values()].reduce((s, v) => s + v * v, 0));
    // recall: z_c = (tp_c − R·fakes_c) / Σfakes
    const recall = fakes.filter((f) => cols.scores[f] >= 0.5).length / fakes.length;
    const zr = new Map<string, number>();
    for (const f of fakes) zr.set(cols.pairIds[f], (zr.get(cols.pairIds[f]) ?? 0) + ((cols.scores[f] >= 0.5 ? 1 : 0) - recall) / fakes.length);
    const seRecall = Math.sqrt((C / (C - 1)) * [...zr.values()].reduce((s, v) => s + v * v, 0));

    const rows = await sliceRows(set, slices, { resamples: 1000, seed: 1, ciBudget: 0 });
    const all = rows.find((r) => r.slice === 'all')!;
    expect(all.ci_method).toBe('normal');
    expect(all.metrics.auc.value).toBeCloseTo(auc, 12);
    expect(all.metrics.auc.lo).toBeCloseTo(auc - Z95 * se, 10);
    expect(all.metrics.auc.hi).toBeCloseTo(auc + Z95 * se, 10);
    expect(all.metrics.recall_fake.lo).toBeCloseTo(recall - Z95 * seRecall, 10);
    // balanced accuracy: each recall linearised at its own ratio, z_c = ½(tp_c − R_f·fakes_c)/F + ½(tn_c − R_r·reals_c)/R
    const specificity = reals.filter((r) => cols.scores[r] < 0.5).length / reals.length;
    const zb = new Map<string, number>();
    for (const f of fakes) zb.set(cols.pairIds[f], (zb.get(cols.pairIds[f]) ?? 0) + ((cols.scores[f] >= 0.5 ? 1 : 0) - recall) / (2 * fakes.length));
    for (const r of reals) zb.set(cols.pairIds[r], (zb.get(cols.pairIds[r]) ?? 0) + ((cols.scores[r] < 0.5 ? 1 : 0) - specificity) / (2 * reals.length));
    const seBalanced = Math.sqrt((C / (C - 1)) * [...zb.values()].reduce((s, v) => s + v * v, 0));
    const balanced = (recall + specificity) / 2;
    expect(Math.abs(recall - specificity)).toBeGreaterThan(0.05); // else linearising at the mean would pass too
    expect(all.metrics.balanced_accuracy.value).toBeCloseTo(balanced, 12);
    expect(all.metrics.balanced_accuracy.lo).toBeCloseTo(balanced - Z95 * seBalanced, 10);
    expect(all.metrics.balanced_accuracy.hi).toBeCloseTo(balanced + Z95 * seBalanced, 10);
    expect(all.metrics.ap.lo).toBeNull();
    expect(all.metrics.ap.ciReason).toMatch(/no normal-approximation interval for ap/);
  });

  it('agree with the cluster bootstrap where both apply', async () => {
    const normal = await sliceRows(set, slices, { resamples: 2000, seed: 1, ciBudget: 0 });
    const boot = await sliceRows(set, slices, { resamples: 2000, seed: 1, ciBudget: Infinity });
    let compared = 0;
    for (const [i, row] of normal.entries()) {
      for (const key of ['recall_fake', 'accuracy', 'auc', 'paired_auc', 'two_afc', 'brier'] as const) {
        const a = row.metrics[key];
        const b = boot[i].metrics[key];
        if (a.lo === null || b.lo === null || row.n_fake < 100) continue;
        // same width within 25%, same centre within a quarter width
        const wa = a.hi! - a.lo;
        const wb = b.hi! - b.lo;
        expect(wa / wb, `${row.slice}/${row.value}/${key}`).toBeGreaterThan(0.75);
        expect(wa / wb, `${row.slice}/${row.value}/${key}`).toBeLessThan(1.25);
        expect(Math.abs((a.hi! + a.lo) / 2 - (b.hi! + b.lo) / 2)).toBeLessThan(wb / 4);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(15);
  });
});

describe('bootstrapped slice rows against a Python re-implementation (tests/goldens/metrics/report-bootstrap.json)', async () => {
  const g = golden<ReportGolden>('report-bootstrap.json');
  const dir = tempDir('semibench-golden-');
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'metadata.csv'), g.metadata_csv);
  writeFileSync(join(dir, 'predictions.csv'), g.predictions_csv);
  const plan = planSlices(SYNTHETIC_SLICES, readHeader(join(dir, 'data')));
  const meta = await readMetadata(join(dir, 'data'), plan.needs);
  const view = detectorView(meta, readScores(join(dir, 'predictions.csv'), meta).detectors[0]);
  const rows = await sliceRows({ meta, view }, assignSlices(plan.slices, meta), { resamples: g.resamples, seed: g.seed, ciBudget: Infinity });

  it('every point estimate and every bootstrap interval equals the golden (sklearn on the drawn rows)', () => {
    let intervals = 0;
    for (const want of g.rows) {
      const row = rows.find((r) => r.slice === want.slice && r.value === want.value)!;
      expect(row.n_real + row.n_fake, `${want.slice}/${want.value} n`).toBe(want.n);
      expect(row.ci_method).toBe('bootstrap');
      for (const [key, w] of Object.entries(want.metrics)) {
        const cell = row.metrics[key as MetricKey];
        const what = `${want.slice}/${want.value}/${key}`;
        if (w.value === null) {
          expect(cell.value, what).toBeNull();
          continue;
        }
        expect(Math.abs(cell.value! - w.value), `${what}: ${cell.value} vs ${w.value}`).toBeLessThanOrEqual(1e-9);
        if (w.lo !== null && w.lo === w.hi) {
          // a zero-width bootstrap interval is replaced: a proportion's by Wilson's (checked below), others by none
          if (metricDef(key as MetricKey).proportion) expect(cell.ci_method, what).toBe('wilson');
          else expect([cell.ci_method, cell.lo, cell.ciReason], what).toEqual(['none', null, expect.stringMatching(/zero width/)]);
          continue;
        }
        expect(cell.ci_method, what).toBe('bootstrap');
        for (const [got, exp] of [[cell.lo, w.lo], [cell.hi, w.hi]]) {
          if (exp === null) expect(got, what).toBeNull();
          else expect(Math.abs(got! - exp), `${what} interval: ${got} vs ${exp}`).toBeLessThanOrEqual(1e-9);
        }
        if (w.lo !== null) intervals++;
      }
    }
    expect(intervals).toBeGreaterThan(50);
  });

  it('a proportion whose bootstrap interval has zero width (4/4 recall) gets the Wilson interval, and says so', () => {
    const tiny = rows.find((r) => r.slice === 'grp' && r.value === 'tiny')!;
    expect(g.rows.find((r) => r.value === 'tiny')!.metrics.recall_fake).toMatchObject({ value: 1, lo: 1, hi: 1 });
    const c = tiny.metrics.recall_fake;
    expect(c.value).toBe(1);
    expect(c.ci_method).toBe('wilson');
    expect([c.lo, c.hi]).toEqual(Object.values(wilsonInterval(4, 4)));
    expect(c.lo!).toBeLessThan(0.6);
    expect(c.ciReason).toMatch(/zero width \(4 of 4\).*Wilson/);
  });
});
