import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  brierScore,
  classificationMetrics,
  clusterIndex,
  equalErrorRate,
  expectedCalibrationError,
  METRIC_KEYS,
  pairedMetrics,
  pairedSet,
  rankScores,
  rocAuc,
  tprAtFpr,
  valueOrNaN,
  Xoshiro128,
} from '../../src/metrics/index.js';
import { SliceKernel } from '../../src/metrics/slice-kernel.js';

/** Expected value with NaN for undefined, compared to 1e-9. */
function near(actual: number, expected: number, what: string): void {
  if (Number.isNaN(expected)) expect(actual, what).toBeNaN();
  else expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9);
}

describe('SliceKernel (the bootstrap fast path) equals the public metrics on repeated rows', () => {
  it('random slices with ties, fake-only clusters and paired reals', () => {
    const rng = new Xoshiro128(77);
    for (let trial = 0; trial < 25; trial++) {
      const nClusters = 1 + rng.nextBelow(12);
      const labels: number[] = [];
      const scores: number[] = [];
      const ids: string[] = [];
      const realScores = new Map<string, number>();
      for (let c = 0; c < nClusters; c++) {
        realScores.set(`s${c}`, rng.nextBelow(11) / 10);
        const size = 1 + rng.nextBelow(5);
        for (let k = 0; k < size; k++) {
          const y = trial % 5 === 0 ? 1 : rng.nextBelow(2); // some slices hold only fakes
          labels.push(y);
          scores.push(rng.nextBelow(11) / 10);
          ids.push(`s${c}`);
        }
      }
      const clusters = clusterIndex(ids);
      const fakeIdx = labels.flatMap((y, i) => (y === 1 ? [i] : []));
      const set = pairedSet(
        fakeIdx.map((i) => scores[i]),
        fakeIdx.map((i) => ids[i]),
        realScores,
      );
      const number = new Map(clusters.ids.map((id, c) => [String(id), c]));
      const paired = { set, clusterOf: Int32Array.from(set.pairIds, (id) => number.get(id) as number) };
      const kernel = new SliceKernel(labels, scores, rankScores(labels, scores), 0.5, clusters, 15, undefined, paired);
      for (let draw = 0; draw < 4; draw++) {
        const counts = Uint32Array.from({ length: nClusters }, () => rng.nextBelow(3));
        const weights = ids.map((_, i) => counts[clusters.clusterOf[i]]);
        const got = kernel.evaluate(counts, METRIC_KEYS);
        const cls = classificationMetrics(labels, scores, 0.5, { weights });
        const w = { weights };
        near(got.accuracy, valueOrNaN(cls.accuracy), 'accuracy');
        near(got.precision, valueOrNaN(cls.fake.precision), 'precision');
        near(got.f1_macro, valueOrNaN(cls.macro.f1), 'macro F1');
        near(got.auc, valueOrNaN(rocAuc(labels, scores, w)), 'AUC');
        near(got.ap, valueOrNaN(averagePrecision(labels, scores, w)), 'AP');
        near(got.eer, valueOrNaN(equalErrorRate(labels, scores, w)), 'EER');
        near(got.tpr_at_fpr_5pct, valueOrNaN(tprAtFpr(labels, scores, 0.05, w)), 'TPR@5%');
        near(got.ece, valueOrNaN(expectedCalibrationError(labels, scores, w)), 'ECE');
        near(got.brier, valueOrNaN(brierScore(labels, scores, w)), 'Brier');
        // paired metrics on the repeated fakes: each drawn copy of a source image brings its real once
        const rf: number[] = [];
        const ri: string[] = [];
        fakeIdx.forEach((i) => {
          for (let r = 0; r < weights[i]; r++) {
            rf.push(scores[i]);
            ri.push(`${ids[i]}#${r}`);
          }
        });
        const reps = new Map<string, number>();
        for (const id of ri) reps.set(id, realScores.get(id.split('#')[0]) as number);
        const pm = pairedMetrics(rf, ri, reps);
        near(got.two_afc, valueOrNaN(pm.twoAfc), '2AFC');
        near(got.paired_auc, valueOrNaN(pm.pairedAuc), 'paired AUC');
      }
    }
  });
});
