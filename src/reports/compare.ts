import { bootstrap, fromClusterOf, metricDef, METRICS, sliceKernel, type MetricKey } from '../metrics/index.js';
import type { SliceRow } from '../slices/aggregate.js';
import type { Bins } from '../slices/bins.js';
import { realScoreMap, type DetectorView } from '../slices/detector-view.js';
import { GroupStats, NORMAL_CI_METRICS, normalInterval, sumOfSquares } from '../slices/group-stats.js';
import { codesInRankOrder, partitionRanks } from '../slices/rank.js';
import { DEFAULT_CI_BUDGET } from '../slices/aggregate.js';
import type { AssignedSlice } from '../slices/assign.js';
import { UserError } from '../util/errors.js';
import { mdCell } from './markdown.js';
import { buildReport, type Report, type ReportOptions } from './report.js';

/** Metrics `compare` reports by default: the registry's headline metrics. */
export const COMPARE_METRICS: MetricKey[] = METRICS.filter((m) => m.headline).map((m) => m.key);

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

export interface CompareOptions extends Omit<ReportOptions, 'runDir' | 'fixedBins' | 'notebook'> {
  runA: string;
  runB: string;
  metrics?: MetricKey[];
}

export interface Comparison {
  a: Report;
  b: Report;
  rows: CompareRow[];
  /** Detector pairs compared (same name, or the only detector of each run). */
  pairs: [string, string][];
  /** Detectors present in one run only (not compared). */
  onlyA: string[];
  onlyB: string[];
}

/**
 * Compares two runs slice by slice: B − A for each metric, with a 95% interval of the difference from a
 * cluster bootstrap that draws the same source images (pairId) in both runs, so runs on the same samples
 * are compared paired and runs on disjoint samples independently, by one rule. Run B's quantile bins use
 * run A's edges, so a bin means the same range in both. Large groups (over the bootstrap budget) get the
 * normal interval of the difference of per-image influences.
 */
export async function compareRuns(opts: CompareOptions): Promise<Comparison> {
  const { runA, runB, metrics = COMPARE_METRICS, ...shared } = opts;
  const a = await buildReport({ ...shared, runDir: runA, resamples: 0 });
  const fixedBins = new Map<string, Bins>(a.slices.filter((s) => s.bins && s.bins.source !== 'category column').map((s) => [s.name, s.bins!]));
  const b = await buildReport({ ...shared, runDir: runB, resamples: 0, fixedBins });
  const pairs = detectorPairs(a, b);
  const paired = (side: 0 | 1) => new Set(pairs.map((p) => p[side]));
  const onlyA = a.views.map((v) => v.detector).filter((d) => !paired(0).has(d));
  const onlyB = b.views.map((v) => v.detector).filter((d) => !paired(1).has(d));
  const resamples = opts.resamples ?? opts.config.bootstrap.resamples;
  const budget = opts.ciBudget ?? DEFAULT_CI_BUDGET;

  const jobs: Job[] = [];
  for (const sa of a.slices) {
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
  const rows = jobs.flatMap((job) => compareGroup(job, a, b, metrics, resamples, opts.config.bootstrap.seed));
  return { a, b, rows, pairs, onlyA, onlyB };
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

function detectorPairs(a: Report, b: Report): [string, string][] {
  const namesA = a.views.map((v) => v.detector);
  const namesB = b.views.map((v) => v.detector);
  const common = namesA.filter((n) => namesB.includes(n));
  if (common.length) return common.map((n) => [n, n]);
  if (namesA.length === 1 && namesB.length === 1) return [[namesA[0], namesB[0]]];
  throw new UserError(`The runs share no detector (A: ${namesA.join(', ')}; B: ${namesB.join(', ')}), and are not one detector each.`, 'E_USAGE');
}

function compareGroup(job: Job, a: Report, b: Report, metrics: MetricKey[], resamples: number, seed: number): CompareRow[] {
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

/** The comparison as Markdown: per detector pair and slice, headline metrics as Δ [lo, hi], '*' = excludes 0. */
export function compareMarkdown(c: Comparison): string {
  const side = (r: Report): string => `${r.runDir} (protocol ${r.run.protocol ? `\`${r.run.protocol}\`` : 'not recorded'}; threshold policy \`${r.thresholdPolicy}\`)`;
  const out: string[] = [`# semibench compare: B − A`, '', `A: ${side(c.a)}`, `B: ${side(c.b)}`, ''];
  if (c.a.thresholdPolicy !== c.b.thresholdPolicy) {
    out.push(`The threshold policies differ (A \`${c.a.thresholdPolicy}\`, B \`${c.b.thresholdPolicy}\`): a difference in a thresholded metric mixes the two runs with the two thresholds.`, '');
  }
  if (c.onlyA.length || c.onlyB.length) {
    out.push(`Not compared (in one run only): ${[...c.onlyA.map((d) => `${d} (A)`), ...c.onlyB.map((d) => `${d} (B)`)].join(', ')}.`, '');
  }
  const fmt = (v: number | null, sign = false): string => (v === null ? '–' : `${sign && v >= 0 ? '+' : ''}${v.toFixed(3)}`);
  const cell = (r: CompareRow | undefined): string =>
    !r || r.delta === null ? '–' : `${fmt(r.delta, true)}${r.delta_lo !== null ? ` [${fmt(r.delta_lo, true)}, ${fmt(r.delta_hi, true)}]` : ''}${r.significant ? ' *' : ''}`;
  for (const [da, db] of c.pairs) {
    out.push(`## ${da === db ? da : `${da} (A) vs ${db} (B)`}`, '');
    const thresholdA = c.a.thresholds.get(da)?.threshold?.value;
    const thresholdB = c.b.thresholds.get(db)?.threshold?.value;
    const protocol = (r: Report, d: string): string => r.run.detectors.find((x) => x.name === d)?.protocol ?? r.run.protocol ?? 'not recorded';
    const policies = c.a.thresholdPolicy === c.b.thresholdPolicy ? `Threshold policy \`${c.a.thresholdPolicy}\`` : `Threshold policies A \`${c.a.thresholdPolicy}\`, B \`${c.b.thresholdPolicy}\``;
    out.push(`${policies}: A ${thresholdA ?? 'none'}, B ${thresholdB ?? 'none'}. Protocol: A ${protocol(c.a, da)}, B ${protocol(c.b, db)}.`, '');
    out.push('| slice | value | pairing | Δ recall fake | Δ AUC / paired AUC | Δ accuracy |', '|---|---|---|---|---|---|');
    const mine = c.rows.filter((r) => r.detector_a === da && r.detector_b === db);
    const keys = [...new Set(mine.map((r) => `${r.slice}\u0000${r.value}`))];
    for (const key of keys) {
      const [slice, value] = key.split('\u0000');
      const rows = mine.filter((r) => r.slice === slice && r.value === value);
      const get = (m: MetricKey) => rows.find((r) => r.metric === m);
      const auc = rows[0].kind === 'fake-only' ? get('paired_auc') : get('auc');
      out.push(`| ${mdCell(slice)} | ${mdCell(value)} | ${rows[0].pairing} | ${cell(get('recall_fake'))} | ${cell(auc)} | ${cell(get('accuracy'))} |`);
    }
    out.push('');
  }
  out.push(`'*': the 95% interval of B − A excludes 0 and both sides have at least ${SIGNIFICANCE_MIN_N} rows. Every metric is in compare.csv.`);
  return `${out.join('\n')}\n`;
}
