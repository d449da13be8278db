import { checkInput, type Labels, type Scores, type Weights } from './input.js';
import { defined, undefinedValue, type MetricValue } from './value.js';

/** Default number of equal-width ECE bins on [0, 1]. */
export const ECE_BINS = 15;

/**
 * The ECE bin of each score. Edges are e_i = i / bins (computed as that division, i = 0..bins). Bins are
 * right-inclusive, (e_b, e_{b+1}], as in Guo et al. 2017's reference code, except that a score of exactly 0
 * falls in the first bin (their code drops it). Equivalently b = #{interior edges e_1..e_{bins−1} < score},
 * which is numpy `searchsorted(edges[1:-1], score, side='left')` — how the goldens compute it.
 */
export function calibrationBins(scores: Scores, bins = ECE_BINS): Uint16Array {
  if (!Number.isInteger(bins) || bins < 1 || bins > 65535) throw new RangeError(`bins is ${bins}; expected an integer in [1, 65535]`);
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = i / bins;
  const out = new Uint16Array(scores.length);
  for (let k = 0; k < scores.length; k++) {
    const s = scores[k];
    // a first guess from arithmetic, then exact correction against the edges
    let b = Math.min(bins - 1, Math.max(0, Math.ceil(s * bins) - 1));
    while (b > 0 && !(edges[b] < s)) b--;
    while (b < bins - 1 && edges[b + 1] < s) b++;
    out[k] = b;
  }
  return out;
}

/**
 * Expected calibration error on P(fake), for a binary detector:
 * ECE = Σ_b (n_b / n) · |mean(label in b) − mean(score in b)|, over non-empty bins from {@link calibrationBins}.
 * This is the "positive-class" binary ECE (reliability of P(fake)), not the top-label ECE that uses
 * max(p, 1 − p). Weights count rows as multiplicities. Undefined only on an empty slice.
 */
export function expectedCalibrationError(
  labels: Labels,
  scores: Scores,
  opts: { bins?: number; weights?: Weights } = {},
): MetricValue {
  checkInput(labels, scores, opts.weights, { unitInterval: true });
  const bins = opts.bins ?? ECE_BINS;
  return eceFromBins(calibrationBins(scores, bins), labels, scores, bins, opts.weights);
}

/** {@link expectedCalibrationError} with precomputed bins (the bootstrap's fast path). */
export function eceFromBins(binOf: Uint16Array, labels: Labels, scores: Scores, bins: number, weights?: Weights): MetricValue {
  const count = new Float64Array(bins);
  const sumLabel = new Float64Array(bins);
  const sumScore = new Float64Array(bins);
  for (let i = 0; i < binOf.length; i++) {
    const w = weights === undefined ? 1 : weights[i];
    if (w === 0) continue;
    const b = binOf[i];
    count[b] += w;
    sumLabel[b] += w * labels[i];
    sumScore[b] += w * scores[i];
  }
  return eceFromSums(count, sumLabel, sumScore);
}

/** ECE from per-bin (weighted) row counts, label sums and score sums. */
export function eceFromSums(count: ArrayLike<number>, sumLabel: ArrayLike<number>, sumScore: ArrayLike<number>): MetricValue {
  let total = 0;
  for (let b = 0; b < count.length; b++) total += count[b];
  if (total === 0) return undefinedValue('empty slice');
  let ece = 0;
  for (let b = 0; b < count.length; b++) {
    if (count[b] > 0) ece += (count[b] / total) * Math.abs(sumLabel[b] / count[b] - sumScore[b] / count[b]);
  }
  return defined(ece);
}

/**
 * Brier score, equal to sklearn `brier_score_loss(y_true, y_prob)` with fake as the positive class:
 * the (weighted) mean of (score − label)². Defined on single-class slices; undefined only when empty.
 */
export function brierScore(labels: Labels, scores: Scores, opts: { weights?: Weights } = {}): MetricValue {
  checkInput(labels, scores, opts.weights, { unitInterval: true });
  return brierFrom(labels, scores, opts.weights);
}

/** {@link brierScore} without input checks (the bootstrap's fast path). */
export function brierFrom(labels: Labels, scores: Scores, weights?: Weights): MetricValue {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weights === undefined ? 1 : weights[i];
    const d = scores[i] - labels[i];
    sum += w * d * d;
    total += w;
  }
  return total === 0 ? undefinedValue('empty slice') : defined(sum / total);
}
