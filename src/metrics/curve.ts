import type { ClusterIndex } from './clusters.js';
import type { Labels, Scores, Weights } from './input.js';

/**
 * Rows sorted once by descending score, with ties grouped. Every ranking metric is one linear sweep over this,
 * so a bootstrap resample (new weights, same rows) never re-sorts.
 */
export interface RankedScores {
  /** Row indices in descending score order. */
  order: Int32Array;
  /** Label of `order[j]` (copied so the sweep reads memory in order). */
  sortedLabels: Uint8Array;
  /** Exclusive end (position in `order`) of each group of equal scores. */
  groupEnd: Int32Array;
  /** The score shared by each group, descending. */
  groupScore: Float64Array;
  /** Row → its group. */
  groupOf: Int32Array;
}

/** Sorts once; O(n log n) with the engine's native numeric sort, no comparator calls. */
export function rankScores(labels: Labels, scores: Scores): RankedScores {
  const n = scores.length;
  // distinct scores, descending (=== merges -0 and 0, which the native sort keeps adjacent)
  const sorted = Float64Array.from(scores).sort();
  const values: number[] = [];
  for (let j = n - 1; j >= 0; j--) if (values.length === 0 || sorted[j] !== values[values.length - 1]) values.push(sorted[j]);
  const groupScore = Float64Array.from(values);
  const groups = groupScore.length;
  // each row's group by binary search, then a counting sort: ties keep row order, so the output is reproducible
  const groupOf = new Int32Array(n);
  const groupEnd = new Int32Array(groups);
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    let lo = 0;
    let hi = groups - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (groupScore[mid] > s) lo = mid + 1;
      else hi = mid;
    }
    groupOf[i] = lo;
    groupEnd[lo]++;
  }
  for (let g = 1; g < groups; g++) groupEnd[g] += groupEnd[g - 1];
  const next = new Int32Array(groups);
  for (let g = 1; g < groups; g++) next[g] = groupEnd[g - 1];
  const order = new Int32Array(n);
  const sortedLabels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = next[groupOf[i]]++;
    order[j] = i;
    sortedLabels[j] = labels[i];
  }
  return { order, sortedLabels, groupEnd, groupScore, groupOf };
}

/**
 * Cumulative (weighted) true and false positives at each distinct score, highest first: sklearn's
 * `_binary_clf_curve`. Entry g counts every row scoring >= groupScore[g]. No leading (0, 0) point.
 */
export interface ClfCurve {
  fps: Float64Array;
  tps: Float64Array;
  thresholds: Float64Array;
}

/**
 * Builds the curve from ranked rows and optional per-row weights (indexed by original row). With integer
 * weights the result equals the curve of the rows repeated that many times, except that groups whose rows all
 * have weight 0 remain as repeated points: they add nothing to AUC, AP, EER or TPR@FPR.
 * Pass `out` to reuse buffers across bootstrap resamples.
 */
export function clfCurve(ranked: RankedScores, weights?: Weights, out?: ClfCurve): ClfCurve {
  const groups = ranked.groupEnd.length;
  const curve = out ?? { fps: new Float64Array(groups), tps: new Float64Array(groups), thresholds: ranked.groupScore };
  const { order, sortedLabels, groupEnd } = ranked;
  let tp = 0;
  let fp = 0;
  let j = 0;
  for (let g = 0; g < groups; g++) {
    const end = groupEnd[g];
    if (weights === undefined) {
      for (; j < end; j++) {
        if (sortedLabels[j] === 1) tp++;
        else fp++;
      }
    } else {
      for (; j < end; j++) {
        const w = weights[order[j]];
        const y = sortedLabels[j];
        // branch-free: labels in score order are close to random, so a branch mispredicts often
        tp += w * y;
        fp += w * (1 - y);
      }
    }
    curve.tps[g] = tp;
    curve.fps[g] = fp;
  }
  return curve;
}

/**
 * The ranking laid out cluster by cluster, for the bootstrap: a resample then touches only the rows of the
 * clusters it drew, reading memory in order, and never builds per-row weights.
 */
export interface ClusteredRanking {
  ranked: RankedScores;
  clusters: ClusterIndex;
  /** 2·group + label of the p-th row in cluster order (`clusters.rows[p]`): one integer scatter per row. */
  slotAt: Int32Array;
  /** Scratch: per-group (real, fake) counts of the current resample. */
  slots: Int32Array;
}

/** Lays `ranked` out in `clusters` order (once per slice). */
export function clusterRanking(ranked: RankedScores, labels: Labels, clusters: ClusterIndex): ClusteredRanking {
  const { rows } = clusters;
  const slotAt = new Int32Array(rows.length);
  for (let p = 0; p < rows.length; p++) slotAt[p] = 2 * ranked.groupOf[rows[p]] + labels[rows[p]];
  return { ranked, clusters, slotAt, slots: new Int32Array(2 * ranked.groupScore.length) };
}

/**
 * {@link clfCurve} of a cluster resample: the curve of the rows of cluster c repeated `counts[c]` times.
 * Scatters each drawn row into its score group (integer adds), then takes running sums: O(drawn rows +
 * distinct scores). Equals `clfCurve(ranked, weights)` with weights[row] = counts[cluster of row].
 * Counts must be integers and the resample under 2³¹ rows.
 */
export function clfCurveClustered(cr: ClusteredRanking, counts: ArrayLike<number>, out?: ClfCurve): ClfCurve {
  const groups = cr.ranked.groupEnd.length;
  const curve = out ?? { fps: new Float64Array(groups), tps: new Float64Array(groups), thresholds: cr.ranked.groupScore };
  const { slotAt, slots } = cr;
  const { start, nClusters } = cr.clusters;
  slots.fill(0);
  for (let c = 0; c < nClusters; c++) {
    const k = counts[c];
    if (k === 0) continue;
    for (let p = start[c]; p < start[c + 1]; p++) slots[slotAt[p]] += k;
  }
  let tp = 0;
  let fp = 0;
  for (let g = 0; g < groups; g++) {
    fp += slots[2 * g];
    tp += slots[2 * g + 1];
    curve.tps[g] = tp;
    curve.fps[g] = fp;
  }
  return curve;
}
