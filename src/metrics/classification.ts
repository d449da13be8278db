import { checkInput, type Labels, type Scores, type Weights } from './input.js';
import { defined, undefinedValue, type MetricValue } from './value.js';

/**
 * What to do with a 0/0 precision, recall or F1.
 *
 * - `'undefined'` (default): the value is `null` with a reason. Per class this is what sklearn >= 1.3 gives with
 *   `zero_division=np.nan`. A macro average is `null` when any class it averages is `null` (stricter than
 *   sklearn >= 1.3, which skips NaN classes: we would rather show a gap than a mean over one class).
 * - `0` or `1`: substitute that number, exactly as sklearn 1.2's `zero_division=0|1`; `0` is also what sklearn's
 *   default `zero_division="warn"` returns, so `0` reproduces the Semi-Truths notebook's tables. The substituted
 *   value carries a `note` saying so.
 */
export type ZeroDivision = 'undefined' | 0 | 1;

/** Confusion counts with fake (label 1) as the positive class. Weighted counts when weights are given. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Precision, recall, F1 and support of one class, treating that class as positive. */
export interface ClassScores {
  precision: MetricValue;
  recall: MetricValue;
  f1: MetricValue;
  /** Rows whose true label is this class. */
  support: number;
}

/** Every thresholded metric of a binary detector. */
export interface ClassificationMetrics {
  confusion: Confusion;
  /** sklearn `accuracy_score`. */
  accuracy: MetricValue;
  /** Class 0. `real.recall` is the specificity on reals (TNR). */
  real: ClassScores;
  /** Class 1. `fake.recall` is the recall on fakes (TPR); `fake.precision` is the usual "precision". */
  fake: ClassScores;
  /** sklearn `precision_recall_fscore_support(average='macro')`, labels = classes in labels ∪ predictions. */
  macro: { precision: MetricValue; recall: MetricValue; f1: MetricValue };
}

/**
 * Confusion counts at `threshold`: a row is predicted fake iff `score >= threshold`, as the Semi-Truths stress
 * test does (`prob >= 0.5`). Weights (bootstrap multiplicities) scale each row's contribution.
 */
export function confusionAt(labels: Labels, scores: Scores, threshold: number, weights?: Weights): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const w = weights === undefined ? 1 : weights[i];
    const predFake = scores[i] >= threshold;
    if (labels[i] === 1) {
      if (predFake) tp += w;
      else fn += w;
    } else if (predFake) fp += w;
    else tn += w;
  }
  return { tp, fp, tn, fn };
}

/**
 * All thresholded metrics of `scores` against `labels` at `threshold` (fake iff `score >= threshold`).
 * Mirrors sklearn `accuracy_score` and `precision_recall_fscore_support`
 * (per class with `labels=[0, 1]`; macro with `labels=None`), see {@link ZeroDivision} for 0/0 cells.
 */
export function classificationMetrics(
  labels: Labels,
  scores: Scores,
  threshold: number,
  opts: { zeroDivision?: ZeroDivision; weights?: Weights } = {},
): ClassificationMetrics {
  checkInput(labels, scores, opts.weights);
  return classificationFromConfusion(confusionAt(labels, scores, threshold, opts.weights), opts);
}

/** {@link classificationMetrics} from confusion counts (the bootstrap's fast path). */
export function classificationFromConfusion(c: Confusion, opts: { zeroDivision?: ZeroDivision } = {}): ClassificationMetrics {
  const zd = opts.zeroDivision ?? 'undefined';
  const n = c.tp + c.fp + c.tn + c.fn;
  const fake = classScores('fake', c.tp, c.tp + c.fp, c.tp + c.fn, zd);
  const real = classScores('real', c.tn, c.tn + c.fn, c.tn + c.fp, zd);
  return {
    confusion: { ...c },
    accuracy: n === 0 ? undefinedValue('empty slice') : defined((c.tp + c.tn) / n),
    real,
    fake,
    macro: macroAverage(
      [
        { name: 'real', scores: real, present: c.tn + c.fp > 0 || c.tn + c.fn > 0 },
        { name: 'fake', scores: fake, present: c.tp + c.fn > 0 || c.tp + c.fp > 0 },
      ],
      n,
    ),
  };
}

function classScores(name: string, tp: number, predicted: number, actual: number, zd: ZeroDivision): ClassScores {
  const precision = ratio(tp, predicted, `no rows predicted ${name}`, zd, 'precision');
  const recall = ratio(tp, actual, `no ${name}s in the slice`, zd, 'recall');
  return { precision, recall, f1: f1Score(name, precision, recall, tp, predicted, actual, zd), support: actual };
}

function ratio(num: number, den: number, why: string, zd: ZeroDivision, what: string): MetricValue {
  if (den > 0) return defined(num / den);
  if (zd === 'undefined') return undefinedValue(why);
  return defined(zd, `${what} ill-defined (${why}); set to ${zd} as sklearn zero_division=${zd}`);
}

/**
 * F1 as sklearn 1.2 computes it: 2·p·r / (p + r), with 0/0 precision or recall first replaced by zero_division
 * and a zero denominator replaced by 1. Mathematically F1 = 2tp / (2tp + fp + fn), so it is only undefined
 * when the class is absent from both labels and predictions; a 0/0 precision or recall alone still gives 0.
 */
function f1Score(
  name: string,
  p: MetricValue,
  r: MetricValue,
  tp: number,
  predicted: number,
  actual: number,
  zd: ZeroDivision,
): MetricValue {
  if (predicted === 0 && actual === 0) {
    if (zd === 'undefined') return undefinedValue(`no ${name}s in labels or predictions`);
    return defined(zd, `F1 ill-defined (no ${name}s in labels or predictions); set to ${zd} as sklearn zero_division=${zd}`);
  }
  if (p.value === null || r.value === null) return defined(0); // tp = 0 here, so 2tp/(2tp+fp+fn) = 0
  const denom = p.value + r.value;
  // same operation order as sklearn: (1 + beta²)·p·r / denom
  return defined(denom === 0 ? 0 : (2 * p.value * r.value) / denom);
}

function macroAverage(
  classes: { name: string; scores: ClassScores; present: boolean }[],
  n: number,
): ClassificationMetrics['macro'] {
  // sklearn's labels=None averages over the classes seen in y_true ∪ y_pred.
  const used = classes.filter((k) => k.present);
  const average = (pick: (s: ClassScores) => MetricValue, what: string): MetricValue => {
    if (n === 0 || used.length === 0) return undefinedValue('empty slice');
    let sum = 0;
    for (const k of used) {
      const v = pick(k.scores);
      if (v.value === null) return undefinedValue(`${what} undefined for class ${k.name}: ${v.reason}`);
      sum += v.value;
    }
    const note = used.length === 1 ? `only class ${used[0].name} in labels and predictions: average of one class, as sklearn` : undefined;
    return defined(sum / used.length, note);
  };
  return {
    precision: average((s) => s.precision, 'precision'),
    recall: average((s) => s.recall, 'recall'),
    f1: average((s) => s.f1, 'F1'),
  };
}
