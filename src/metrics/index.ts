/**
 * Metrics for binary AI-generated-image detectors: pure functions over labels (0 real, 1 fake) and scores
 * (P(fake)), no I/O. Definitions, in one place (details on each export):
 *
 * - Every metric a slice reports is one entry of the registry (registry.ts): its point function, interval
 *   rules and direction; every engine reads it.
 * - Thresholded metrics predict fake iff score >= threshold, as the Semi-Truths stress test does; they mirror
 *   sklearn (accuracy_score, precision_recall_fscore_support). A 0/0 value is `null`
 *   with a reason by default, or sklearn's zero_division=0|1 substitute on request (ZeroDivision).
 * - AUC and AP equal sklearn roc_auc_score / average_precision_score (ties as midranks; AP step-wise).
 * - EER: FPR = FNR by linear interpolation on the full ROC. TPR@FPR x: best ROC point with FPR <= x, no
 *   interpolation.
 * - ECE: 15 equal-width bins on P(fake), right-inclusive (0 in the first bin). Brier: sklearn brier_score_loss.
 * - Paired (fake-only slices): 2AFC vs each fake's own real, and AUC vs the set of source reals.
 * - Intervals: 95% percentile cluster bootstrap over pairId (a real and its edits move together), seeded
 *   xoshiro128**, 1000 resamples by default; undefined resamples are skipped and counted. A proportion whose
 *   interval degenerates to zero width (8/8) gets the Wilson score interval instead.
 * - Threshold policies: "0.5" (any fixed number), "native", "fpr@X", "oracle" (flagged optimistic).
 *
 * The numbers are checked against sklearn 1.2.1 / numpy goldens (tools/parity/make_metric_goldens.py).
 */
export type { MetricValue } from './value.js';
export { defined, undefinedValue, valueOrNaN } from './value.js';
export type { Labels, Scores, Weights } from './input.js';
export type { ClassScores, ClassificationMetrics, Confusion, ZeroDivision } from './classification.js';
export { classificationFromConfusion, classificationMetrics, confusionAt } from './classification.js';
export type { ClfCurve, ClusteredRanking, RankedScores } from './curve.js';
export { clfCurve, clfCurveClustered, clusterRanking, rankScores } from './curve.js';
export type { RocCurve } from './ranking.js';
export {
  apFromCurve,
  aucFromCurve,
  averagePrecision,
  eerFromCurve,
  equalErrorRate,
  rocAuc,
  rocCurve,
  tprAtFpr,
  tprAtFprFromCurve,
} from './ranking.js';
export type { PairedMetrics, PairedSet } from './paired.js';
export { pairedFromSet, pairedMetrics, pairedSet } from './paired.js';
export { brierFrom, brierScore, calibrationBins, ECE_BINS, eceFromBins, eceFromSums, expectedCalibrationError } from './calibration.js';
export { Xoshiro128 } from '../util/random.js';
export type { BootstrapInterval, BootstrapOptions, ResampleValue } from './bootstrap.js';
export { bootstrap, bootstrapCI, percentile, Resample } from './bootstrap.js';
export type { ClusterIndex } from './clusters.js';
export { clusterIndex, fromClusterOf, rowClusters } from './clusters.js';
export type { ParsedPolicy, ResolvedThreshold, ThresholdPolicy } from './thresholds.js';
export { nextUp, parseThresholdPolicy, resolveThreshold } from './thresholds.js';
export type { ClusterSums, LinearSum, MetricDef, MetricInputs, MetricKey, NormalSpec, ProportionCounts } from './registry.js';
export { evaluateMetrics, linearSum, metricDef, METRIC_KEYS, METRICS } from './registry.js';
export { wilsonInterval, Z95 } from './proportion.js';
export type { ComputeMetricsOptions, Estimate, MetricColumns, MetricRow, SliceMetrics } from './slice-metrics.js';
export { computeMetrics, sliceKernel } from './slice-metrics.js';
export type { SliceKernel } from './slice-kernel.js';
