import { bootstrap, type BootstrapInterval } from './bootstrap.js';
import { brierFrom, calibrationBins, eceFromBins, ECE_BINS } from './calibration.js';
import { classificationFromConfusion, confusionAt, type Confusion, type ZeroDivision } from './classification.js';
import { clusterIndex, rowClusters, type ClusterIndex } from './clusters.js';
import { clfCurve, rankScores, type ClfCurve } from './curve.js';
import { checkInput, type Labels, type Scores } from './input.js';
import { pairedFromSet, pairedSet, type PairedMetrics, type PairedSet } from './paired.js';
import { evaluateMetrics, METRIC_KEYS, type MetricKey } from './registry.js';
import { SliceKernel } from './slice-kernel.js';
import type { ResolvedThreshold } from './thresholds.js';
import { undefinedValue, type MetricValue } from './value.js';

/** One scored row of a slice. */
export interface MetricRow {
  label: number;
  score: number;
  /** Source real image id (Sample.pairId): the bootstrap cluster, and the key into `realScores`. */
  pairId?: string;
}

/** The same rows as columns (faster for large slices). */
export interface MetricColumns {
  labels: Labels;
  scores: Scores;
  pairIds?: ArrayLike<string>;
}

export interface ComputeMetricsOptions {
  /** Decision threshold (fake iff score >= value): a number, or one from resolveThreshold(). Default 0.5. */
  threshold?: number | ResolvedThreshold;
  /** Bootstrap resamples for the 95% intervals (default 1000); 0 turns intervals off. */
  resamples?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** Interval coverage (default 0.95). */
  level?: number;
  /** 0/0 handling for precision, recall, F1 (default 'undefined'; see ZeroDivision). */
  zeroDivision?: ZeroDivision;
  /** ECE bins (default 15). */
  eceBins?: number;
  /**
   * Real id → score for every real of the run. When given, the slice's fakes get paired AUC and 2AFC against
   * their own source reals (needs pairIds).
   */
  realScores?: ReadonlyMap<string, number>;
}

/** A metric on the slice with its bootstrap interval. */
export interface Estimate extends MetricValue {
  ci: BootstrapInterval | null;
  /** Why `ci` is null. */
  ciReason?: string;
}

/** Every metric of a slice: the numbers behind a Slice row (see docs/architecture.md). */
export interface SliceMetrics {
  n: number;
  nReal: number;
  nFake: number;
  threshold: ResolvedThreshold;
  confusion: Confusion;
  /** Every registry metric (metrics/registry.ts); the paired ones are undefined without `realScores`. */
  metrics: Record<MetricKey, Estimate>;
  /** Present when `realScores` was given. */
  paired?: { nPairedFakes: number; nReals: number; nUnpaired: number };
  bootstrap: {
    resamples: number;
    seed: number;
    level: number;
    /** What a cluster is: a source image ('pairId') or, without pairIds, a row ('row'). */
    unit: 'pairId' | 'row';
    clusters: number;
  };
}

/**
 * Every registry metric of one slice with its 95% percentile cluster-bootstrap interval (clusters = pairId, so a
 * real photo and all its edits are drawn together). The threshold is fixed before the bootstrap (resolve it on
 * the whole run with resolveThreshold) and not refitted per resample. A metric undefined on the slice has
 * `value: null`, a reason, and no interval; resamples where a metric is undefined are skipped and counted in
 * `ci.skipped`.
 */
export function computeMetrics(rows: readonly MetricRow[] | MetricColumns, opts: ComputeMetricsOptions = {}): SliceMetrics {
  const { labels, scores, pairIds } = toColumns(rows);
  checkInput(labels, scores, undefined, { unitInterval: true });
  const threshold = toThreshold(opts.threshold ?? 0.5);
  const resamples = opts.resamples ?? 1000;
  const seed = opts.seed ?? 0;
  const level = opts.level ?? 0.95;
  const bins = opts.eceBins ?? ECE_BINS;
  const n = labels.length;

  const clusters: ClusterIndex = pairIds ? clusterIndex(pairIds) : rowClusters(n);
  const paired = opts.realScores ? preparePaired(labels, scores, pairIds, opts.realScores, clusters) : undefined;

  // point estimates: the public, golden-tested metric functions on one shared ranking
  const ranked = rankScores(labels, scores);
  const c = confusionAt(labels, scores, threshold.value);
  let curve: ClfCurve | undefined;
  let p: PairedMetrics | undefined;
  const noPairs = undefinedValue('no realScores given');
  const point = evaluateMetrics(METRIC_KEYS, {
    cls: classificationFromConfusion(c, { zeroDivision: opts.zeroDivision }),
    get curve() {
      return (curve ??= clfCurve(ranked));
    },
    get ece() {
      return eceFromBins(calibrationBins(scores, bins), labels, scores, bins);
    },
    get brier() {
      return brierFrom(labels, scores);
    },
    get twoAfc() {
      return paired ? (p ??= pairedFromSet(paired.set)).twoAfc : noPairs;
    },
    get pairedAuc() {
      return paired ? (p ??= pairedFromSet(paired.set)).pairedAuc : noPairs;
    },
  });

  // intervals: only for metrics defined on the slice; each resample from per-cluster aggregates
  const wanted = METRIC_KEYS.filter((m) => point[m].value !== null);
  let intervals: Record<MetricKey, BootstrapInterval> | undefined;
  if (resamples > 0 && wanted.length > 0) {
    const kernel = new SliceKernel(labels, scores, ranked, threshold.value, clusters, bins, opts.zeroDivision, paired);
    intervals = bootstrap(clusters, (r) => kernel.evaluate(r.clusterCounts, wanted), { resamples, seed, level });
  }
  const metrics = {} as Record<MetricKey, Estimate>;
  for (const m of METRIC_KEYS) {
    const v = point[m];
    if (v.value === null) metrics[m] = { ...v, ci: null, ciReason: 'metric undefined on the slice' };
    else if (!intervals) metrics[m] = { ...v, ci: null, ciReason: 'bootstrap disabled (resamples = 0)' };
    else metrics[m] = intervals[m].lo === null ? { ...v, ci: null, ciReason: intervals[m].reason } : { ...v, ci: intervals[m] };
  }

  const result: SliceMetrics = {
    n,
    nReal: c.tn + c.fp,
    nFake: c.tp + c.fn,
    threshold,
    confusion: c,
    metrics,
    bootstrap: { resamples, seed, level, unit: pairIds ? 'pairId' : 'row', clusters: clusters.nClusters },
  };
  if (paired) {
    const { nPairedFakes, nReals, nUnpaired } = paired.set;
    result.paired = { nPairedFakes, nReals, nUnpaired };
  }
  return result;
}

/**
 * The bootstrap kernel computeMetrics resamples, and the clusters it is indexed by, for callers that draw the
 * clusters themselves: `compare` draws the source images of two runs together and evaluates each run's kernel
 * on its share of the draw.
 */
export function sliceKernel(
  columns: { labels: Labels; scores: Scores; pairIds: ArrayLike<string> },
  opts: { threshold: number; realScores?: ReadonlyMap<string, number>; eceBins?: number },
): { kernel: SliceKernel; clusters: ClusterIndex } {
  const { labels, scores, pairIds } = columns;
  checkInput(labels, scores, undefined, { unitInterval: true });
  const clusters = clusterIndex(pairIds);
  const paired = opts.realScores ? preparePaired(labels, scores, pairIds, opts.realScores, clusters) : undefined;
  const kernel = new SliceKernel(labels, scores, rankScores(labels, scores), opts.threshold, clusters, opts.eceBins ?? ECE_BINS, undefined, paired);
  return { kernel, clusters };
}

function toColumns(rows: readonly MetricRow[] | MetricColumns): { labels: Labels; scores: Scores; pairIds?: ArrayLike<string> } {
  if (!Array.isArray(rows)) return rows as MetricColumns;
  const list = rows as readonly MetricRow[];
  const labels = new Uint8Array(list.length);
  const scores = new Float64Array(list.length);
  const ids: string[] = [];
  let missing = 0;
  list.forEach((row, i) => {
    if (row.label !== 0 && row.label !== 1) throw new RangeError(`label at row ${i} is ${row.label}; expected 0 (real) or 1 (fake)`);
    labels[i] = row.label;
    scores[i] = row.score;
    if (row.pairId === undefined) missing++;
    else ids.push(row.pairId);
  });
  if (missing > 0 && missing < list.length) {
    throw new RangeError(`${missing} of ${list.length} rows lack a pairId; give it on all rows or none`);
  }
  return { labels, scores, pairIds: missing === 0 ? ids : undefined };
}

function toThreshold(t: number | ResolvedThreshold): ResolvedThreshold {
  if (typeof t !== 'number') return t;
  if (!Number.isFinite(t)) throw new RangeError(`threshold is ${t}; expected a finite number`);
  return { policy: String(t), value: t, optimistic: false, note: `fixed: fake iff score >= ${t}` };
}

interface PreparedPaired {
  set: PairedSet;
  /** Paired-set row → the slice's cluster number of its pairId. */
  clusterOf: Int32Array;
}

function preparePaired(
  labels: Labels,
  scores: Scores,
  pairIds: ArrayLike<string> | undefined,
  realScores: ReadonlyMap<string, number>,
  clusters: ClusterIndex,
): PreparedPaired {
  if (!pairIds) throw new RangeError('paired metrics (realScores) need a pairId on every row');
  const fakeScores: number[] = [];
  const fakeIds: string[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) {
      fakeScores.push(scores[i]);
      fakeIds.push(pairIds[i]);
    }
  }
  const set = pairedSet(fakeScores, fakeIds, realScores);
  const number = new Map(clusters.ids.map((id, c) => [String(id), c]));
  // every paired row's pairId is a slice fake's pairId, hence a slice cluster
  const clusterOf = Int32Array.from(set.pairIds, (id) => number.get(id) as number);
  return { set, clusterOf };
}
