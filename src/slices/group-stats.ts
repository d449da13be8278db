import { linearSum, metricDef, METRICS, Z95, type ClusterSums, type LinearSum, type MetricKey } from '../metrics/index.js';
import { WIN, type DetectorView } from './detector-view.js';
import type { GroupRows } from './group.js';

/** Metrics with a cluster-robust normal interval (the registry's `normal` entries; the others get a reason). */
export const NORMAL_CI_METRICS: ReadonlySet<MetricKey> = new Set(METRICS.filter((m) => 'normal' in m).map((m) => m.key));

// Per-cluster sums (cluster = source image), split by when they are touched so that the arrays a row's
// random access lands in stay small enough for the core's L2 cache (at 28 k source images the one 128-byte
// record per cluster this replaced missed it on nearly every row, ~75 % of the report's time):
// - `counts`: Int32 records of COUNT_STRIDE, the fields every fake row updates (exact integers, < 2^31 rows);
// - `pFakePlace2`: per paired fake in the merge; `pReal`: per paired real (touched once per real);
// - `two`: two-class groups only.
// Placement sums are kept doubled (2·below + ties) so that they stay integers.
const FAKES = 0;
const TP = 1; // fakes at or above the threshold
const P_FAKES = 2; // fakes with a scored source real
const WINS2 = 3; // Σ 2 × 2AFC outcome (2 win, 1 tie, 0 loss)
const COUNT_STRIDE = 4;
// pReal: Σ over the cluster's paired real of 2·(paired fakes above) + ties, and whether the real is in the set
const P_REAL_PLACE2 = 0;
const P_REALS = 1;
const P_REAL_STRIDE = 2;
// two: rows, reals below the threshold, Σ (score − label)², Σ over fakes of 2·(reals below) + (reals tied),
// Σ over reals of 2·(fakes above) + (fakes tied)
const SIZE = 0;
const TN = 1;
const SE = 2;
const FAKE_PLACE2 = 3;
const REAL_PLACE2 = 4;
const TWO_STRIDE = 8;
// field positions in the group's totals
const T = { FAKES: 0, TP: 1, P_FAKES: 2, WINS2: 3, SIZE: 4, TN: 5, SE: 6, P_FAKE_PLACE2: 7, P_REAL_PLACE2: 8, P_REALS: 9 } as const;
const FIELDS = 10;

/**
 * One group's counts, paired metrics and per-source-image sums, from a single pass over its rows in rank
 * order (plus a merge with its paired reals). This is the report's kernel at scale: 9 M prediction rows x
 * ~25 slices is too much for anything that builds per-group sets or scatters into wide arrays.
 *
 * - Paired AUC and 2AFC (metrics/paired.ts semantics: the group's fakes whose source real is scored, against
 *   those reals, each once) come from exact integer Mann–Whitney counts: AUC = Σ(2·below + ties) / (2·M·N).
 *   tests/slices/group-stats.test.ts checks them against metrics' pairedMetrics.
 * - Intervals: each metric's influence per cluster (source image), z_c, is its linearisation
 *   value(w) ≈ value + Σ_c (w_c − 1)·z_c; the variance Σ_c z_c² · C/(C−1) is what the cluster bootstrap
 *   converges to. For a ratio Σa/Σb (recall, accuracy, specificity, precision, F1 = 2tp/(2tp+fp+fn), 2AFC,
 *   Brier): z_c = (a_c − R·b_c)/Σb. For an AUC (and the paired AUC): z_c = (ΣV10_c − m_c·A)/M +
 *   (ΣV01_c − n_c·A)/N with placement values V10, V01 — the clustered DeLong estimator of Obuchowski
 *   (Biometrics 1997) written as an influence. Which metrics, and as which ratios: the registry's NormalSpec.
 *
 * One instance is reused group after group.
 */
export class GroupStats {
  private counts = new Int32Array(0);
  private pFakePlace2 = new Float64Array(0);
  private pReal = new Float64Array(0);
  private two = new Float64Array(0);
  private touched = new Int32Array(0);
  private mark = new Uint8Array(0);
  private fakeScore = new Float64Array(0);
  private fakeCluster = new Int32Array(0);
  private realRank = new Int32Array(0);
  private realScore = new Float64Array(0);
  private realCluster = new Int32Array(0);
  private nTouched = 0;
  private gathered: GroupRows = { score: new Float64Array(0), pair: new Int32Array(0), win: new Uint8Array(0) };
  private twoClass = false;
  // the interval kernel's columns (of group number columnsFor) and scratch, over the touched clusters
  private group = 0;
  private columnsFor = -1;
  private columns = emptyColumns(0);
  private scratchNum = new Float64Array(0);
  private scratchDen = new Float64Array(0);
  private scratchZ = new Float64Array(0);

  // totals
  n = 0;
  nFake = 0;
  tp = 0;
  tn = 0;
  nPairedFakes = 0;
  nPairedReals = 0;
  nUnpaired = 0;
  wins2 = 0;
  place2 = 0;
  private totals = new Float64Array(FIELDS);

  /**
   * Reads a group given by the detector's rank positions of its rows, ascending (collectRows on their rows
   * gathered from the view).
   */
  collect(
    view: DetectorView,
    positions: ArrayLike<number>,
    threshold: number | null,
    twoClass: boolean,
    clusterOfPair?: Int32Array,
    clusters = view.meta.pairIds.length,
  ): this {
    const n = positions.length;
    if (this.gathered.score.length < n) this.gathered = { score: new Float64Array(n), pair: new Int32Array(n), win: new Uint8Array(n) };
    const score = this.gathered.score.subarray(0, n);
    const pair = this.gathered.pair.subarray(0, n);
    const win = this.gathered.win.subarray(0, n);
    for (let k = 0; k < n; k++) {
      const at = positions[k];
      score[k] = view.rankedScore[at];
      pair[k] = view.rankedPair[at];
      win[k] = view.rankedWin[at];
    }
    return this.collectRows(view, { score, pair, win }, threshold, twoClass, clusterOfPair, clusters);
  }

  /**
   * Reads a group: `rows` are its rows' scores, pair codes and WIN codes in the detector's rank order
   * (contiguous, so that the pass reads memory in order). `threshold` null leaves the thresholded sums at 0
   * (the caller blanks those metrics). `twoClass` adds the sums two-class metrics need (group AUC placements,
   * TN, squared error). `clusterOfPair` renumbers source images (compare's shared numbering); by default a
   * cluster is the pair code.
   */
  collectRows(
    view: DetectorView,
    rows: GroupRows,
    threshold: number | null,
    twoClass: boolean,
    clusterOfPair?: Int32Array,
    clusters = view.meta.pairIds.length,
  ): this {
    this.reserve(clusters, rows.score.length, view.meta.pairIds.length, view.realPairsDesc.length);
    const { score: rankedScore, pair: rankedPair, win: rankedWin } = rows;
    const { realRankOfPair, realPairsDesc, realScoreOfPair } = view;
    const { counts, pFakePlace2, pReal, two, mark, fakeScore, fakeCluster, realRank, touched } = this;
    const t = threshold ?? Infinity;
    const n = rankedScore.length;
    this.twoClass = twoClass;
    // hot loops keep their counters in locals (fields would be loaded and stored on every row)
    let nTouched = 0;
    let nFake = 0;
    let tp = 0;
    let tn = 0;
    let nUnpaired = 0;
    let wins2 = 0;
    let nPF = 0;
    let nPR = 0;

    // pass 1: counts per cluster; compact the paired fakes; collect the paired reals' ranks. A cluster is
    // touched when its first row arrives: its row count (fake count for fake-only groups) is still 0.
    for (let k = 0; k < n; k++) {
      const p = rankedPair[k];
      const c = clusterOfPair ? clusterOfPair[p] : p;
      const s = rankedScore[k];
      const pred = s >= t ? 1 : 0;
      const w = rankedWin[k];
      const b = c * COUNT_STRIDE;
      const b2 = c * TWO_STRIDE;
      if (twoClass) {
        if (two[b2 + SIZE] === 0) touched[nTouched++] = c;
        two[b2 + SIZE]++;
      }
      if (w !== WIN.real) {
        if (!twoClass && counts[b + FAKES] === 0) touched[nTouched++] = c;
        counts[b + FAKES]++;
        counts[b + TP] += pred;
        nFake++;
        tp += pred;
        if (w === WIN.unpaired) {
          nUnpaired++;
        } else {
          counts[b + P_FAKES]++;
          counts[b + WINS2] += w;
          wins2 += w;
          fakeScore[nPF] = s;
          fakeCluster[nPF++] = c;
          if (mark[p] === 0) {
            mark[p] = 1;
            realRank[nPR++] = realRankOfPair[p];
          }
        }
        if (twoClass) two[b2 + SE] += (s - 1) * (s - 1);
      } else if (twoClass) {
        two[b2 + TN] += 1 - pred;
        two[b2 + SE] += s * s;
        tn += 1 - pred;
      }
    }

    // pass 2: merge the paired fakes (rank order) with their reals (sorted by rank), block by block of equal
    // scores, for the Mann–Whitney counts of the paired AUC
    const ranks = realRank.subarray(0, nPR).sort();
    const realScore = this.realScore;
    const realCluster = this.realCluster;
    for (let i = 0; i < nPR; i++) {
      const p = realPairsDesc[ranks[i]];
      mark[p] = 0; // leave the marks clean for the next group
      realScore[i] = realScoreOfPair[p];
      realCluster[i] = (clusterOfPair ? clusterOfPair[p] : p) * P_REAL_STRIDE;
    }
    let place2 = 0;
    let a = 0;
    let r = 0;
    let fakesAbove = 0;
    let realsAbove = 0;
    while (a < nPF || r < nPR) {
      const sr = r < nPR ? realScore[r] : -Infinity;
      // the run of fakes strictly above the next real all beat the same reals: one placement for the run
      const v10run = 2 * (nPR - realsAbove);
      const a0 = a;
      while (a < nPF && fakeScore[a] > sr) pFakePlace2[fakeCluster[a++]] += v10run;
      place2 += (a - a0) * v10run;
      fakesAbove += a - a0;
      if (r >= nPR) break;
      // a block of reals (and fakes) tied at the real's score
      let a2 = a;
      while (a2 < nPF && fakeScore[a2] === sr) a2++;
      let r2 = r;
      while (r2 < nPR && realScore[r2] === sr) r2++;
      const f = a2 - a;
      const rt = r2 - r;
      const v10 = 2 * (nPR - realsAbove - rt) + rt;
      const v01 = 2 * fakesAbove + f;
      for (let i = a; i < a2; i++) pFakePlace2[fakeCluster[i]] += v10;
      place2 += f * v10;
      for (let i = r; i < r2; i++) {
        const b = realCluster[i];
        pReal[b + P_REAL_PLACE2] += v01;
        pReal[b + P_REALS]++;
      }
      fakesAbove += f;
      realsAbove += rt;
      a = a2;
      r = r2;
    }

    // pass 3 (two-class): the group's own placements, in rank order; rows with distinct scores (the usual
    // case) are their own block, tied rows share a placement
    if (twoClass) {
      const nReal = n - nFake;
      let k = 0;
      let fAbove = 0;
      let rAbove = 0;
      while (k < n) {
        const s = rankedScore[k];
        let k2 = k + 1;
        let f = rankedWin[k] === WIN.real ? 0 : 1;
        while (k2 < n && rankedScore[k2] === s) f += rankedWin[k2++] === WIN.real ? 0 : 1;
        const rt = k2 - k - f;
        const v10 = 2 * (nReal - rAbove - rt) + rt;
        const v01 = 2 * fAbove + f;
        for (let i = k; i < k2; i++) {
          const p = rankedPair[i];
          const c = clusterOfPair ? clusterOfPair[p] : p;
          if (rankedWin[i] !== WIN.real) two[c * TWO_STRIDE + FAKE_PLACE2] += v10;
          else two[c * TWO_STRIDE + REAL_PLACE2] += v01;
        }
        fAbove += f;
        rAbove += rt;
        k = k2;
      }
    }

    this.n = n;
    this.nFake = nFake;
    this.tp = tp;
    this.tn = tn;
    this.nUnpaired = nUnpaired;
    this.wins2 = wins2;
    this.place2 = place2;
    this.nPairedFakes = nPF;
    this.nPairedReals = nPR;
    this.nTouched = nTouched;
    const totals = this.totals;
    totals.fill(0);
    // in the order the clusters were touched (SE is a float sum)
    for (let i = 0; i < nTouched; i++) {
      const c = touched[i];
      const b = c * COUNT_STRIDE;
      totals[T.FAKES] += counts[b + FAKES];
      totals[T.TP] += counts[b + TP];
      totals[T.P_FAKES] += counts[b + P_FAKES];
      totals[T.WINS2] += counts[b + WINS2];
      totals[T.P_FAKE_PLACE2] += pFakePlace2[c];
      totals[T.P_REAL_PLACE2] += pReal[c * P_REAL_STRIDE + P_REAL_PLACE2];
      totals[T.P_REALS] += pReal[c * P_REAL_STRIDE + P_REALS];
      if (twoClass) {
        const b2 = c * TWO_STRIDE;
        totals[T.SIZE] += two[b2 + SIZE];
        totals[T.TN] += two[b2 + TN];
        totals[T.SE] += two[b2 + SE];
      }
    }
    return this;
  }

  /** Paired AUC from the Mann–Whitney counts, or why there is none. */
  pairedAuc(): number | string {
    if (this.nPairedFakes === 0) return this.nUnpaired > 0 ? `no fake has a scored source real (${this.nUnpaired} unpaired)` : 'no fakes in the slice';
    return this.place2 / (2 * this.nPairedFakes * this.nPairedReals);
  }

  /** 2AFC: the share of paired fakes scored above their own real (ties ½), or why there is none. */
  twoAfc(): number | string {
    if (this.nPairedFakes === 0) return this.nUnpaired > 0 ? `no fake has a scored source real (${this.nUnpaired} unpaired)` : 'no fakes in the slice';
    return this.wins2 / (2 * this.nPairedFakes);
  }

  /** Source images the group touches: the C of the variance. */
  get clusters(): number {
    return this.nTouched;
  }

  /** The group's totals as the registry's ClusterSums. */
  private totalSums(): ClusterSums {
    const r = this.totals;
    const fakes = r[T.FAKES];
    const tp = r[T.TP];
    const size = this.twoClass ? r[T.SIZE] : fakes;
    const reals = size - fakes;
    const tn = this.twoClass ? r[T.TN] : 0;
    return { fakes, tp, fn: fakes - tp, size, reals, tn, fp: reals - tn, se: this.twoClass ? r[T.SE] : 0, wins: r[T.WINS2] / 2, pairedFakes: r[T.P_FAKES] };
  }

  /** Every touched cluster's ClusterSums as columns (index t: the t-th touched cluster), once per group. */
  private clusterColumns(): Record<keyof ClusterSums, Float64Array> {
    const n = this.nTouched;
    if (this.columnsFor === this.group) return this.columns;
    if (this.columns.tp.length < n) this.columns = emptyColumns(this.touched.length);
    const { fakes, tp, fn, size, reals, tn, fp, se, wins, pairedFakes } = this.columns;
    const { counts, two, touched, twoClass } = this;
    for (let t = 0; t < n; t++) {
      const b = touched[t] * COUNT_STRIDE;
      const b2 = touched[t] * TWO_STRIDE;
      fakes[t] = counts[b + FAKES];
      tp[t] = counts[b + TP];
      fn[t] = fakes[t] - tp[t];
      size[t] = twoClass ? two[b2 + SIZE] : fakes[t];
      reals[t] = size[t] - fakes[t];
      tn[t] = twoClass ? two[b2 + TN] : 0;
      fp[t] = reals[t] - tn[t];
      se[t] = twoClass ? two[b2 + SE] : 0;
      wins[t] = counts[b + WINS2] / 2;
      pairedFakes[t] = counts[b + P_FAKES];
    }
    this.columnsFor = this.group;
    return this.columns;
  }

  /**
   * `metric`'s influences for this group at its point value `v`, into `z` (index t: the t-th touched cluster):
   * the linearisation of the registry's NormalSpec, value(w) ≈ value + Σ_c (w_c − 1)·z_c. Ratios Σa/Σb:
   * z = (a_c − R·b_c)/Σb per ratio (the totals fixed once per group); AUCs: z = (ΣV10_c − m_c·A)/M +
   * (ΣV01_c − n_c·A)/N, placements kept doubled. Column by column, with no call per cluster.
   */
  private influences(metric: MetricKey, v: number, total: ClusterSums, z: Float64Array): void {
    const spec = metricDef(metric).normal!;
    const n = this.nTouched;
    const cols = this.clusterColumns();
    const { pFakePlace2, pReal, two, touched } = this;
    if ('ratios' in spec) {
      // a ratio over nothing (recall on reals of a fake-only group) is left out and the weights renormalised,
      // as sklearn averages only the classes present
      const terms = spec.ratios.filter((r) => linearSum(r.den, total) !== 0);
      const weights = terms.reduce((w, r) => w + r.weight, 0);
      z.fill(0, 0, n);
      const num = this.scratchNum;
      const den = this.scratchDen;
      for (const r of terms) {
        const D = linearSum(r.den, total);
        const scale = r.weight / weights / D;
        const R = linearSum(r.num, total) / D;
        linearColumn(r.num, cols, num, n);
        linearColumn(r.den, cols, den, n);
        for (let t = 0; t < n; t++) z[t] += scale * (num[t] - R * den[t]);
      }
      return;
    }
    if (spec.auc === 'paired') {
      const M = this.totals[T.P_FAKES];
      const N = this.totals[T.P_REALS];
      const pairedFakes = cols.pairedFakes;
      for (let t = 0; t < n; t++) {
        const c = touched[t];
        const b = c * P_REAL_STRIDE;
        z[t] = (pFakePlace2[c] / (2 * N) - pairedFakes[t] * v) / M + (pReal[b + P_REAL_PLACE2] / (2 * M) - pReal[b + P_REALS] * v) / N;
      }
      return;
    }
    const { fakes, reals } = cols;
    for (let t = 0; t < n; t++) {
      const b = touched[t] * TWO_STRIDE;
      z[t] = (two[b + FAKE_PLACE2] / (2 * total.reals) - fakes[t] * v) / total.fakes + (two[b + REAL_PLACE2] / (2 * total.fakes) - reals[t] * v) / total.reals;
    }
  }

  /** Per-cluster influences of `metric` over `clusters` cluster numbers (for differences between runs). */
  influence(metric: MetricKey, value: number, clusters: number): Float64Array {
    const z = new Float64Array(clusters);
    const zt = this.scratchZ;
    this.influences(metric, value, this.totalSums(), zt);
    for (let t = 0; t < this.nTouched; t++) z[this.touched[t]] = zt[t];
    return z;
  }

  /** 95% normal intervals of the metrics with a NormalSpec whose point value is given. */
  intervals(values: Partial<Record<MetricKey, number | null>>): Map<MetricKey, { lo: number; hi: number } | { reason: string }> {
    const keys = [...NORMAL_CI_METRICS].filter((m) => values[m] !== null && values[m] !== undefined);
    const total = this.totalSums();
    const z = this.scratchZ;
    const out = new Map<MetricKey, { lo: number; hi: number } | { reason: string }>();
    for (const m of keys) {
      this.influences(m, values[m]!, total, z);
      let ss = 0;
      for (let t = 0; t < this.nTouched; t++) ss += z[t] * z[t];
      out.set(m, normalInterval(values[m]!, ss, this.nTouched));
    }
    return out;
  }

  /** Zeroes the sums of the clusters the last group touched, and grows the buffers. */
  private reserve(clusters: number, rows: number, pairs: number, reals: number): void {
    const { counts, pFakePlace2, pReal, two, touched, nTouched } = this;
    // plain store loops: a fill() call per cluster costs more than the stores
    if (nTouched * 4 > clusters) {
      counts.fill(0);
      pFakePlace2.fill(0);
      pReal.fill(0);
      two.fill(0);
    } else {
      for (let i = 0; i < nTouched; i++) {
        const c = touched[i];
        for (let f = 0; f < COUNT_STRIDE; f++) counts[c * COUNT_STRIDE + f] = 0;
        pFakePlace2[c] = 0;
        pReal[c * P_REAL_STRIDE + P_REAL_PLACE2] = 0;
        pReal[c * P_REAL_STRIDE + P_REALS] = 0;
        if (this.twoClass) for (let f = 0; f < TWO_STRIDE; f++) two[c * TWO_STRIDE + f] = 0;
      }
    }
    this.nTouched = 0;
    this.group++;
    if (this.touched.length < clusters) {
      this.counts = new Int32Array(clusters * COUNT_STRIDE);
      this.pFakePlace2 = new Float64Array(clusters);
      this.pReal = new Float64Array(clusters * P_REAL_STRIDE);
      this.two = new Float64Array(clusters * TWO_STRIDE);
      this.touched = new Int32Array(clusters);
      this.scratchNum = new Float64Array(clusters);
      this.scratchDen = new Float64Array(clusters);
      this.scratchZ = new Float64Array(clusters);
    }
    // marks are per pair code (cleared again by the merge of every group)
    if (this.mark.length < pairs) this.mark = new Uint8Array(pairs);
    if (this.fakeScore.length < rows) {
      this.fakeScore = new Float64Array(rows);
      this.fakeCluster = new Int32Array(rows);
    }
    if (this.realRank.length < Math.min(rows, reals)) {
      this.realRank = new Int32Array(Math.min(rows, reals));
      this.realScore = new Float64Array(this.realRank.length);
      this.realCluster = new Int32Array(this.realRank.length);
    }
  }

}

function emptyColumns(n: number): Record<keyof ClusterSums, Float64Array> {
  const col = () => new Float64Array(n);
  return { tp: col(), fp: col(), tn: col(), fn: col(), fakes: col(), reals: col(), size: col(), se: col(), wins: col(), pairedFakes: col() };
}

/** `form` (linearSum) evaluated for the first n clusters of `cols`, into `out`, in the form's key order. */
function linearColumn(form: LinearSum, cols: Record<keyof ClusterSums, Float64Array>, out: Float64Array, n: number): void {
  out.fill(0, 0, n);
  for (const key in form) {
    const coef = form[key as keyof ClusterSums]!;
    const col = cols[key as keyof ClusterSums];
    for (let t = 0; t < n; t++) out[t] += coef * col[t];
  }
}

/**
 * The 95% normal interval value ± z·√(C/(C−1)·Σz_c²), clipped to `bounds` ([0, 1] for a rate, [−1, 1] for a
 * difference of rates). Needs two or more clusters.
 */
export function normalInterval(
  value: number,
  sumSquares: number,
  clusters: number,
  bounds: [number, number] = [0, 1],
): { lo: number; hi: number } | { reason: string } {
  if (clusters < 2) return { reason: 'normal interval needs at least 2 source images' };
  const se = Math.sqrt((clusters / (clusters - 1)) * sumSquares);
  return { lo: Math.max(bounds[0], value - Z95 * se), hi: Math.min(bounds[1], value + Z95 * se) };
}

/** Σ z_c² of an influence vector. */
export function sumOfSquares(z: Float64Array): number {
  let ss = 0;
  for (let c = 0; c < z.length; c++) ss += z[c] * z[c];
  return ss;
}
