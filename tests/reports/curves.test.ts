import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { curveInputsFromPredictions, curveInputsFromReport, MAX_CURVE_POINTS, prPoints, reliabilityBins, rocPoints } from '../../src/reports/html/curves.js';
import { buildReport } from '../../src/reports/report.js';
import { tempDir } from '../helpers.js';
import { tinyRun } from './tiny-run.js';

interface Case {
  name: string;
  labels: number[];
  scores: number[];
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
  pr: { precision: number[]; recall: number[]; thresholds: number[] };
  reliability: { bin: number[]; prob_true: number[]; prob_pred: number[]; n: number[] };
}

/** Written by tools/parity/make_curve_goldens.py (scikit-learn 1.2.1). */
const goldens = JSON.parse(readFileSync(new URL('../goldens/curves/curves.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** Our points as [threshold, x, y] against sklearn's; a curve over MAX_CURVE_POINTS is an evenly thinned subset. */
function expectCurve(ours: [number | null, number, number][], want: [number | null, number, number][], what: string): void {
  if (want.length <= MAX_CURVE_POINTS) {
    expect(ours, what).toEqual(want);
    return;
  }
  expect(ours, what).toHaveLength(MAX_CURVE_POINTS);
  expect([ours[0], ours.at(-1)], what).toEqual([want[0], want.at(-1)]);
  let j = 0;
  for (const p of ours) {
    while (j < want.length && JSON.stringify(want[j]) !== JSON.stringify(p)) j++;
    expect(j, `${what}: ${JSON.stringify(p)} is a point of sklearn's curve, in order`).toBeLessThan(want.length);
  }
}

describe('report curves equal scikit-learn (tests/goldens/curves/curves.json)', () => {
  expect(goldens.cases.some((c) => c.name.startsWith('bundled_run_'))).toBe(true);
  expect(goldens.cases.some((c) => c.roc.fpr.length > MAX_CURVE_POINTS || c.pr.recall.length > MAX_CURVE_POINTS)).toBe(true);

  for (const c of goldens.cases) {
    const input = { detector: c.name, scores: c.scores, labels: c.labels };

    it(`${c.name}: ROC = roc_curve (drop_intermediate=True), the start's threshold null for sklearn's top + 1`, () => {
      const want = c.roc.fpr.map((f, i) => [i === 0 ? null : c.roc.thresholds[i], f, c.roc.tpr[i]] as [number | null, number, number]);
      expect(c.roc.thresholds[0]).toBe(c.roc.thresholds[1] + 1);
      expectCurve(rocPoints(input).map((p) => [p.threshold, p.fpr, p.tpr]), want, 'roc');
    });

    it(`${c.name}: PR = precision_recall_curve, reversed (recall 0 first)`, () => {
      const last = c.pr.recall.length - 1;
      const want = c.pr.recall.map((_, k) => {
        const i = last - k;
        return [i === last ? null : c.pr.thresholds[i], c.pr.recall[i], c.pr.precision[i]] as [number | null, number, number];
      });
      expectCurve(prPoints(input).map((p) => [p.threshold, p.recall, p.precision]), want, 'pr');
    });

    it(`${c.name}: reliability bins = calibration_curve(n_bins=15, strategy='uniform')`, () => {
      const bins = reliabilityBins(input);
      expect(bins.map((b) => [b.bin, b.n])).toEqual(c.reliability.bin.map((b, i) => [b, c.reliability.n[i]]));
      bins.forEach((b, i) => {
        expect(Math.abs(b.observed - c.reliability.prob_true[i])).toBeLessThanOrEqual(1e-12);
        expect(Math.abs(b.predicted - c.reliability.prob_pred[i])).toBeLessThanOrEqual(1e-12);
      });
    });
  }

  it('one class only: no curves', () => {
    expect(rocPoints({ detector: 'd', scores: [0.2, 0.4], labels: [1, 1] })).toEqual([]);
    expect(prPoints({ detector: 'd', scores: [0.2, 0.4], labels: [0, 0] })).toEqual([]);
  });
});

describe('curve inputs', () => {
  it('from predictions.csv: clean rows only, the later row of a detector and sample wins, unusable scores left out', () => {
    const file = join(tempDir(), 'predictions.csv');
    writeFileSync(
      file,
      [
        'sample_id,detector,score,label,status,error,condition',
        'a,d,0.9,1,ok,,none',
        'b,d,0.2,0,ok,,none',
        'a,d,0.4,1,ok,,jpeg_q50',
        'c,d,,1,error,decode failed,none',
        'e,d,1.5,1,ok,,none',
        'f,d,nan,0,ok,,none',
        'b,d,0.3,0,ok,,none',
        'g,d,0.7,0,ok,,',
      ].join('\n'),
    );
    expect(curveInputsFromPredictions(file)).toEqual([{ detector: 'd', scores: [0.9, 0.3, 0.7], labels: [1, 0, 0] }]);
  });

  it('report RUN --html draws the same curves as the report that ranked the scores', async () => {
    const tiny = tinyRun();
    const report = await buildReport({ runDir: tiny.run, config: tiny.config, resamples: 0 });
    const fromReport = curveInputsFromReport(report).find((d) => d.detector === 'det')!;
    const fromFile = curveInputsFromPredictions(join(tiny.run, 'predictions.csv')).find((d) => d.detector === 'det')!;
    expect(rocPoints(fromFile)).toEqual(rocPoints(fromReport));
    expect(prPoints(fromFile)).toEqual(prPoints(fromReport));
    expect(rocPoints(fromReport).length).toBeGreaterThan(3);
  });
});
