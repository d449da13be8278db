import {
  brierFrom,
  calibrationBins,
  classificationFromConfusion,
  clfCurve,
  confusionAt,
  ECE_BINS,
  eceFromBins,
  evaluateMetrics,
  metricDef,
  pairedFromSet,
  valueOrNaN,
  type ClassificationMetrics,
  type ClfCurve,
  type MetricKey,
  type PairedMetrics,
  type Weights,
} from '../metrics/index.js';
import type { Group } from './group.js';

/**
 * A group's registry metrics with per-row weights (bootstrap multiplicities): what `compare` evaluates on each
 * resample of the two runs. `rowWeights` index the group's rows, `pairedWeights` the paired set's rows. NaN
 * where a metric is undefined on the resample (or thresholded without a threshold). Uses metrics' public
 * functions, so a weight of 1 everywhere gives the point estimates.
 */
export class WeightedMetrics {
  private readonly binOf: Uint16Array;

  constructor(
    private readonly group: Group,
    private readonly threshold: number | null,
    private readonly keys: readonly MetricKey[],
  ) {
    this.binOf = keys.some((k) => metricDef(k).needs === 'calibration') ? calibrationBins(group.scores, ECE_BINS) : new Uint16Array(0);
  }

  evaluate(rowWeights: Weights, pairedWeights: Weights): Record<MetricKey, number> {
    const { group, threshold } = this;
    let cls: ClassificationMetrics | undefined;
    let curve: ClfCurve | undefined;
    let paired: PairedMetrics | undefined;
    const binOf = this.binOf;
    const values = evaluateMetrics(
      this.keys,
      {
        get cls() {
          return (cls ??= classificationFromConfusion(confusionAt(group.labels, group.scores, threshold!, rowWeights)));
        },
        get curve() {
          return (curve ??= clfCurve(group.ranked, rowWeights));
        },
        get ece() {
          return eceFromBins(binOf, group.labels, group.scores, ECE_BINS, rowWeights);
        },
        get brier() {
          return brierFrom(group.labels, group.scores, rowWeights);
        },
        get twoAfc() {
          return (paired ??= pairedFromSet(group.paired, pairedWeights)).twoAfc;
        },
        get pairedAuc() {
          return (paired ??= pairedFromSet(group.paired, pairedWeights)).pairedAuc;
        },
      },
      (key) => (threshold === null && metricDef(key).needs === 'threshold' ? 'no threshold' : undefined),
    );
    const out = {} as Record<MetricKey, number>;
    for (const k of this.keys) out[k] = valueOrNaN(values[k]);
    return out;
  }
}
