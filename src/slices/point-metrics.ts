import {
  brierFrom,
  calibrationBins,
  classificationFromConfusion,
  clfCurve,
  defined,
  ECE_BINS,
  eceFromBins,
  evaluateMetrics,
  METRIC_KEYS,
  metricDef,
  undefinedValue,
  type ClassificationMetrics,
  type ClfCurve,
  type Confusion,
  type MetricKey,
  type MetricValue,
  type RankedScores,
} from '../metrics/index.js';
import type { GroupStats } from './group-stats.js';

/** Point estimates of one group. */
export interface PointMetrics {
  values: Record<MetricKey, MetricValue>;
  confusion: Confusion | null;
}

/**
 * Every registry metric of a group. The thresholded metrics read metrics' classificationFromConfusion on the
 * kernel's counts; paired AUC and 2AFC its Mann–Whitney counts; for two-class groups, the ranking and
 * calibration metrics read metrics' functions on the group's labels and scores (`twoClass`, rank order).
 * `threshold` without a value blanks the thresholded metrics with its reason. Fake-only groups report only the
 * registry's fakeOnly metrics; the rest is blank with a reason, because reals carry no value of the slice's
 * column (their "accuracy" would be recall again, their precision trivially 1).
 */
export function pointMetrics(
  stats: GroupStats,
  twoClass: { labels: Uint8Array; scores: Float64Array; ranked: RankedScores } | null,
  threshold: { value: number } | { reason: string },
  opts: { sliceColumn?: string },
): PointMetrics {
  const confusion: Confusion | null =
    'value' in threshold ? { tp: stats.tp, fn: stats.nFake - stats.tp, tn: twoClass ? stats.tn : 0, fp: twoClass ? stats.n - stats.nFake - stats.tn : 0 } : null;
  // as metrics' pairedFromSet words them
  const note = stats.nUnpaired > 0 ? `${stats.nUnpaired} fakes without a scored source real left out` : undefined;
  const paired = (v: number | string): MetricValue => (typeof v === 'number' ? defined(v, note) : undefinedValue(v));
  let cls: ClassificationMetrics | undefined;
  let curve: ClfCurve | undefined;
  const values = evaluateMetrics(METRIC_KEYS, {
    get cls() {
      return (cls ??= classificationFromConfusion(confusion!));
    },
    get curve() {
      return (curve ??= clfCurve(twoClass!.ranked));
    },
    get ece() {
      return eceFromBins(calibrationBins(twoClass!.scores, ECE_BINS), twoClass!.labels, twoClass!.scores, ECE_BINS);
    },
    get brier() {
      return brierFrom(twoClass!.labels, twoClass!.scores);
    },
    get twoAfc() {
      return paired(stats.twoAfc());
    },
    get pairedAuc() {
      return paired(stats.pairedAuc());
    },
  }, (key) => {
    const def = metricDef(key);
    if (!twoClass && key === 'accuracy') return 'fake-only slice: accuracy would equal recall_fake';
    if (!twoClass && !def.fakeOnly) return `fake-only slice: reals carry no ${opts.sliceColumn ? `'${opts.sliceColumn}'` : 'value'}; see recall_fake, paired_auc and two_afc`;
    if (def.needs === 'threshold' && 'reason' in threshold) return threshold.reason;
    return undefined;
  });
  return { values, confusion };
}
