import { describe, expect, it } from 'vitest';
import { computeMetrics, METRIC_KEYS, METRICS } from '../../src/metrics/index.js';
import { expectMetric, golden, type GoldenCase } from './goldens.js';

type AtThreshold = { threshold: number; empty?: boolean; balanced_accuracy: number };
const cases = golden<{ cases: (GoldenCase & { at: AtThreshold[] })[] }>('classification.json').cases;

/** A golden case's rows, repeated by their integer weights (as sklearn ran them). */
function expand(c: GoldenCase): { labels: number[]; scores: number[] } {
  const labels: number[] = [];
  const scores: number[] = [];
  c.labels.forEach((y, i) => {
    for (let k = 0; k < (c.weights?.[i] ?? 1); k++) {
      labels.push(y);
      scores.push(c.scores[i]);
    }
  });
  return { labels, scores };
}

describe('the metric registry', () => {
  it('one entry per key, each with a point function, a direction and when it is undefined', () => {
    expect(new Set(METRIC_KEYS).size).toBe(METRICS.length);
    for (const m of METRICS) {
      expect(typeof m.value, m.key).toBe('function');
      expect(typeof m.higherIsBetter, m.key).toBe('boolean');
      expect(m.undefinedWhen, m.key).toMatch(/\S/);
      expect(m.describe, m.key).toMatch(/\S/);
    }
  });

  it('balanced_accuracy equals sklearn balanced_accuracy_score on every golden case and threshold', () => {
    let checked = 0;
    for (const c of cases) {
      const rows = expand(c);
      for (const at of c.at) {
        if (at.empty) continue;
        const m = computeMetrics(rows, { threshold: at.threshold, resamples: 0 });
        expectMetric(m.metrics.balanced_accuracy, at.balanced_accuracy, `${c.name} @ ${at.threshold}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('balanced_accuracy on a single-class slice is its one recall, with a note; empty is undefined', () => {
    const m = computeMetrics([1, 1, 1, 1].map((label, i) => ({ label, score: [0.9, 0.6, 0.2, 0.5][i] })), { resamples: 0 });
    expect(m.metrics.balanced_accuracy.value).toBe(0.75);
    expect(m.metrics.balanced_accuracy.note).toMatch(/single class \(only fakes\)/);
    expect(computeMetrics([], {}).metrics.balanced_accuracy).toMatchObject({ value: null, reason: 'empty slice' });
  });
});
