import { describe, expect, it } from 'vitest';
import { classificationMetrics, type ClassificationMetrics, type MetricValue } from '../../src/metrics/index.js';
import { expectClose, expectMetric, golden, type GoldenCase } from './goldens.js';

type Prf = { precision: number; recall: number; f1: number };
type ZdBlock = { real: Prf & { support: number }; fake: Prf & { support: number }; macro: Prf };
interface At {
  threshold: number;
  confusion: { tp: number; fp: number; tn: number; fn: number };
  accuracy: number;
  balanced_accuracy: number;
  zd0: ZdBlock;
  zd1: ZdBlock;
}
const { cases } = golden<{ cases: (GoldenCase & { at: At[] })[] }>('classification.json');

const CELLS = ['precision', 'recall', 'f1'] as const;
const GROUPS = ['real', 'fake', 'macro'] as const;

function cell(m: ClassificationMetrics, group: (typeof GROUPS)[number], key: (typeof CELLS)[number]): MetricValue {
  return m[group][key];
}

describe('classification metrics match sklearn 1.2.1 (tests/goldens/metrics/classification.json)', () => {
  for (const c of cases) {
    for (const at of c.at) {
      it(`${c.name} @ ${at.threshold}`, () => {
        const m = classificationMetrics(c.labels, c.scores, at.threshold, { weights: c.weights });
        expect(m.confusion).toEqual(at.confusion);
        expectMetric(m.accuracy, at.accuracy, 'accuracy');
        expect(m.fake.support).toBe(at.zd0.fake.support);
        expect(m.real.support).toBe(at.zd0.real.support);
        for (const g of GROUPS) {
          for (const k of CELLS) {
            // a 0/0 cell is where zero_division=0 and =1 disagree: we must say undefined there, and agree elsewhere
            const a = at.zd0[g][k];
            const b = at.zd1[g][k];
            expectMetric(cell(m, g, k), a === b ? a : null, `${g}.${k} (undefined mode)`);
          }
        }
        for (const zd of [0, 1] as const) {
          const z = classificationMetrics(c.labels, c.scores, at.threshold, { weights: c.weights, zeroDivision: zd });
          const block = zd === 0 ? at.zd0 : at.zd1;
          for (const g of GROUPS) for (const k of CELLS) expectMetric(cell(z, g, k), block[g][k], `${g}.${k} (zero_division=${zd})`);
        }
      });
    }
  }

  it('covers the edge cases the brief asks for', () => {
    const names = cases.map((c) => c.name);
    const wanted = ['n1_real', 'n2_tied', 'n3_a', 'fakes_only_n40', 'reals_only_n40', 'perfect_n100', 'inverted_n100'];
    for (const n of [...wanted, 'at_threshold_n60', 'all_equal_n50']) expect(names).toContain(n);
  });
});

describe('classification metrics: undefined values and reasons', () => {
  it('an empty slice is undefined everywhere, never 0', () => {
    const m = classificationMetrics([], [], 0.5);
    for (const v of [m.accuracy, m.fake.precision, m.fake.recall, m.fake.f1, m.macro.f1]) {
      expect(v.value).toBeNull();
      expect(v.reason).toMatch(/\S/);
    }
    expect(m.accuracy.reason).toBe('empty slice');
  });

  it('a fake-only slice: recall on fakes = accuracy, specificity undefined, precision 1', () => {
    const m = classificationMetrics([1, 1, 1, 1], [0.9, 0.6, 0.2, 0.5], 0.5);
    expect(m.fake.recall.value).toBe(0.75);
    expect(m.accuracy.value).toBe(0.75);
    expect(m.fake.precision.value).toBe(1);
    expect(m.real.recall).toEqual({ value: null, reason: 'no reals in the slice' });
    // the missed fake is a row predicted real, so real precision is 0/1 = 0 and real F1 is defined (0)
    expect(m.real.precision.value).toBe(0);
    expect(m.real.f1.value).toBe(0);
    expect(m.macro.recall.value).toBeNull();
    expect(m.macro.recall.reason).toBe('recall undefined for class real: no reals in the slice');
  });

  it('no rows predicted fake: precision undefined with a reason; zero_division=0 substitutes with a note', () => {
    const labels = [0, 1, 0, 1];
    const scores = [0.1, 0.2, 0.3, 0.4];
    expect(classificationMetrics(labels, scores, 0.5).fake.precision).toEqual({ value: null, reason: 'no rows predicted fake' });
    const z = classificationMetrics(labels, scores, 0.5, { zeroDivision: 0 }).fake.precision;
    expect(z.value).toBe(0);
    expect(z.note).toMatch(/zero_division=0/);
  });

  it('a score exactly at the threshold is predicted fake', () => {
    const m = classificationMetrics([1, 0], [0.5, 0.5], 0.5);
    expect(m.confusion).toEqual({ tp: 1, fp: 1, tn: 0, fn: 0 });
  });

  it('rejects bad labels and NaN scores, naming the row', () => {
    expect(() => classificationMetrics([0, 2], [0.1, 0.2], 0.5)).toThrow(/row 1/);
    expect(() => classificationMetrics([0, 1], [0.1, Number.NaN], 0.5)).toThrow(/row 1/);
    expect(() => classificationMetrics([0, 1], [0.1], 0.5)).toThrow(/length/);
  });

  it('reproduces hand-computed values', () => {
    // tp=2 fp=1 tn=2 fn=1
    const m = classificationMetrics([1, 1, 1, 0, 0, 0], [0.9, 0.8, 0.1, 0.7, 0.2, 0.3], 0.5);
    expectClose(m.fake.precision.value, 2 / 3, 'precision');
    expectClose(m.fake.recall.value, 2 / 3, 'recall');
    expectClose(m.real.recall.value, 2 / 3, 'specificity');
    expectClose(m.macro.f1.value, 2 / 3, 'macro F1');
  });
});
