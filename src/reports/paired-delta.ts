import { bootstrap, fromClusterOf, metricDef, sliceKernel, type MetricKey } from '../metrics/index.js';
import { DEFAULT_CI_BUDGET, type SliceRow } from '../slices/aggregate.js';
import type { AssignedSlice } from '../slices/assign.js';
import { realScoreMap, type DetectorView } from '../slices/detector-view.js';
import { GroupStats, NORMAL_CI_METRICS, normalInterval, sumOfSquares } from '../slices/group-stats.js';
import { codesInRankOrder, partitionRanks } from '../slices/rank.js';
import type { DetectorThreshold } from '../slices/threshold-policy.js';

/**
 * Rows on each side a slice value needs before a difference may be starred: a 95% interval from a handful of
 * rows (a bootstrap over 2 images can exclude 0 by chance) is no evidence.
 */
export const SIGNIFICANCE_MIN_N = 30;

/** One metric on one slice value: run B minus run A, with a 95% interval of the difference. */
export interface CompareRow {
  detector_a: string;
  detector_b: string;
  slice: string;
  value: string;
  kind: 'both' | 'fake-only';
  metric: MetricKey;
  a: number | null;
  b: number | null;
  delta: number | null;
  delta_lo: number | null;
  delta_hi: number | null;
  /** '*' when the interval excludes zero and both sides have SIGNIFICANCE_MIN_N rows or more. */
  significant: '' | '*';
  ci_method: 'bootstrap' | 'normal' | 'none';
  /** How the runs' source images overlap: the same images are resampled together in both. */
  pairing: 'paired' | 'partly paired' | 'independent';
  shared_images: number;
  n_a: number;
  n_b: number;
  reason: string;
}

export const COMPARE_COLUMNS: (keyof CompareRow)[] = [
  'detector_a', 'detector_b', 'slice', 'value', 'kind', 'metric', 'a', 'b', 'delta', 'delta_lo', 'delta_hi', 'significant',
  'ci_method', 'pairing', 'shared_images', 'n_a', 'n_b', 'reason',
];

/** What a side of a comparison brings: a report's slice rows, slices, rankings and thresholds (report.ts). */
export interface DeltaSide {
  rows: SliceRow[];
  slices: AssignedSlice[];
  readonly views: DetectorView[];
  thresholds: Map<string, DetectorThreshold>;
}

export interface DeltaOptions {
  metrics: MetricKey[];
  /** Bootstrap resamples (0: no intervals) and seed. */
  resamples: number;
  seed: number;
  /** Row-resamples the bootstrap may spend; larger groups get normal intervals. Default DEFAULT_CI_BUDGET. */
  ciBudget?: number;
  /** Only these slices (default: every slice of A that B has too). */
  slices?: string[];
}

/**
 * B − A per slice value, metric and detector pair, with a 95% interval of the difference from a cluster
 * bootstrap that draws the same source images (pairId) on both sides: two runs on the same samples, or two
 * conditions of one run (A = B, the pairs naming `detector` and `detector@condition`), are compared paired,
 * disjoint samples independently, by one rule. Large groups (over the bootstrap budget) get the normal
 * interval of the difference of per-image influences.
 */
export function sliceDeltas(a: DeltaSide, b: DeltaSide, pairs: [string, string][], opts: DeltaOptions): CompareRow[] {
  const { metrics, resamples, seed } = opts;
  const budget = opts.ciBudget ?? DEFAULT_CI_BUDGET;
  const jobs: Job[] = [];
  for (const sa of a.slices) {
    if (opts.slices && !opts.slices.includes(sa.name)) continue;
    const sb = b.slices.find((s) => s.name === sa.name);
    if (!sb) continue;
    for (const [da, db] of pairs) {
      const va = a.views.find((v) => v.detector === da)!;
      const vb = b.views.find((v) => v.detector === db)!;
      const pa = partitionRanks(codesInRankOrder(va.order, sa.codes), sa.values.length);
      const pb = partitionRanks(codesInRankOrder(vb.order, sb.codes), sb.values.length);
      for (const [ga, value] of sa.values.entries()) {
        const gb = sb.values.indexOf(value);
        if (gb < 0) continue;
        const rowsA = pa.positions.subarray(pa.start[ga], pa.start[ga + 1]);
        const rowsB = pb.positions.subarray(pb.start[gb], pb.start[gb + 1]);
        jobs.push({ slice: sa, value, da, db, va, vb, rowsA, rowsB, size: rowsA.length + rowsB.length });
      }
    }
  }
  // bootstrap the smallest comparisons first while the budget lasts (as aggregate.ts does for a report)
  let spent = 0;
  for (const job of [...jobs].sort((x, y) => x.size - y.size)) {
    job.bootstrap = resamples > 0 && spent + job.size * resamples <= budget;
    if (job.bootstrap) spent += job.size * resamples;
  }
  return jobs.flatMap((job) => compareGroup(job, a, b, metrics, resamples, seed));
}

interface Job {
  slice: AssignedSlice;
  value: string;
  da: string;
  db: string;
  va: DetectorView;
  vb: DetectorView;
  rowsA: Int32Array;
  rowsB: Int32Array;
  size: number;
  bootstrap?: boolean;
}

function compareGroup(job: Job, a: DeltaSide, b: DeltaSide, metrics: MetricKey[], resamples: number, seed: number): CompareRow[] {
  const rowA = findRow(a.rows, job.da, job.slice.name, job.value);
  const rowB = findRow(b.rows, job.db, job.slice.name, job.value);
  const keys = metrics.filter((m) => !job.slice.fakeOnly || metricDef(m).fakeOnly);
  const defined = keys.filter((m) => rowA.metrics[m].value !== null && rowB.metrics[m].value !== null);

  // one cluster numbering for both runs: a source image shared by the runs is drawn together
  const union = new Map<string, number>();
  const numbering = (view: DetectorView): Int32Array =>
    Int32Array.from(view.meta.pairIds, (id) => {
      let c = union.get(id);
      if (c === undefined) union.set(id, (c = union.size));
      return c;
    });
  const unionA = numbering(job.va);
  const unionB = numbering(job.vb);
  const inA = new Set(Array.from(job.rowsA, (k) => unionA[job.va.rankedPair[k]]));
  const inB = new Set(Array.from(job.rowsB, (k) => unionB[job.vb.rankedPair[k]]));
  const sharedImages = [...inA].filter((c) => inB.has(c)).length;
  const pairing = sharedImages === 0 ? 'independent' : sharedImages === inA.size && sharedImages === inB.size ? 'paired' : 'partly paired';
  const touched = new Set([...inA, ...inB]).size;

  const interval = new Map<MetricKey, { lo: number; hi: number } | { reason: string }>();
  const ta = a.thresholds.get(job.da)?.threshold?.value ?? null;
  const tb = b.thresholds.get(job.db)?.threshold?.value ?? null;
  if (defined.length && job.bootstrap) {
    // each run's bootstrap kernel (the one computeMetrics uses), evaluated on its share of one draw of the union
    const side = (view: DetectorView, rows: Int32Array, threshold: number | null) => {
      const { kernel, clusters } = sliceKernel(
        {
          labels: Uint8Array.from(rows, (k) => view.rankedLabel[k]),
          scores: Float64Array.from(rows, (k) => view.rankedScore[k]),
          pairIds: Array.from(rows, (k) => view.meta.pairIds[view.rankedPair[k]]),
        },
        // without a threshold the thresholded metrics are undefined on the rows, so never evaluated here
        { threshold: threshold ?? 0.5, realScores: realScores(view) },
      );
      const toUnion = Int32Array.from(clusters.ids, (id) => union.get(String(id))!);
      const counts = new Float64Array(toUnion.length);
      return (unionCounts: ArrayLike<number>) => {
        for (let c = 0; c < toUnion.length; c++) counts[c] = unionCounts[toUnion[c]];
        return kernel.evaluate(counts, defined);
      };
    };
    const evalA = side(job.va, job.rowsA, ta);
    const evalB = side(job.vb, job.rowsB, tb);
    const clusterOf = Int32Array.from([...Array.from(job.rowsA, (k) => unionA[job.va.rankedPair[k]]), ...Array.from(job.rowsB, (k) => unionB[job.vb.rankedPair[k]])]);
    const ci = bootstrap(
      fromClusterOf(clusterOf, [...union.keys()]),
      (r) => {
        const ma = evalA(r.clusterCounts);
        const mb = evalB(r.clusterCounts);
        return Object.fromEntries(defined.map((m) => [m, mb[m] - ma[m]])) as Record<MetricKey, number>;
      },
      { resamples, seed },
    );
    for (const m of defined) interval.set(m, ci[m].lo === null ? { reason: ci[m].reason ?? 'no interval' } : { lo: ci[m].lo!, hi: ci[m].hi! });
  } else if (defined.length && resamples > 0) {
    // the difference's influence is B's minus A's, on the shared cluster numbering
    const statsA = new GroupStats().collect(job.va, job.rowsA, ta, !job.slice.fakeOnly, unionA, union.size);
    const statsB = new GroupStats().collect(job.vb, job.rowsB, tb, !job.slice.fakeOnly, unionB, union.size);
    for (const m of defined) {
      if (!NORMAL_CI_METRICS.has(m)) {
        interval.set(m, { reason: `no normal-approximation interval for ${m}; too large to bootstrap within the budget` });
        continue;
      }
      const za = statsA.influence(m, rowA.metrics[m].value!, union.size);
      const zb = statsB.influence(m, rowB.metrics[m].value!, union.size);
      for (let c = 0; c < zb.length; c++) zb[c] -= za[c];
      interval.set(m, normalInterval(rowB.metrics[m].value! - rowA.metrics[m].value!, sumOfSquares(zb), touched, [-1, 1]));
    }
  }

  return keys.map((m) => {
    const va = rowA.metrics[m].value;
    const vb = rowB.metrics[m].value;
    const delta = va === null || vb === null ? null : vb - va;
    const ci = interval.get(m);
    const lo = ci && 'lo' in ci ? ci.lo : null;
    const hi = ci && 'hi' in ci ? ci.hi : null;
    let reason = '';
    const excludesZero = lo !== null && hi !== null && (lo > 0 || hi < 0);
    const small = Math.min(job.rowsA.length, job.rowsB.length) < SIGNIFICANCE_MIN_N;
    if (delta === null) reason = `A: ${rowA.metrics[m].reason ?? 'defined'}; B: ${rowB.metrics[m].reason ?? 'defined'}`;
    else if (ci && 'reason' in ci) reason = ci.reason;
    else if (!ci) reason = resamples === 0 ? 'intervals off (resamples = 0)' : 'no interval';
    else if (excludesZero && small) reason = `interval excludes 0, but fewer than ${SIGNIFICANCE_MIN_N} rows on a side: not marked significant`;
    return {
      detector_a: job.da,
      detector_b: job.db,
      slice: job.slice.name,
      value: job.value,
      kind: job.slice.fakeOnly ? 'fake-only' : 'both',
      metric: m,
      a: va,
      b: vb,
      delta,
      delta_lo: lo,
      delta_hi: hi,
      significant: excludesZero && !small ? '*' : '',
      ci_method: lo === null ? 'none' : job.bootstrap ? 'bootstrap' : 'normal',
      pairing,
      shared_images: sharedImages,
      n_a: job.rowsA.length,
      n_b: job.rowsB.length,
      reason,
    };
  });
}

/** Real id → score of a run's scored reals (the paired metrics' negatives), built once per detector view. */
const realScoresOf = new WeakMap<DetectorView, Map<string, number>>();
function realScores(view: DetectorView): Map<string, number> {
  let map = realScoresOf.get(view);
  if (!map) realScoresOf.set(view, (map = realScoreMap(view)));
  return map;
}

function findRow(rows: SliceRow[], detector: string, slice: string, value: string): SliceRow {
  const row = rows.find((r) => r.detector === detector && r.slice === slice && r.value === value);
  if (!row) throw new Error(`no slice row for ${detector} / ${slice} / ${value}`);
  return row;
}

