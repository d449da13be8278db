import { describe, expect, it } from 'vitest';
import { averagePrecision, equalErrorRate, rocAuc, rocCurve, tprAtFpr } from '../../src/metrics/index.js';
import { expectClose, expectMetric, golden, type GoldenCase } from './goldens.js';

interface Curve {
  fpr: number[];
  tpr: number[];
  thresholds_after_first: number[];
}
interface RankGolden {
  name: string;
  defined: boolean;
  auc?: number;
  ap?: number;
  eer?: number;
  tpr_at_fpr?: Record<string, number>;
  roc?: Curve;
  roc_dropped?: Curve;
}
const inputs = new Map(golden<{ cases: GoldenCase[] }>('classification.json').cases.map((c) => [c.name, c]));
const { cases, tprAt } = golden<{ cases: RankGolden[]; tprAt: number[] }>('ranking.json');

function expectCurve(actual: ReturnType<typeof rocCurve>, expected: Curve): void {
  if ('reason' in actual) throw new Error(`curve undefined: ${actual.reason}`);
  expect(actual.fpr.length).toBe(expected.fpr.length);
  expect(actual.thresholds[0]).toBe(Infinity);
  expected.fpr.forEach((x, i) => expectClose(actual.fpr[i], x, `fpr[${i}]`));
  expected.tpr.forEach((x, i) => expectClose(actual.tpr[i], x, `tpr[${i}]`));
  expected.thresholds_after_first.forEach((x, i) => expect(actual.thresholds[i + 1]).toBe(x));
}

describe('ranking metrics match sklearn 1.2.1 (tests/goldens/metrics/ranking.json)', () => {
  for (const g of cases) {
    it(g.name, () => {
      const c = inputs.get(g.name) as GoldenCase;
      const opts = { weights: c.weights };
      const auc = rocAuc(c.labels, c.scores, opts);
      const ap = averagePrecision(c.labels, c.scores, opts);
      const eer = equalErrorRate(c.labels, c.scores, opts);
      if (!g.defined) {
        for (const m of [auc, ap, eer, tprAtFpr(c.labels, c.scores, 0.05, opts)]) {
          expect(m.value).toBeNull();
          expect(m.reason).toMatch(/^(single class: no (reals|fakes)|empty slice)$/);
        }
        expect('reason' in rocCurve(c.labels, c.scores, opts)).toBe(true);
        return;
      }
      expectMetric(auc, g.auc as number, 'AUC');
      expectMetric(ap, g.ap as number, 'AP');
      expectMetric(eer, g.eer as number, 'EER');
      for (const x of tprAt) expectMetric(tprAtFpr(c.labels, c.scores, x, opts), (g.tpr_at_fpr as Record<string, number>)[String(x)], `TPR@${x}`);
      if (g.roc) expectCurve(rocCurve(c.labels, c.scores, opts), g.roc);
      if (g.roc_dropped) expectCurve(rocCurve(c.labels, c.scores, { ...opts, dropIntermediate: true }), g.roc_dropped);
    });
  }
});

describe('ranking metrics: definitions on hand-computed cases', () => {
  it('AUC counts a tied (fake, real) pair as 1/2', () => {
    // pairs: (0.8 vs 0.5) win, (0.8 vs 0.2) win, (0.5 vs 0.5) tie, (0.5 vs 0.2) win → 3.5 / 4
    expect(rocAuc([1, 1, 0, 0], [0.8, 0.5, 0.5, 0.2]).value).toBe(0.875);
    expect(rocAuc([1, 0], [0.5, 0.5]).value).toBe(0.5);
  });

  it('AP is step-wise, not interpolated', () => {
    // ranking F R F R: precision at each fake 1, 2/3 → AP = (1 + 2/3) / 2; the interpolated version gives the same here,
    // so use R F F: steps at precision 1/2 and 2/3 → AP = (1/2 + 2/3) / 2 (interpolation would take 2/3 for both)
    expectClose(averagePrecision([0, 1, 1], [0.9, 0.8, 0.7]).value, (1 / 2 + 2 / 3) / 2, 'AP');
  });

  it('EER interpolates where FPR = FNR', () => {
    expect(equalErrorRate([1, 0], [0.9, 0.1]).value).toBe(0);
    expect(equalErrorRate([1, 0], [0.1, 0.9]).value).toBe(1);
    // all scores tied: the ROC is the diagonal, FPR = FNR at 0.5
    expect(equalErrorRate([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]).value).toBe(0.5);
  });

  it('TPR@FPR takes the best achievable point, without interpolation', () => {
    // reals 0.9, 0.1; fakes 0.8, 0.7. Points: (0,0) (0.5,0) (0.5,0.5) (0.5,1) (1,1)
    const labels = [0, 0, 1, 1];
    const scores = [0.9, 0.1, 0.8, 0.7];
    expect(tprAtFpr(labels, scores, 0.49).value).toBe(0);
    expect(tprAtFpr(labels, scores, 0.5).value).toBe(1);
    expect(() => tprAtFpr(labels, scores, 5)).toThrow(/maxFpr/);
  });

  it('weights equal repeated rows', () => {
    const labels = [0, 1, 0, 1, 1];
    const scores = [0.3, 0.3, 0.6, 0.9, 0.1];
    const weights = [2, 1, 0, 3, 1];
    const rl: number[] = [];
    const rs: number[] = [];
    weights.forEach((w, i) => {
      for (let k = 0; k < w; k++) {
        rl.push(labels[i]);
        rs.push(scores[i]);
      }
    });
    for (const fn of [rocAuc, averagePrecision, equalErrorRate]) {
      expectClose(fn(labels, scores, { weights }).value, fn(rl, rs).value, fn.name);
    }
  });
});
