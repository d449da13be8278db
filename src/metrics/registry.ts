import type { ClassificationMetrics, Confusion } from './classification.js';
import type { ClfCurve } from './curve.js';
import { apFromCurve, aucFromCurve, eerFromCurve, tprAtFprFromCurve } from './ranking.js';
import { defined, undefinedValue, type MetricValue } from './value.js';

/**
 * The metric registry: every metric a slice reports is one entry here (in the spirit of lm-evaluation-harness's
 * metric/aggregation registry), and every engine reads it — computeMetrics and its bootstrap kernel, the
 * report's rank-once group engine with its normal intervals, compare's paired bootstrap, the CSV columns,
 * results.json, summary.md. Adding a metric is adding an entry.
 */

/** What a metric's point function reads. Engines fill these lazily: only what the wanted metrics need is computed. */
export interface MetricInputs {
  /** Classification at the run's threshold (weighted counts on a resample). */
  readonly cls: ClassificationMetrics;
  /** The group's ranking curve (fakes against reals). */
  readonly curve: ClfCurve;
  readonly ece: MetricValue;
  readonly brier: MetricValue;
  /** Fakes against their own source reals (metrics/paired.ts). */
  readonly twoAfc: MetricValue;
  readonly pairedAuc: MetricValue;
}

/** The counts a proportion metric is k of n of. */
export interface ProportionCounts {
  confusion: Confusion;
  /** Σ 2AFC credit of the paired fakes (1 win, ½ tie) and how many there are. */
  wins: number;
  pairedFakes: number;
}

/** One source image's (cluster's) sums, from which the cluster-robust normal interval linearises a ratio metric. */
export interface ClusterSums {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  fakes: number;
  reals: number;
  size: number;
  /** Σ (score − label)². */
  se: number;
  /** Σ 2AFC credit of the paired fakes (1 win, ½ tie). */
  wins: number;
  pairedFakes: number;
}

/**
 * A weighted sum of a cluster's sums, e.g. { tp: 2, fp: 1, fn: 1 } is 2·tp + fp + fn: plain data, so that the
 * interval kernel evaluates it column by column over all clusters without a call per cluster.
 */
export type LinearSum = Readonly<Partial<Record<keyof ClusterSums, number>>>;

/** `form`'s value for the sums `s` (in the form's key order). */
export function linearSum(form: LinearSum, s: ClusterSums): number {
  let v = 0;
  for (const key in form) v += form[key as keyof ClusterSums]! * s[key as keyof ClusterSums];
  return v;
}

/**
 * How the cluster-robust normal interval linearises a metric: a weighted sum of ratios Σ_j w_j·num_j/den_j of
 * per-cluster sums (influence z_c = Σ_j w_j (num_j(c) − R_j·den_j(c)) / den_j(total); a ratio whose total
 * denominator is 0 is left out and the weights renormalised), or an AUC by its
 * placement values (clustered DeLong, Obuchowski 1997), of the group ('group') or of the paired set ('paired').
 */
export type NormalSpec =
  | { ratios: readonly { num: LinearSum; den: LinearSum; weight: number }[] }
  | { auc: 'group' | 'paired' };

export interface MetricDef {
  /** Column name in every report (CSV, results.json, --metrics). */
  key: string;
  /** Short table header (summary.md, terminal). */
  label: string;
  /** One line: what it is, as sklearn or the paper defines it. */
  describe: string;
  higherIsBetter: boolean;
  /** What the point function reads: engines compute only these inputs, and blank 'threshold' metrics without one. */
  needs: 'threshold' | 'ranking' | 'calibration' | 'paired';
  /** Reported on fake-only slices (where reals carry no value of the slice's column). */
  fakeOnly: boolean;
  /** When the value is null (the point function gives the reason). */
  undefinedWhen: string;
  value(x: MetricInputs): MetricValue;
  /** The cluster-robust normal interval (groups too large for the bootstrap); absent: none, with a reason. */
  normal?: NormalSpec;
  /**
   * A proportion k of n rows: where the bootstrap (or normal) interval degenerates to zero width (8/8 → [1, 1]),
   * the Wilson score interval on k of n is given instead (ci_method 'wilson'). A metric without it gets no
   * interval there, with the reason.
   */
  proportion?: (x: ProportionCounts) => { k: number; n: number };
  /** In summary.md's overall table and compare's default metrics. */
  headline: boolean;
}

const ratio = (num: LinearSum, den: LinearSum, weight = 1) => ({ num, den, weight });

export const METRICS = [
  {
    key: 'accuracy',
    label: 'acc',
    describe: 'share of rows classified correctly (sklearn accuracy_score)',
    higherIsBetter: true,
    needs: 'threshold',
    fakeOnly: false,
    undefinedWhen: 'empty slice',
    value: (x) => x.cls.accuracy,
    normal: { ratios: [ratio({ tp: 1, tn: 1 }, { size: 1 })] },
    proportion: ({ confusion: c }) => ({ k: c.tp + c.tn, n: c.tp + c.fp + c.tn + c.fn }),
    headline: true,
  },
  {
    key: 'balanced_accuracy',
    label: 'bal. acc',
    describe: 'mean of recall on fakes and on reals, over the classes present (sklearn balanced_accuracy_score)',
    higherIsBetter: true,
    needs: 'threshold',
    fakeOnly: false,
    undefinedWhen: 'empty slice',
    value: ({ cls }) => {
      const present = [cls.real, cls.fake].filter((k) => k.support > 0);
      if (present.length === 0) return undefinedValue('empty slice');
      if (present.length === 2) return defined((cls.real.recall.value! + cls.fake.recall.value!) / 2);
      const only = present[0] === cls.fake ? 'fakes' : 'reals';
      return defined(present[0].recall.value!, `single class (only ${only}): equals ${only === 'fakes' ? 'recall on fakes' : 'specificity on reals'}, as sklearn`);
    },
    normal: { ratios: [ratio({ tp: 1 }, { fakes: 1 }, 0.5), ratio({ tn: 1 }, { reals: 1 }, 0.5)] },
    headline: true,
  },
  {
    key: 'recall_fake',
    label: 'recall fake',
    describe: 'TPR: share of fakes flagged (sklearn recall_score, pos_label fake)',
    higherIsBetter: true,
    needs: 'threshold',
    fakeOnly: true,
    undefinedWhen: 'no fakes in the slice',
    value: (x) => x.cls.fake.recall,
    normal: { ratios: [ratio({ tp: 1 }, { fakes: 1 })] },
    proportion: ({ confusion: c }) => ({ k: c.tp, n: c.tp + c.fn }),
    headline: true,
  },
  {
    key: 'specificity_real',
    label: 'spec. real',
    describe: 'TNR: share of reals passed as real (sklearn recall_score, pos_label real)',
    higherIsBetter: true,
    needs: 'threshold',
    fakeOnly: false,
    undefinedWhen: 'no reals in the slice',
    value: (x) => x.cls.real.recall,
    normal: { ratios: [ratio({ tn: 1 }, { reals: 1 })] },
    proportion: ({ confusion: c }) => ({ k: c.tn, n: c.tn + c.fp }),
    headline: true,
  },
  {
    key: 'precision',
    label: 'precision',
    describe: 'share of flagged rows that are fake (sklearn precision_score)',
    higherIsBetter: true,
    needs: 'threshold',
    fakeOnly: false,
    undefinedWhen: 'no row predicted fake',
    value: (x) => x.cls.fake.precision,
    normal: { ratios: [ratio({ tp: 1 }, { tp: 1, fp: 1 })] },
    proportion: ({ confusion: c }) => ({ k: c.tp, n: c.tp + c.fp }),
    headline: false,
  },
  {
    key: 'f1',
    label: 'F1',
    describe: 'F1 on the fake class (sklearn f1_score)',
    higherIsBetter: true,
    needs: 'threshold',
    fakeOnly: false,
    undefinedWhen: 'no fakes in labels or predictions',
    value: (x) => x.cls.fake.f1,
    normal: { ratios: [ratio({ tp: 2 }, { tp: 2, fp: 1, fn: 1 })] },
    headline: false,
  },
  {
    key: 'f1_macro',
    label: 'F1 macro',
    describe: 'F1 averaged over the classes present (sklearn f1_score average=macro)',
    higherIsBetter: true,
    needs: 'threshold',
    fakeOnly: false,
    undefinedWhen: 'empty slice',
    value: (x) => x.cls.macro.f1,
    headline: false,
  },
  {
    key: 'auc',
    label: 'AUC',
    describe: 'ROC AUC, ties as midranks (sklearn roc_auc_score)',
    higherIsBetter: true,
    needs: 'ranking',
    fakeOnly: false,
    undefinedWhen: 'single class',
    value: (x) => aucFromCurve(x.curve),
    normal: { auc: 'group' },
    headline: true,
  },
  {
    key: 'ap',
    label: 'AP',
    describe: 'average precision, step-wise (sklearn average_precision_score)',
    higherIsBetter: true,
    needs: 'ranking',
    fakeOnly: false,
    undefinedWhen: 'single class',
    value: (x) => apFromCurve(x.curve),
    headline: true,
  },
  {
    key: 'eer',
    label: 'EER',
    describe: 'equal error rate: FPR = FNR, linear interpolation on the ROC',
    higherIsBetter: false,
    needs: 'ranking',
    fakeOnly: false,
    undefinedWhen: 'single class',
    value: (x) => eerFromCurve(x.curve),
    headline: true,
  },
  {
    key: 'tpr_at_fpr_1pct',
    label: 'TPR@1%FPR',
    describe: 'best TPR with FPR <= 1% (ROC point, no interpolation)',
    higherIsBetter: true,
    needs: 'ranking',
    fakeOnly: false,
    undefinedWhen: 'single class',
    value: (x) => tprAtFprFromCurve(x.curve, 0.01),
    headline: false,
  },
  {
    key: 'tpr_at_fpr_5pct',
    label: 'TPR@5%FPR',
    describe: 'best TPR with FPR <= 5% (ROC point, no interpolation)',
    higherIsBetter: true,
    needs: 'ranking',
    fakeOnly: false,
    undefinedWhen: 'single class',
    value: (x) => tprAtFprFromCurve(x.curve, 0.05),
    headline: true,
  },
  {
    key: 'paired_auc',
    label: 'paired AUC',
    describe: "AUC of the slice's fakes against their own source reals (each real once)",
    higherIsBetter: true,
    needs: 'paired',
    fakeOnly: true,
    undefinedWhen: 'no fake has a scored source real',
    value: (x) => x.pairedAuc,
    normal: { auc: 'paired' },
    headline: true,
  },
  {
    key: 'two_afc',
    label: '2AFC',
    describe: 'share of fakes scored above their own source real (ties ½)',
    higherIsBetter: true,
    needs: 'paired',
    fakeOnly: true,
    undefinedWhen: 'no fake has a scored source real',
    value: (x) => x.twoAfc,
    normal: { ratios: [ratio({ wins: 1 }, { pairedFakes: 1 })] },
    proportion: ({ wins, pairedFakes }) => ({ k: wins, n: pairedFakes }),
    headline: true,
  },
  {
    key: 'ece',
    label: 'ECE',
    describe: 'expected calibration error, 15 equal-width bins on P(fake)',
    higherIsBetter: false,
    needs: 'calibration',
    fakeOnly: false,
    undefinedWhen: 'empty slice',
    value: (x) => x.ece,
    headline: true,
  },
  {
    key: 'brier',
    label: 'Brier',
    describe: 'mean (P(fake) − label)² (sklearn brier_score_loss)',
    higherIsBetter: false,
    needs: 'calibration',
    fakeOnly: false,
    undefinedWhen: 'empty slice',
    value: (x) => x.brier,
    normal: { ratios: [ratio({ se: 1 }, { size: 1 })] },
    headline: false,
  },
] as const satisfies readonly MetricDef[];

export type MetricKey = (typeof METRICS)[number]['key'];

/** Every metric key, in report column order. */
export const METRIC_KEYS: readonly MetricKey[] = METRICS.map((m) => m.key);

const BY_KEY = new Map<string, MetricDef>(METRICS.map((m) => [m.key, m]));

/** The entry of `key` (throws on an unknown key: a bug, user input is checked against METRIC_KEYS). */
export function metricDef(key: MetricKey): MetricDef {
  return BY_KEY.get(key)!;
}

/**
 * The point values of `keys` from lazily computed inputs. `blank` gives the engine's reason a metric has no
 * value here (no threshold, a fake-only slice), or undefined to compute it.
 */
export function evaluateMetrics(keys: readonly MetricKey[], x: MetricInputs, blank?: (key: MetricKey) => string | undefined): Record<MetricKey, MetricValue> {
  const out = {} as Record<MetricKey, MetricValue>;
  for (const k of keys) {
    const reason = blank?.(k);
    out[k] = reason === undefined ? metricDef(k).value(x) : undefinedValue(reason);
  }
  return out;
}
