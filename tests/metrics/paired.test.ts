import { describe, expect, it } from 'vitest';
import { pairedMetrics } from '../../src/metrics/index.js';
import { expectClose, expectMetric, golden } from './goldens.js';

interface PairedGolden {
  name: string;
  realScores: Record<string, number>;
  fakeScores: number[];
  fakePairIds: string[];
  nUnpaired: number;
  nReals: number;
  twoAfc: number | null;
  pairedAuc: number | null;
}
const { cases } = golden<{ cases: PairedGolden[] }>('paired.json');

describe('paired metrics: hand-computed cases', () => {
  const reals = new Map([
    ['a', 0.4],
    ['b', 0.7],
    ['c', 0.1],
  ]);

  it('2AFC is the share of fakes above their own real, ties 1/2', () => {
    // a1 0.6 > 0.4 win; a2 0.4 = 0.4 tie; b1 0.5 < 0.7 loss; b2 0.9 > 0.7 win → (1 + 0.5 + 0 + 1) / 4
    const m = pairedMetrics([0.6, 0.4, 0.5, 0.9], ['a', 'a', 'b', 'b'], reals);
    expect(m.twoAfc.value).toBe(0.625);
    expect(m.nPairedFakes).toBe(4);
    expect(m.nReals).toBe(2);
    expect(m.nUnpaired).toBe(0);
  });

  it('paired AUC uses each source real once, and only the slice fakes\' own reals', () => {
    // negatives: a 0.4, b 0.7 (c is not a source here). fakes 0.6, 0.4, 0.5, 0.9:
    // 0.6: >0.4 win, <0.7 loss → 1; 0.4: tie 0.5, loss → 0.5; 0.5: win, loss → 1; 0.9: 2 → total 4.5 / 8
    const m = pairedMetrics([0.6, 0.4, 0.5, 0.9], ['a', 'a', 'b', 'b'], reals);
    expectClose(m.pairedAuc.value, 4.5 / 8, 'paired AUC');
  });

  it('fakes without a scored real are left out and counted', () => {
    const m = pairedMetrics([0.9, 0.2], ['c', 'zzz'], reals);
    expect(m.twoAfc.value).toBe(1);
    expect(m.twoAfc.note).toMatch(/1 fakes without a scored source real/);
    expect(m.nUnpaired).toBe(1);
    const none = pairedMetrics([0.9], ['zzz'], reals);
    expect(none.twoAfc.value).toBeNull();
    expect(none.pairedAuc.reason).toMatch(/no fake has a scored source real/);
    expect(pairedMetrics([], [], reals).twoAfc.reason).toBe('no fakes in the slice');
  });

  it('a fake equal to its only real gives 2AFC 1/2 and AUC 1/2', () => {
    const m = pairedMetrics([0.4], ['a'], reals);
    expect(m.twoAfc.value).toBe(0.5);
    expect(m.pairedAuc.value).toBe(0.5);
  });
});

describe('paired metrics match numpy / sklearn roc_auc_score (tests/goldens/metrics/paired.json)', () => {
  for (const g of cases) {
    it(g.name, () => {
      const m = pairedMetrics(g.fakeScores, g.fakePairIds, new Map(Object.entries(g.realScores)));
      expectMetric(m.twoAfc, g.twoAfc, '2AFC');
      expectMetric(m.pairedAuc, g.pairedAuc, 'paired AUC');
      expect(m.nUnpaired).toBe(g.nUnpaired);
      expect(m.nReals).toBe(g.nReals);
    });
  }
});
