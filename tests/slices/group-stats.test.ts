import { describe, expect, it } from 'vitest';
import { computeMetrics, pairedMetrics, resolveThreshold } from '../../src/metrics/index.js';
import { aggregate } from '../../src/slices/aggregate.js';
import { allSlice } from '../../src/slices/assign.js';
import { realScoreMap } from '../../src/slices/detector-view.js';
import { GroupStats, Z95 } from '../../src/slices/group-stats.js';
import { partitionRanks, codesInRankOrder } from '../../src/slices/rank.js';
import { SLICE_METRICS } from '../../src/slices/point-metrics.js';
import type { DetectorThreshold } from '../../src/slices/threshold-policy.js';
import { groupColumns, syntheticSet } from './synthetic.js';

const FIELD = Object.fromEntries(SLICE_METRICS) as Record<string, string>;

describe('the report kernel against src/metrics', async () => {
  const set = await syntheticSet(5, 60, 4);
  const slices = [allSlice(set.meta), ...set.slices];
  const threshold: DetectorThreshold = { detector: 'det', policy: '0.5', threshold: resolveThreshold('0.5') };
  const thresholds = new Map([['det', threshold]]);
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

  it('every point estimate and every bootstrap interval equals computeMetrics on the same rows', () => {
    const { rows } = aggregate(slices, [set.view], thresholds, { resamples: 50, seed: 3, ciBudget: Infinity });
    for (const row of rows) {
      const slice = slices.find((s) => s.name === row.slice)!;
      const cols = groupColumns(set.view, slice.codes, slice.values.indexOf(row.value));
      const m = computeMetrics(cols, { threshold: threshold.threshold!, resamples: 50, seed: 3, realScores }) as unknown as Record<string, { value: number | null; ci: { lo: number; hi: number } | null }> & {
        paired: Record<string, { value: number | null; ci: { lo: number; hi: number } | null }>;
      };
      for (const [key, cell] of Object.entries(row.metrics)) {
        if (cell.value === null) continue;
        const field = FIELD[key];
        const e = field === 'twoAfc' || field === 'pairedAuc' ? m.paired[field] : m[field];
        expect(cell.value, `${row.slice}/${row.value}/${key}`).toBeCloseTo(e.value!, 12);
        expect([cell.lo, cell.hi], `${row.slice}/${row.value}/${key} interval`).toEqual(e.ci ? [e.ci.lo, e.ci.hi] : [null, null]);
      }
      expect(row.ci_method).toBe('bootstrap');
    }
  });

  it('fake-only groups report recall and paired metrics only; the rest has a reason', () => {
    const { rows } = aggregate(slices, [set.view], thresholds, { resamples: 0, seed: 3, ciBudget: 0 });
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
  const thresholds = new Map([['det', { detector: 'det', policy: '0.5', threshold: resolveThreshold('0.5') } as DetectorThreshold]]);

  it('equal the variance of per-image influences computed from their definition (placements by brute force)', () => {
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

    const { rows } = aggregate(slices, [set.view], thresholds, { resamples: 1000, seed: 1, ciBudget: 0 });
    const all = rows.find((r) => r.slice === 'all')!;
    expect(all.ci_method).toBe('normal');
    expect(all.metrics.auc.value).toBeCloseTo(auc, 12);
    expect(all.metrics.auc.lo).toBeCloseTo(auc - Z95 * se, 10);
    expect(all.metrics.auc.hi).toBeCloseTo(auc + Z95 * se, 10);
    expect(all.metrics.recall_fake.lo).toBeCloseTo(recall - Z95 * seRecall, 10);
    expect(all.metrics.ap.lo).toBeNull();
    expect(all.metrics.ap.ciReason).toMatch(/no normal-approximation interval for ap/);
  });

  it('agree with the cluster bootstrap where both apply', () => {
    const normal = aggregate(slices, [set.view], thresholds, { resamples: 2000, seed: 1, ciBudget: 0 }).rows;
    const boot = aggregate(slices, [set.view], thresholds, { resamples: 2000, seed: 1, ciBudget: Infinity }).rows;
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
