import { computeMetrics, METRIC_KEYS, metricDef, wilsonInterval, type MetricKey, type MetricValue, type ProportionCounts, type RankedScores } from '../metrics/index.js';
import type { AssignedSlice } from './assign.js';
import { realScoreMap, WIN, type DetectorView } from './detector-view.js';
import { GroupStats } from './group-stats.js';
import { GroupScratch, groupSlice, rankedInOrder, type GroupRows, type SliceGroups } from './group.js';
import { pointMetrics } from './point-metrics.js';
import { codesByRank } from './rank.js';
import { STATUS } from './scores.js';
import type { DetectorThreshold } from './threshold-policy.js';

/** One metric in a slice row: the value or why there is none, and its 95% interval or why there is none. */
export interface MetricCell {
  value: number | null;
  lo: number | null;
  hi: number | null;
  /** Why `value` is null. */
  reason?: string;
  /** A caveat on a defined value (from metrics, e.g. "single class: equals recall on fakes"). */
  note?: string;
  /** Why there is no interval although there is a value. */
  ciReason?: string;
  /** How this cell's interval was computed: the row's method, or 'wilson' where that one degenerated. */
  ci_method: CellCiMethod;
}

/** How a row's intervals were computed. */
export type CiMethod = 'bootstrap' | 'normal' | 'none';
/**
 * How a cell's interval was computed: 'wilson' (score interval on the rows, not clustered) replaces a
 * proportion's bootstrap or normal interval that has zero width (8/8 → [1, 1]) or that needs more source images.
 */
export type CellCiMethod = CiMethod | 'wilson';

/** One detector on one value of one slice: the Slice row of docs/architecture.md. */
export interface SliceRow {
  detector: string;
  slice: string;
  value: string;
  /** `fake-only`: reals carry no value of this slice's column (recall on fakes and paired metrics). */
  kind: 'both' | 'fake-only';
  n_real: number;
  n_fake: number;
  /** Distinct source reals the slice's fakes are paired with (paired AUC negatives). */
  n_paired_real: number;
  /** Fakes whose source real has no usable score (left out of paired metrics). */
  n_unpaired_fake: number;
  /** Rows in the slice whose prediction has status error. */
  n_error: number;
  /** Rows in the slice whose score was unusable (NaN/Inf/out of [0, 1]). */
  n_invalid: number;
  /** Rows in the slice this detector has no prediction for. */
  n_missing: number;
  threshold_policy: string;
  threshold: number | null;
  threshold_note: string;
  ci_method: CiMethod;
  metrics: Record<MetricKey, MetricCell>;
}

export interface AggregateOptions {
  /** Bootstrap resamples (0 = no intervals). */
  resamples: number;
  seed: number;
  /**
   * Row-resamples the bootstrap may spend on the whole report. Groups are bootstrapped smallest first until
   * the budget is spent; larger groups get the cluster-robust normal interval. Infinity = bootstrap all.
   */
  ciBudget: number;
}

/** What the aggregation did about intervals, for results.json. */
export interface CiSummary {
  bootstrapGroups: number;
  normalGroups: number;
  rowResamples: number;
  budget: number;
}

/** Default row-resample budget: about a second of bootstrap on one core (computeMetrics costs ~35 ns per row-resample). */
export const DEFAULT_CI_BUDGET = 3e7;

/** What a detector's aggregation needs to know about a slice (plain data: it crosses to worker threads). */
export interface SliceInfo {
  name: string;
  values: string[];
  fakeOnly: boolean;
  /** The column the slice reads (for "reals carry no ..." reasons). */
  column?: string;
}

/** Everything shared by the detectors of one report: slices, their codes, and the interval plan. */
export interface AggregateContext {
  slices: SliceInfo[];
  /** Every slice's code + 1 per metadata row, row-major (0 = not in the slice); see codeMatrix. */
  matrix: Uint8Array | Uint16Array | Int32Array;
  plan: IntervalPlan;
  opts: AggregateOptions;
  /** Groups with the same metadata rows as earlier groups (see sameRowGroups). */
  twins: TwinGroup[];
}

/** A group (slice s, group g) and the earlier groups, in slice order, that hold exactly its metadata rows. */
export interface TwinGroup {
  s: number;
  g: number;
  earlier: { s: number; g: number }[];
}

/** The slice facts a context carries. */
export function sliceInfo(slice: AssignedSlice): SliceInfo {
  return { name: slice.name, values: slice.values, fakeOnly: slice.fakeOnly, column: slice.bins?.column ?? slice.planned?.column };
}

/** Builds the shared context; `shared` puts the code matrix in shared memory, for worker threads. */
export function aggregateContext(slices: readonly AssignedSlice[], detectors: number, opts: AggregateOptions, shared = false): AggregateContext {
  const info = slices.map(sliceInfo);
  const sizes = slices.map(groupSizes);
  return { slices: info, matrix: codeMatrix(slices, shared), plan: planIntervals(slices, detectors, opts, sizes), opts, twins: sameRowGroups(slices, info, sizes) };
}

/** Metadata rows per group of a slice. */
export function groupSizes(slice: AssignedSlice): Int32Array {
  const count = new Int32Array(slice.values.length);
  const codes = slice.codes;
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) count[codes[i]]++;
  return count;
}

/** Rows slice by slice, then detector, then value: the order of the per-slice CSVs. */
export function orderRows(perDetector: SliceRow[][][], slices: number): SliceRow[] {
  const out: SliceRow[] = [];
  for (let s = 0; s < slices; s++) for (const rows of perDetector) out.push(...rows[s]);
  return out;
}

/**
 * One detector's rows, per slice. The detector's ranking is read once for the codes of every slice (one
 * random read per row serves every slice); each slice's groups are then copied out contiguously, so every
 * later pass reads memory in order. Each group's registry metrics come from src/metrics on typed arrays;
 * intervals from a cluster bootstrap over source images (metrics' computeMetrics) for groups that fit the
 * budget, the cluster-robust normal interval (group-stats.ts) for the rest, and never of zero width
 * (replaceDegenerate). parallel.ts runs it per detector, on two threads for large reports.
 */
export function aggregateDetector(view: DetectorView, d: number, t: DetectorThreshold, ctx: AggregateContext): SliceRow[][] {
  const { slices, matrix, plan, opts } = ctx;
  const S = slices.length;
  const n = view.order.length;
  const stats = new GroupStats();
  const scratch = new GroupScratch();
  const badRows = rowsWithout(view, STATUS.ok);
  let realMap: Map<string, number> | undefined;
  const realScores = (): Map<string, number> => (realMap ??= realScoreMap(view));
  // the same rows as an earlier group of the same interval method: the same numbers, copied
  const earlier = new Map(ctx.twins.map((tw) => [`${tw.s} ${tw.g}`, tw.earlier]));
  const twinOf = (s: number, g: number) => earlier.get(`${s} ${g}`)?.find((e) => plan.methodOf(e.s, d, e.g) === plan.methodOf(s, d, g));
  // only slices with a group to compute are ranked (the paper's bins are all copies)
  const computed = slices.map((slice, s) => slice.values.some((_, g) => !twinOf(s, g)));
  const column = new Int32Array(S).fill(-1);
  const which = computed.flatMap((c, s) => (c ? [s] : []));
  which.forEach((s, j) => (column[s] = j));
  const byRank = codesByRank(matrix, S, view.order, which);
  const out: SliceRow[][] = [];
  for (const [s, slice] of slices.entries()) {
    const rows: SliceRow[] = [];
    out.push(rows);
    const bad = badCounts(matrix, S, s, slice.values.length, view, badRows);
    let groups: SliceGroups | undefined;
    for (let g = 0; g < slice.values.length; g++) {
      const twin = twinOf(s, g);
      if (twin) {
        const row = out[twin.s][twin.g];
        rows.push({ ...row, slice: slice.name, value: slice.values[g], n_error: bad.error[g], n_invalid: bad.invalid[g], n_missing: bad.missing[g], metrics: copyCells(row.metrics) });
        continue;
      }
      groups ??= groupSlice(byRank, column[s] * n, slice.values.length, view, scratch);
      const a = groups.start[g];
      const b = groups.start[g + 1];
      const group: GroupRows = { score: groups.rows.score.subarray(a, b), pair: groups.rows.pair.subarray(a, b), win: groups.rows.win.subarray(a, b) };
      const method = b === a ? 'none' : plan.methodOf(s, d, g);
      stats.collectRows(view, group, t.threshold?.value ?? null, !slice.fakeOnly);
      const metrics = groupMetrics(group, stats, slice, view, t, method, opts, realScores, scratch);
      rows.push({
        detector: view.detector,
        slice: slice.name,
        value: slice.values[g],
        kind: slice.fakeOnly ? 'fake-only' : 'both',
        n_real: stats.n - stats.nFake,
        n_fake: stats.nFake,
        n_paired_real: stats.nPairedReals,
        n_unpaired_fake: stats.nUnpaired,
        n_error: bad.error[g],
        n_invalid: bad.invalid[g],
        n_missing: bad.missing[g],
        threshold_policy: t.policy,
        threshold: t.threshold?.value ?? null,
        threshold_note: t.warning ?? t.reason ?? '',
        ci_method: method,
        metrics,
      });
    }
  }
  return out;
}

/**
 * Groups that hold exactly the metadata rows of an earlier group of a slice with the same column and kind (the
 * paper's small / medium / large are the 5-bin slice's bins 1, 3 and 5): for any detector they hold the same
 * scored rows, so with the same interval method their numbers are the same, and aggregateDetector copies them
 * rather than computing them again. Found once per report from the slice codes, compared row by row.
 */
export function sameRowGroups(slices: readonly AssignedSlice[], info: readonly SliceInfo[], groupRows = slices.map(groupSizes)): TwinGroup[] {
  const found = new Map<string, TwinGroup>();
  // only slices with a group size in common can share a group
  const sizes = groupRows.map((count) => new Set(Array.from(count).filter((n) => n > 0)));
  for (let s = 0; s < slices.length; s++) {
    for (let e = 0; e < s; e++) {
      if (info[e].column !== info[s].column || info[e].fakeOnly !== info[s].fakeOnly) continue;
      if (![...sizes[s]].some((n) => sizes[e].has(n))) continue;
      // for each group of s the group of e its rows are in, and back (-2: no rows yet, -1: rows outside one group)
      const a = slices[s].codes;
      const b = slices[e].codes;
      const to = new Int32Array(slices[s].values.length).fill(-2);
      const from = new Int32Array(slices[e].values.length).fill(-2);
      for (let i = 0; i < a.length; i++) {
        const x = a[i];
        const y = b[i];
        if (x >= 0) to[x] = to[x] === -2 || to[x] === y ? y : -1;
        if (y >= 0) from[y] = from[y] === -2 || from[y] === x ? x : -1;
      }
      for (let g = 0; g < to.length; g++) {
        const h = to[g];
        if (h < 0 || from[h] !== g) continue;
        const key = `${s} ${g}`;
        if (!found.has(key)) found.set(key, { s, g, earlier: [] });
        found.get(key)!.earlier.push({ s: e, g: h });
      }
    }
  }
  return [...found.values()];
}

function copyCells(cells: Record<MetricKey, MetricCell>): Record<MetricKey, MetricCell> {
  const out = {} as Record<MetricKey, MetricCell>;
  for (const key of METRIC_KEYS) out[key] = { ...cells[key] };
  return out;
}

/** Every slice's code per metadata row, row-major (one cache line holds all of a row's codes). */
function codeMatrix(slices: readonly AssignedSlice[], shared: boolean): Uint8Array | Uint16Array | Int32Array {
  const S = slices.length;
  const n = slices[0]?.codes.length ?? 0;
  const most = Math.max(0, ...slices.map((s) => s.values.length));
  const [Type, bytes] = (most < 0xff ? [Uint8Array, 1] : most < 0xffff ? [Uint16Array, 2] : [Int32Array, 4]) as [
    new (b: ArrayBufferLike) => Uint8Array | Uint16Array | Int32Array,
    number,
  ];
  const buffer = shared ? new SharedArrayBuffer(n * S * bytes) : new ArrayBuffer(n * S * bytes);
  const matrix = new Type(buffer);
  // code + 1, so that "not in the slice" (-1) is 0
  for (let s = 0; s < S; s++) {
    const codes = slices[s].codes;
    for (let i = 0; i < n; i++) matrix[i * S + s] = codes[i] + 1;
  }
  return matrix;
}

function groupMetrics(
  group: GroupRows,
  stats: GroupStats,
  slice: SliceInfo,
  view: DetectorView,
  t: DetectorThreshold,
  method: CiMethod,
  opts: AggregateOptions,
  realScores: () => Map<string, number>,
  scratch: GroupScratch,
): Record<MetricKey, MetricCell> {
  const column = slice.column;
  const threshold = t.threshold ? { value: t.threshold.value } : { reason: `no threshold: ${t.reason}` };
  const columns = slice.fakeOnly && method !== 'bootstrap' ? null : rankedColumns(group, scratch);
  const point = pointMetrics(stats, slice.fakeOnly ? null : columns, threshold, { sliceColumn: column });
  const cells = {} as Record<MetricKey, MetricCell>;
  for (const key of METRIC_KEYS) cells[key] = cell(point.values[key], method);
  const defined = METRIC_KEYS.filter((key) => cells[key].value !== null);

  if (method === 'bootstrap') {
    const m = computeMetrics(
      { labels: columns!.labels, scores: columns!.scores, pairIds: Array.from(columns!.pairs, (p) => view.meta.pairIds[p]) },
      { threshold: t.threshold ?? 0.5, resamples: opts.resamples, seed: opts.seed, realScores: realScores() },
    );
    for (const key of defined) {
      const e = m.metrics[key];
      if (e.ci) [cells[key].lo, cells[key].hi] = [e.ci.lo, e.ci.hi];
      else cells[key].ciReason = e.ciReason ?? 'no interval';
    }
  } else if (method === 'normal') {
    const values: Partial<Record<MetricKey, number | null>> = {};
    for (const key of defined) values[key] = cells[key].value;
    const intervals = stats.intervals(values);
    for (const key of defined) {
      const c = cells[key];
      const interval = intervals.get(key) ?? { reason: `no normal-approximation interval for ${key}; this slice was too large to bootstrap within the budget` };
      if ('reason' in interval) c.ciReason = interval.reason;
      else [c.lo, c.hi] = [interval.lo, interval.hi];
    }
  } else {
    for (const key of defined) cells[key].ciReason = opts.resamples === 0 ? 'intervals off (resamples = 0)' : 'empty slice';
  }
  if (method !== 'none') {
    const counts: ProportionCounts = { confusion: point.confusion ?? { tp: 0, fp: 0, tn: 0, fn: 0 }, wins: stats.wins2 / 2, pairedFakes: stats.nPairedFakes };
    for (const key of defined) replaceDegenerate(key, cells[key], counts);
  }
  return cells;
}

/**
 * An interval of zero width claims a certainty a few rows cannot give (a resample of 8/8 is always 8/8). A
 * proportion (k of n) with a zero-width interval, or none for want of source images, gets the Wilson score
 * interval; any other metric with a zero-width interval (a perfectly separated AUC) gets none, with the reason.
 */
function replaceDegenerate(key: MetricKey, c: MetricCell, counts: ProportionCounts): void {
  if (c.lo !== null && c.lo !== c.hi) return;
  const proportion = metricDef(key).proportion;
  if (!proportion) {
    if (c.lo === null) return;
    c.ciReason = `the ${c.ci_method} interval has zero width (${c.lo}): too few rows to say how uncertain this value is`;
    [c.lo, c.hi, c.ci_method] = [null, null, 'none'];
    return;
  }
  const { k, n } = proportion(counts);
  if (n === 0) return;
  const why = c.lo === null ? c.ciReason : `the ${c.ci_method} interval has zero width (${k} of ${n})`;
  [c.lo, c.hi] = Object.values(wilsonInterval(k, n)) as [number, number];
  c.ci_method = 'wilson';
  c.ciReason = `${why}: Wilson score interval on ${n} rows instead`;
}

/** The group's labels, scores and pairs in rank order, and their ranking (scratch-backed). */
function rankedColumns(group: GroupRows, scratch: GroupScratch): { labels: Uint8Array; scores: Float64Array; pairs: Int32Array; ranked: RankedScores } {
  const { score, pair, win } = group;
  const labels = scratch.u8('labels', score.length);
  for (let k = 0; k < score.length; k++) labels[k] = win[k] === WIN.real ? 0 : 1;
  return { labels, scores: score, pairs: pair, ranked: rankedInOrder(labels, score, scratch) };
}

function cell(v: MetricValue, method: CiMethod): MetricCell {
  return { value: v.value, lo: null, hi: null, ...(v.reason ? { reason: v.reason } : {}), ...(v.note ? { note: v.note } : {}), ci_method: v.value === null ? 'none' : method };
}

/** Metadata rows whose status is not `status` (usually few: errors, unusable scores, missing predictions). */
function rowsWithout(view: DetectorView, status: number): Int32Array {
  const out: number[] = [];
  const all = view.scores.status;
  for (let i = 0; i < all.length; i++) if (all[i] !== status) out.push(i);
  return Int32Array.from(out);
}

/** Per group of a slice: rows whose prediction errored, was unusable, or is missing for this detector. */
function badCounts(
  matrix: Uint8Array | Uint16Array | Int32Array,
  S: number,
  s: number,
  groups: number,
  view: DetectorView,
  badRows: Int32Array,
): { error: Int32Array; invalid: Int32Array; missing: Int32Array } {
  const out = { error: new Int32Array(groups), invalid: new Int32Array(groups), missing: new Int32Array(groups) };
  const { status } = view.scores;
  for (const i of badRows) {
    const g = matrix[i * S + s] - 1;
    if (g < 0) continue;
    const st = status[i];
    if (st === STATUS.error) out.error[g]++;
    else if (st === STATUS.missing) out.missing[g]++;
    else out.invalid[g]++;
  }
  return out;
}

/** Each group's interval method, decided before any metric is computed (plain data, for worker threads). */
export interface IntervalPlan {
  /** Method code per (slice, detector, group): 0 none, 1 bootstrap, 2 normal, at offsets[s] + d·groups_s + g. */
  methods: Uint8Array;
  offsets: number[];
  groups: number[];
  summary: CiSummary;
  methodOf(s: number, d: number, g: number): CiMethod;
}

const METHODS: CiMethod[] = ['none', 'bootstrap', 'normal'];

/**
 * Bootstrap costs rows × resamples, so the budget goes to the smallest groups first (where a normal
 * approximation is weakest); the rest get the normal interval (where n is large and it is accurate). Group
 * sizes are counted over all metadata rows, the same estimate for every detector (a detector's errors only
 * shrink its groups); equal sizes keep slice/detector/value order, so the plan is reproducible.
 */
export function planIntervals(slices: readonly AssignedSlice[], detectors: number, opts: AggregateOptions, groupRows = slices.map(groupSizes)): IntervalPlan {
  const groups = slices.map((s) => s.values.length);
  const offsets: number[] = [];
  let total = 0;
  for (const g of groups) {
    offsets.push(total);
    total += g * detectors;
  }
  const sizes: { at: number; n: number }[] = [];
  for (const [s, slice] of slices.entries()) {
    const count = groupRows[s];
    for (let d = 0; d < detectors; d++) count.forEach((n, g) => sizes.push({ at: offsets[s] + d * groups[s] + g, n }));
  }
  const methods = new Uint8Array(total);
  let spent = 0;
  let bootstrapGroups = 0;
  let normalGroups = 0;
  for (const { at, n } of sizes.sort((a, b) => a.n - b.n)) {
    if (n === 0 || opts.resamples === 0) continue;
    const cost = n * opts.resamples;
    if (spent + cost <= opts.ciBudget) {
      spent += cost;
      bootstrapGroups++;
      methods[at] = 1;
    } else {
      normalGroups++;
      methods[at] = 2;
    }
  }
  return withMethodOf({ methods, offsets, groups, summary: { bootstrapGroups, normalGroups, rowResamples: spent, budget: opts.ciBudget } });
}

/** Re-attaches methodOf to a plan that crossed a thread boundary (functions do not). */
export function withMethodOf(plan: Omit<IntervalPlan, 'methodOf'>): IntervalPlan {
  return { ...plan, methodOf: (s, d, g) => METHODS[plan.methods[plan.offsets[s] + d * plan.groups[s] + g]] };
}
