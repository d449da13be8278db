import {
  apFromCurve,
  aucFromCurve,
  brierFrom,
  calibrationBins,
  classificationFromConfusion,
  clfCurve,
  defined,
  ECE_BINS,
  eceFromBins,
  eerFromCurve,
  tprAtFprFromCurve,
  undefinedValue,
  type Confusion,
  type MetricValue,
  type RankedScores,
} from '../metrics/index.js';
import type { GroupStats } from './group-stats.js';

/**
 * The metrics a slice row reports: CSV column name → the field of metrics' SliceMetrics it mirrors.
 * Order here is column order in every report.
 */
export const SLICE_METRICS = [
  ['accuracy', 'accuracy'],
  ['balanced_accuracy', 'balancedAccuracy'],
  ['recall_fake', 'recallFake'],
  ['specificity_real', 'specificityReal'],
  ['precision', 'precision'],
  ['f1', 'f1Fake'],
  ['f1_macro', 'f1Macro'],
  ['auc', 'auc'],
  ['ap', 'ap'],
  ['eer', 'eer'],
  ['tpr_at_fpr_1pct', 'tprAtFpr1'],
  ['tpr_at_fpr_5pct', 'tprAtFpr5'],
  ['paired_auc', 'pairedAuc'],
  ['two_afc', 'twoAfc'],
  ['ece', 'ece'],
  ['brier', 'brier'],
] as const;

export type MetricKey = (typeof SLICE_METRICS)[number][0];
export const METRIC_KEYS: MetricKey[] = SLICE_METRICS.map(([key]) => key);

/** Metrics that need a threshold. */
export const THRESHOLDED: ReadonlySet<MetricKey> = new Set(['accuracy', 'balanced_accuracy', 'recall_fake', 'specificity_real', 'precision', 'f1', 'f1_macro']);

/** What a fake-only slice reports: recall at the run's threshold and the paired metrics. */
export const FAKE_ONLY_METRICS: ReadonlySet<MetricKey> = new Set(['recall_fake', 'paired_auc', 'two_afc']);

/** Point estimates of one group. */
export interface PointMetrics {
  values: Record<MetricKey, MetricValue>;
  confusion: Confusion | null;
}

/**
 * Every metric of a group. Thresholded metrics come from metrics' classificationFromConfusion on the
 * kernel's counts; paired AUC and 2AFC from its Mann–Whitney counts; for two-class groups, AUC, AP, EER,
 * TPR@FPR, ECE and Brier from metrics' functions on the group's labels and scores (`twoClass`, rank order).
 * `threshold` without a value blanks the thresholded metrics with its reason. Fake-only groups report
 * recall and the paired metrics; the rest is blank with a reason, because reals carry no value of the
 * slice's column (their "accuracy" would be recall again, their precision trivially 1).
 */
export function pointMetrics(
  stats: GroupStats,
  twoClass: { labels: Uint8Array; scores: Float64Array; ranked: RankedScores } | null,
  threshold: { value: number } | { reason: string },
  opts: { sliceColumn?: string },
): PointMetrics {
  const values = {} as Record<MetricKey, MetricValue>;
  let confusion: Confusion | null = null;
  if ('value' in threshold) {
    const nReal = stats.n - stats.nFake;
    confusion = { tp: stats.tp, fn: stats.nFake - stats.tp, tn: twoClass ? stats.tn : 0, fp: twoClass ? nReal - stats.tn : 0 };
    const c = classificationFromConfusion(confusion);
    values.accuracy = c.accuracy;
    values.balanced_accuracy = c.balancedAccuracy;
    values.recall_fake = c.fake.recall;
    values.specificity_real = c.real.recall;
    values.precision = c.fake.precision;
    values.f1 = c.fake.f1;
    values.f1_macro = c.macro.f1;
  } else {
    for (const key of THRESHOLDED) values[key] = undefinedValue(threshold.reason);
  }
  // as metrics' pairedFromSet words them
  const note = stats.nUnpaired > 0 ? `${stats.nUnpaired} fakes without a scored source real left out` : undefined;
  const pairedAuc = stats.pairedAuc();
  const twoAfc = stats.twoAfc();
  values.paired_auc = typeof pairedAuc === 'number' ? defined(pairedAuc, note) : undefinedValue(pairedAuc);
  values.two_afc = typeof twoAfc === 'number' ? defined(twoAfc, note) : undefinedValue(twoAfc);
  if (!twoClass) {
    const why = `fake-only slice: reals carry no ${opts.sliceColumn ? `'${opts.sliceColumn}'` : 'value'}; see paired_auc and two_afc`;
    for (const [key] of SLICE_METRICS) {
      if (FAKE_ONLY_METRICS.has(key)) continue;
      values[key] = undefinedValue(key === 'accuracy' ? 'fake-only slice: accuracy would equal recall_fake' : why);
    }
    return { values, confusion };
  }
  const curve = clfCurve(twoClass.ranked);
  values.auc = aucFromCurve(curve);
  values.ap = apFromCurve(curve);
  values.eer = eerFromCurve(curve);
  values.tpr_at_fpr_1pct = tprAtFprFromCurve(curve, 0.01);
  values.tpr_at_fpr_5pct = tprAtFprFromCurve(curve, 0.05);
  values.ece = eceFromBins(calibrationBins(twoClass.scores, ECE_BINS), twoClass.labels, twoClass.scores, ECE_BINS);
  values.brier = brierFrom(twoClass.labels, twoClass.scores);
  return { values, confusion };
}
