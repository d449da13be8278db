import {
  apFromCurve,
  aucFromCurve,
  brierFrom,
  calibrationBins,
  classificationFromConfusion,
  clfCurve,
  confusionAt,
  ECE_BINS,
  eceFromBins,
  eerFromCurve,
  pairedFromSet,
  tprAtFprFromCurve,
  valueOrNaN,
  type Weights,
} from '../metrics/index.js';
import type { Group } from './group.js';
import { THRESHOLDED, type MetricKey } from './point-metrics.js';

/**
 * A group's metrics with per-row weights (bootstrap multiplicities): what `compare` evaluates on each resample
 * of the two runs. `rowWeights` index the group's rows, `pairedWeights` the paired set's rows. NaN where a
 * metric is undefined on the resample. Uses metrics' public functions, so a weight of 1 everywhere gives the
 * point estimates.
 */
export class WeightedMetrics {
  private readonly binOf: Uint16Array;

  constructor(
    private readonly group: Group,
    private readonly threshold: number | null,
    private readonly keys: readonly MetricKey[],
  ) {
    this.binOf = keys.includes('ece') ? calibrationBins(group.scores, ECE_BINS) : new Uint16Array(0);
  }

  evaluate(rowWeights: Weights, pairedWeights: Weights): Partial<Record<MetricKey, number>> {
    const { group, keys } = this;
    const out: Partial<Record<MetricKey, number>> = {};
    const want = (k: MetricKey): boolean => keys.includes(k);
    if (this.threshold !== null && keys.some((k) => THRESHOLDED.has(k))) {
      const c = classificationFromConfusion(confusionAt(group.labels, group.scores, this.threshold, rowWeights));
      out.accuracy = valueOrNaN(c.accuracy);
      out.balanced_accuracy = valueOrNaN(c.balancedAccuracy);
      out.recall_fake = valueOrNaN(c.fake.recall);
      out.specificity_real = valueOrNaN(c.real.recall);
      out.precision = valueOrNaN(c.fake.precision);
      out.f1 = valueOrNaN(c.fake.f1);
      out.f1_macro = valueOrNaN(c.macro.f1);
    }
    if (['auc', 'ap', 'eer', 'tpr_at_fpr_1pct', 'tpr_at_fpr_5pct'].some((k) => want(k as MetricKey))) {
      const curve = clfCurve(group.ranked, rowWeights);
      out.auc = valueOrNaN(aucFromCurve(curve));
      out.ap = valueOrNaN(apFromCurve(curve));
      out.eer = valueOrNaN(eerFromCurve(curve));
      out.tpr_at_fpr_1pct = valueOrNaN(tprAtFprFromCurve(curve, 0.01));
      out.tpr_at_fpr_5pct = valueOrNaN(tprAtFprFromCurve(curve, 0.05));
    }
    if (want('ece')) out.ece = valueOrNaN(eceFromBins(this.binOf, group.labels, group.scores, ECE_BINS, rowWeights));
    if (want('brier')) out.brier = valueOrNaN(brierFrom(group.labels, group.scores, rowWeights));
    if (want('paired_auc') || want('two_afc')) {
      const p = pairedFromSet(group.paired, pairedWeights);
      out.paired_auc = valueOrNaN(p.pairedAuc);
      out.two_afc = valueOrNaN(p.twoAfc);
    }
    return out;
  }
}
