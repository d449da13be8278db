import { describe, expect, it } from 'vitest';
import { brierScore, calibrationBins, expectedCalibrationError } from '../../src/metrics/index.js';
import { expectClose, expectMetric, golden, type GoldenCase } from './goldens.js';

interface CalGolden {
  name: string;
  defined: boolean;
  ece15?: number;
  ece10?: number;
  brier?: number;
}
const inputs = new Map(golden<{ cases: GoldenCase[] }>('classification.json').cases.map((c) => [c.name, c]));
const { cases } = golden<{ cases: CalGolden[] }>('calibration.json');

describe('calibration matches numpy / sklearn brier_score_loss (tests/goldens/metrics/calibration.json)', () => {
  for (const g of cases) {
    it(g.name, () => {
      const c = inputs.get(g.name) as GoldenCase;
      const opts = { weights: c.weights };
      expectMetric(expectedCalibrationError(c.labels, c.scores, opts), g.ece15 ?? null, 'ECE 15 bins');
      expectMetric(expectedCalibrationError(c.labels, c.scores, { ...opts, bins: 10 }), g.ece10 ?? null, 'ECE 10 bins');
      expectMetric(brierScore(c.labels, c.scores, opts), g.brier ?? null, 'Brier');
    });
  }

  it('an empty slice is undefined, with a reason', () => {
    expect(expectedCalibrationError([], [])).toEqual({ value: null, reason: 'empty slice' });
    expect(brierScore([], [])).toEqual({ value: null, reason: 'empty slice' });
  });
});

describe('ECE binning', () => {
  it('bins are right-inclusive, with 0 in the first bin', () => {
    const bins = calibrationBins([0, 1 / 15, 0.0667, 2 / 15, 0.5, 14 / 15, 1], 15);
    expect(Array.from(bins)).toEqual([0, 0, 1, 1, 7, 13, 14]);
  });

  it('hand-computed ECE', () => {
    // bin (0, 1/15]: scores 0, 0 with labels 0, 1 → |0.5 − 0| · 2/4; bin (14/15, 1]: 1, 1 labels 1, 1 → 0
    expectClose(expectedCalibrationError([0, 1, 1, 1], [0, 0, 1, 1]).value, 0.25, 'ECE');
    expectClose(brierScore([0, 1, 1, 1], [0, 0, 1, 1]).value, 0.25, 'Brier');
  });

  it('rejects scores outside [0, 1]', () => {
    expect(() => expectedCalibrationError([0], [1.5])).toThrow(/row 0/);
  });
});
