import { describe, expect, it } from 'vitest';
import { bootstrapCI, computeMetrics, METRIC_KEYS, pairedMetrics, resolveThreshold, rocAuc, type MetricRow } from '../../src/metrics/index.js';
import { expectClose, expectMetric, golden, type GoldenCase } from './goldens.js';

const inputs = new Map(golden<{ cases: GoldenCase[] }>('classification.json').cases.map((c) => [c.name, c]));
type RankGolden = { name: string; auc: number; ap: number; eer: number; tpr_at_fpr: Record<string, number> };
const ranking = new Map(golden<{ cases: RankGolden[] }>('ranking.json').cases.map((c) => [c.name, c]));
const calibration = new Map(golden<{ cases: { name: string; ece15: number; brier: number }[] }>('calibration.json').cases.map((c) => [c.name, c]));

describe('computeMetrics', () => {
  it('point estimates equal the sklearn goldens', () => {
    for (const name of ['rounded2_n400', 'heavy_ties_n300', 'imbalanced_n1000']) {
      const c = inputs.get(name) as GoldenCase;
      const m = computeMetrics({ labels: c.labels, scores: c.scores }, { resamples: 0 });
      const r = ranking.get(name)!;
      const k = calibration.get(name)!;
      expectMetric(m.metrics.auc, r.auc, `${name} AUC`);
      expectMetric(m.metrics.ap, r.ap, `${name} AP`);
      expectMetric(m.metrics.eer, r.eer, `${name} EER`);
      expectMetric(m.metrics.tpr_at_fpr_1pct, r.tpr_at_fpr['0.01'], `${name} TPR@1%`);
      expectMetric(m.metrics.tpr_at_fpr_5pct, r.tpr_at_fpr['0.05'], `${name} TPR@5%`);
      expectMetric(m.metrics.ece, k.ece15, `${name} ECE`);
      expectMetric(m.metrics.brier, k.brier, `${name} Brier`);
      expect(m.metrics.auc.ci).toBeNull();
      expect(m.metrics.auc.ciReason).toMatch(/bootstrap disabled/);
    }
  });

  it('gives every metric a 95% cluster-bootstrap interval, sharing draws with bootstrapCI', () => {
    const c = inputs.get('rounded2_n400') as GoldenCase;
    const pairIds = c.labels.map((_, i) => `src${i % 90}`);
    const m = computeMetrics({ labels: c.labels, scores: c.scores, pairIds }, { resamples: 300, seed: 9 });
    expect(m.bootstrap).toEqual({ resamples: 300, seed: 9, level: 0.95, unit: 'pairId', clusters: 90 });
    for (const key of METRIC_KEYS.filter((k) => !['paired_auc', 'two_afc'].includes(k))) {
      const e = m.metrics[key];
      expect(e.ci, key).not.toBeNull();
      expect(e.ci!.lo!).toBeLessThanOrEqual(e.ci!.hi!);
      expect(e.ci!.valid + e.ci!.skipped).toBe(300);
    }
    const alone = bootstrapCI(pairIds, (r) => rocAuc(c.labels, c.scores, { weights: r.weights }), { resamples: 300, seed: 9 });
    expectClose(m.metrics.auc.ci!.lo, alone.lo, 'lo');
    expectClose(m.metrics.auc.ci!.hi, alone.hi, 'hi');
  });

  it('rows and columns give the same result; the same seed gives the same intervals', () => {
    const c = inputs.get('random_n100') as GoldenCase;
    const rows: MetricRow[] = c.labels.map((label, i) => ({ label, score: c.scores[i], pairId: `p${i % 30}` }));
    const a = computeMetrics(rows, { resamples: 100, seed: 4 });
    const b = computeMetrics({ labels: c.labels, scores: c.scores, pairIds: rows.map((r) => r.pairId!) }, { resamples: 100, seed: 4 });
    expect(b).toEqual(a);
  });

  it('a fake-only slice: ranking metrics undefined with reasons, recall with an interval, paired metrics present', () => {
    const realScores = new Map([
      ['a', 0.3],
      ['b', 0.6],
      ['c', 0.1],
    ]);
    const rows: MetricRow[] = [
      { label: 1, score: 0.7, pairId: 'a' },
      { label: 1, score: 0.2, pairId: 'a' },
      { label: 1, score: 0.9, pairId: 'b' },
      { label: 1, score: 0.5, pairId: 'b' },
      { label: 1, score: 0.6, pairId: 'c' },
    ];
    const m = computeMetrics(rows, { resamples: 200, realScores });
    expect([m.n, m.nReal, m.nFake]).toEqual([5, 0, 5]);
    expect(m.metrics.auc).toEqual({ value: null, reason: 'single class: no reals', ci: null, ciReason: 'metric undefined on the slice' });
    expect(m.metrics.specificity_real.reason).toBe('no reals in the slice');
    expect(m.metrics.recall_fake.value).toBe(0.8);
    expect(m.metrics.accuracy.value).toBe(0.8);
    expect(m.metrics.recall_fake.ci).not.toBeNull();
    const p = pairedMetrics(
      rows.map((r) => r.score),
      rows.map((r) => r.pairId!),
      realScores,
    );
    expect(m.metrics.two_afc.value).toBe(p.twoAfc.value);
    expect(m.metrics.paired_auc.value).toBe(p.pairedAuc.value);
    expect(m.metrics.two_afc.value).toBe(0.6); // 0.7>0.3, 0.2<0.3, 0.9>0.6, 0.5<0.6, 0.6>0.1
    expect(m.metrics.paired_auc.ci).not.toBeNull();
    expect(m.paired!.nReals).toBe(3);
  });

  it('an empty slice: every metric undefined with "empty slice"', () => {
    const m = computeMetrics([], {});
    for (const key of ['accuracy', 'auc', 'ap', 'eer', 'ece', 'brier', 'f1_macro'] as const) {
      expect(m.metrics[key].value, key).toBeNull();
      expect(m.metrics[key].reason, key).toBe('empty slice');
    }
    expect(m.bootstrap.clusters).toBe(0);
    const withPairs = computeMetrics([], { realScores: new Map([['a', 0.5]]) });
    expect(withPairs.metrics.two_afc.reason).toBe('no fakes in the slice');
  });

  it('carries the threshold policy; without pairIds it falls back to a row bootstrap', () => {
    const c = inputs.get('random_n100') as GoldenCase;
    const threshold = resolveThreshold('oracle', { labels: c.labels, scores: c.scores });
    const m = computeMetrics({ labels: c.labels, scores: c.scores }, { threshold, resamples: 50 });
    expect(m.threshold.optimistic).toBe(true);
    expect(m.bootstrap.unit).toBe('row');
    expect(m.bootstrap.clusters).toBe(100);
  });

  it('rejects mixed pairIds and scores outside [0, 1]', () => {
    expect(() => computeMetrics([{ label: 1, score: 0.5, pairId: 'a' }, { label: 0, score: 0.5 }])).toThrow(/pairId/);
    expect(() => computeMetrics([{ label: 1, score: 2 }])).toThrow(/\[0, 1\]/);
  });
});
