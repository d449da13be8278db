import { clfCurve, rankScores, type ClfCurve } from './curve.js';
import { checkInput, twoClassReason, type Labels, type Scores, type Weights } from './input.js';
import { defined, undefinedValue, type MetricValue } from './value.js';

/**
 * Threshold-free (ranking) metrics. All of them are undefined on a single-class or empty slice, with the reason
 * "single class: no reals" / "single class: no fakes" / "empty slice". (sklearn raises for AUC, and for AP
 * returns 1.0 with no reals or 0 with a warning with no fakes; neither number says anything, so we return none.)
 */

/** sklearn `roc_curve` output. `thresholds[0]` is +Infinity (sklearn >= 1.3; sklearn 1.2 used max score + 1). */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** A point is (fpr, tpr) of the rule "fake iff score >= threshold". */
  thresholds: Float64Array;
}

function curveOf(labels: Labels, scores: Scores, weights?: Weights): ClfCurve {
  checkInput(labels, scores, weights);
  return clfCurve(rankScores(labels, scores), weights);
}

function curveReason(curve: ClfCurve): string | undefined {
  const last = curve.tps.length - 1;
  return last < 0 ? 'empty slice' : twoClassReason(curve.fps[last], curve.tps[last]);
}

/**
 * ROC curve, mirroring sklearn `roc_curve(y_true, y_score, drop_intermediate=...)`: one point per distinct
 * score plus a leading (0, 0). `dropIntermediate` (default false) drops collinear points exactly as sklearn's
 * `drop_intermediate=True` does. Returns `{ reason }` on a single-class or empty slice.
 */
export function rocCurve(
  labels: Labels,
  scores: Scores,
  opts: { dropIntermediate?: boolean; weights?: Weights } = {},
): RocCurve | { reason: string } {
  const curve = curveOf(labels, scores, opts.weights);
  const reason = curveReason(curve);
  if (reason !== undefined) return { reason };
  // as sklearn drops zero-weight rows first, drop the groups they leave unchanged
  let keep = Array.from(curve.fps.keys()).filter(
    (g) => (g === 0 ? curve.fps[0] + curve.tps[0] : curve.fps[g] - curve.fps[g - 1] + (curve.tps[g] - curve.tps[g - 1])) > 0,
  );
  if (opts.dropIntermediate && keep.length > 2) {
    // sklearn: keep the ends and every point where the second difference of fps or tps is non-zero
    const { fps, tps } = curve;
    const kept = keep;
    keep = kept.filter((g, k) => {
      if (k === 0 || k === kept.length - 1) return true;
      const a = kept[k - 1];
      const c = kept[k + 1];
      return fps[c] - fps[g] - (fps[g] - fps[a]) !== 0 || tps[c] - tps[g] - (tps[g] - tps[a]) !== 0;
    });
  }
  const m = keep.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const thresholds = new Float64Array(m);
  const nNeg = curve.fps[curve.fps.length - 1];
  const nPos = curve.tps[curve.tps.length - 1];
  thresholds[0] = Infinity;
  keep.forEach((i, k) => {
    fpr[k + 1] = curve.fps[i] / nNeg;
    tpr[k + 1] = curve.tps[i] / nPos;
    thresholds[k + 1] = curve.thresholds[i];
  });
  return { fpr, tpr, thresholds };
}

/**
 * ROC AUC, equal to sklearn `roc_auc_score`: the trapezoidal area under the full ROC curve. Tied scores form one
 * diagonal segment, which is the same as counting a tied (fake, real) pair as 1/2 (Mann–Whitney midranks).
 */
export function rocAuc(labels: Labels, scores: Scores, opts: { weights?: Weights } = {}): MetricValue {
  return aucFromCurve(curveOf(labels, scores, opts.weights));
}

/** {@link rocAuc} from a prebuilt curve (the bootstrap's fast path). */
export function aucFromCurve(curve: ClfCurve): MetricValue {
  const reason = curveReason(curve);
  if (reason !== undefined) return undefinedValue(reason);
  const { fps, tps } = curve;
  const nNeg = fps[fps.length - 1];
  const nPos = tps[tps.length - 1];
  let area = 0;
  let x0 = 0;
  let y0 = 0;
  for (let g = 0; g < fps.length; g++) {
    const x1 = fps[g] / nNeg;
    const y1 = tps[g] / nPos;
    area += ((x1 - x0) * (y1 + y0)) / 2; // numpy.trapz, term by term
    x0 = x1;
    y0 = y1;
  }
  return defined(area);
}

/**
 * Average precision, equal to sklearn `average_precision_score`: the step-wise sum Σ (R_k − R_{k−1}) · P_k over
 * distinct thresholds, highest first. Not interpolated (no running max of precision).
 */
export function averagePrecision(labels: Labels, scores: Scores, opts: { weights?: Weights } = {}): MetricValue {
  return apFromCurve(curveOf(labels, scores, opts.weights));
}

/** {@link averagePrecision} from a prebuilt curve. */
export function apFromCurve(curve: ClfCurve): MetricValue {
  const reason = curveReason(curve);
  if (reason !== undefined) return undefinedValue(reason);
  const { fps, tps } = curve;
  const nPos = tps[tps.length - 1];
  let ap = 0;
  let r0 = 0;
  for (let g = 0; g < tps.length; g++) {
    const r1 = tps[g] / nPos;
    const predicted = tps[g] + fps[g];
    // a zero-weight leading group has recall step 0; skip it rather than multiply by a 0/0 precision
    if (r1 !== r0 && predicted > 0) ap += (r1 - r0) * (tps[g] / predicted);
    r0 = r1;
  }
  return defined(ap);
}

/**
 * Equal error rate: the rate at which FPR = FNR (FNR = 1 − TPR), found by linear interpolation on the full ROC
 * curve (every distinct score, plus (0, 0)). Along the curve FNR − FPR falls from 1 to −1; take the first point
 * k where it is <= 0 and interpolate between points k−1 and k:
 * t = d_{k−1} / (d_{k−1} − d_k), EER = FPR_{k−1} + t · (FPR_k − FPR_{k−1}). On that segment FPR = FNR exactly.
 */
export function equalErrorRate(labels: Labels, scores: Scores, opts: { weights?: Weights } = {}): MetricValue {
  return eerFromCurve(curveOf(labels, scores, opts.weights));
}

/** {@link equalErrorRate} from a prebuilt curve. */
export function eerFromCurve(curve: ClfCurve): MetricValue {
  const reason = curveReason(curve);
  if (reason !== undefined) return undefinedValue(reason);
  const { fps, tps } = curve;
  const nNeg = fps[fps.length - 1];
  const nPos = tps[tps.length - 1];
  let x0 = 0;
  let d0 = 1; // at (0, 0): FNR − FPR = 1
  for (let g = 0; g < fps.length; g++) {
    const x1 = fps[g] / nNeg;
    const d1 = 1 - tps[g] / nPos - x1;
    if (d1 <= 0) {
      const t = d0 / (d0 - d1);
      return defined(x0 + t * (x1 - x0));
    }
    x0 = x1;
    d0 = d1;
  }
  // the last point is (1, 1), where d = −1, so the loop always returns
  throw new Error('unreachable: ROC curve did not cross FPR = FNR');
}

/**
 * TPR at FPR <= `maxFpr`: the highest TPR among the ROC points (sklearn `roc_curve`, all distinct scores, plus
 * (0, 0)) whose FPR is <= `maxFpr`. Not interpolated: it is a TPR some real threshold achieves, so it never
 * overstates what a deployed detector gets at that false-positive budget. Computed the same way in the goldens:
 * `tpr[fpr <= x].max()`.
 */
export function tprAtFpr(labels: Labels, scores: Scores, maxFpr: number, opts: { weights?: Weights } = {}): MetricValue {
  return tprAtFprFromCurve(curveOf(labels, scores, opts.weights), maxFpr);
}

/** {@link tprAtFpr} from a prebuilt curve. */
export function tprAtFprFromCurve(curve: ClfCurve, maxFpr: number): MetricValue {
  if (!(maxFpr >= 0 && maxFpr <= 1)) throw new RangeError(`maxFpr is ${maxFpr}; expected a number in [0, 1]`);
  const reason = curveReason(curve);
  if (reason !== undefined) return undefinedValue(reason);
  const { fps, tps } = curve;
  const nNeg = fps[fps.length - 1];
  const nPos = tps[tps.length - 1];
  let best = 0; // the (0, 0) point
  // fpr and tpr are both non-decreasing along the curve: the answer is the last point within budget
  for (let g = 0; g < fps.length && fps[g] / nNeg <= maxFpr; g++) best = tps[g] / nPos;
  return defined(best);
}
