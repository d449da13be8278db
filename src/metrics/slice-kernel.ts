import { calibrationBins, eceFromSums } from './calibration.js';
import { classificationFromConfusion, type ClassificationMetrics, type ZeroDivision } from './classification.js';
import { fromClusterOf, type ClusterIndex } from './clusters.js';
import { clfCurveClustered, clusterRanking, type ClfCurve, type ClusteredRanking, type RankedScores } from './curve.js';
import type { Labels, Scores } from './input.js';
import type { PairedSet } from './paired.js';
import { aucFromCurve } from './ranking.js';
import { evaluateMetrics, type MetricKey } from './registry.js';
import { defined, undefinedValue, valueOrNaN, type MetricValue } from './value.js';

/**
 * Registry metrics of a cluster resample, from per-cluster aggregates computed once: confusion counts, squared
 * errors and 2AFC wins are sums over clusters (O(clusters)); the ROC curve and ECE bins scatter only the drawn
 * clusters' rows, in memory order. The values equal the public metric functions with weights[row] =
 * counts[cluster of row] (tests/metrics/slice-kernel.test.ts); the point estimates come from those functions.
 */
export class SliceKernel {
  private readonly k: number;
  private readonly confusion: Float64Array; // per cluster: tp, fp, tn, fn
  private readonly squaredError: Float64Array;
  private readonly size: Float64Array;
  private readonly ranking: ClusteredRanking;
  private readonly curve: ClfCurve;
  // ECE: each cluster's rows summed per bin (a sparse cluster × bin table), entries e in binStart[c]..binStart[c+1]
  private readonly binStart: Int32Array;
  private readonly entryBin: Uint16Array;
  private readonly entryCount: Float64Array;
  private readonly entryLabel: Float64Array;
  private readonly entryScore: Float64Array;
  private readonly binCount: Float64Array;
  private readonly binLabel: Float64Array;
  private readonly binScore: Float64Array;
  private readonly paired?: { wins: Float64Array; fakes: Float64Array; ranking: ClusteredRanking; curve: ClfCurve };

  constructor(
    labels: Labels,
    scores: Scores,
    ranked: RankedScores,
    threshold: number,
    clusters: ClusterIndex,
    bins: number,
    private readonly zeroDivision: ZeroDivision | undefined,
    paired?: { set: PairedSet; clusterOf: Int32Array },
  ) {
    const k = (this.k = clusters.nClusters);
    this.confusion = new Float64Array(4 * k);
    this.squaredError = new Float64Array(k);
    this.size = new Float64Array(k);
    const { clusterOf, rows } = clusters;
    for (let i = 0; i < labels.length; i++) {
      const c = clusterOf[i];
      const predFake = scores[i] >= threshold;
      const cell = labels[i] === 1 ? (predFake ? 0 : 3) : predFake ? 1 : 2;
      this.confusion[4 * c + cell]++;
      this.squaredError[c] += (scores[i] - labels[i]) ** 2;
      this.size[c]++;
    }
    this.ranking = clusterRanking(ranked, labels, clusters);
    const groups = ranked.groupScore.length;
    this.curve = { fps: new Float64Array(groups), tps: new Float64Array(groups), thresholds: ranked.groupScore };
    const binOf = calibrationBins(scores, bins);
    this.binStart = new Int32Array(k + 1);
    const eBin: number[] = [];
    const eCount: number[] = [];
    const eLabel: number[] = [];
    const eScore: number[] = [];
    const entryOfBin = new Int32Array(bins).fill(-1);
    for (let c = 0; c < k; c++) {
      const first = eBin.length;
      for (let p = clusters.start[c]; p < clusters.start[c + 1]; p++) {
        const i = rows[p];
        const b = binOf[i];
        if (entryOfBin[b] < first) {
          entryOfBin[b] = eBin.length;
          eBin.push(b);
          eCount.push(0);
          eLabel.push(0);
          eScore.push(0);
        }
        const e = entryOfBin[b];
        eCount[e]++;
        eLabel[e] += labels[i];
        eScore[e] += scores[i];
      }
      this.binStart[c + 1] = eBin.length;
    }
    this.entryBin = Uint16Array.from(eBin);
    this.entryCount = Float64Array.from(eCount);
    this.entryLabel = Float64Array.from(eLabel);
    this.entryScore = Float64Array.from(eScore);
    this.binCount = new Float64Array(bins);
    this.binLabel = new Float64Array(bins);
    this.binScore = new Float64Array(bins);
    if (paired) {
      const { set } = paired;
      const wins = new Float64Array(k);
      const fakes = new Float64Array(k);
      for (let j = 0; j < set.nPairedFakes; j++) {
        wins[paired.clusterOf[j]] += set.wins[j];
        fakes[paired.clusterOf[j]]++;
      }
      const ranking = clusterRanking(set.ranked, set.labels, fromClusterOf(paired.clusterOf, clusters.ids));
      const groups = set.ranked.groupScore.length;
      const curve = { fps: new Float64Array(groups), tps: new Float64Array(groups), thresholds: set.ranked.groupScore };
      this.paired = { wins, fakes, ranking, curve };
    }
  }

  /** The metrics `keys` on the resample that drew cluster c `counts[c]` times; NaN where undefined. */
  evaluate(counts: ArrayLike<number>, keys: readonly MetricKey[]): Record<MetricKey, number> {
    const k = this.k;
    let cls: ClassificationMetrics | undefined;
    let curve: ClfCurve | undefined;
    const classification = (): ClassificationMetrics => {
      let tp = 0;
      let fp = 0;
      let tn = 0;
      let fn = 0;
      for (let c = 0; c < k; c++) {
        const w = counts[c];
        if (w === 0) continue;
        tp += w * this.confusion[4 * c];
        fp += w * this.confusion[4 * c + 1];
        tn += w * this.confusion[4 * c + 2];
        fn += w * this.confusion[4 * c + 3];
      }
      return classificationFromConfusion({ tp, fp, tn, fn }, { zeroDivision: this.zeroDivision });
    };
    const brier = (): MetricValue => {
      let se = 0;
      let n = 0;
      for (let c = 0; c < k; c++) {
        se += counts[c] * this.squaredError[c];
        n += counts[c] * this.size[c];
      }
      return n > 0 ? defined(se / n) : undefinedValue('empty slice');
    };
    const twoAfc = (): MetricValue => {
      if (!this.paired) return undefinedValue('no realScores given');
      let won = 0;
      let fakes = 0;
      for (let c = 0; c < k; c++) {
        won += counts[c] * this.paired.wins[c];
        fakes += counts[c] * this.paired.fakes[c];
      }
      return fakes > 0 ? defined(won / fakes) : undefinedValue('no paired fakes');
    };
    const self = this;
    const values = evaluateMetrics(keys, {
      get cls() {
        return (cls ??= classification());
      },
      get curve() {
        return (curve ??= clfCurveClustered(self.ranking, counts, self.curve));
      },
      get ece() {
        return self.ece(counts);
      },
      get brier() {
        return brier();
      },
      get twoAfc() {
        return twoAfc();
      },
      get pairedAuc() {
        return self.paired ? aucFromCurve(clfCurveClustered(self.paired.ranking, counts, self.paired.curve)) : undefinedValue('no realScores given');
      },
    });
    const out = {} as Record<MetricKey, number>;
    for (const key of keys) out[key] = valueOrNaN(values[key]);
    return out;
  }

  private ece(counts: ArrayLike<number>) {
    const { binStart, entryBin, entryCount, entryLabel, entryScore, binCount, binLabel, binScore } = this;
    binCount.fill(0);
    binLabel.fill(0);
    binScore.fill(0);
    for (let c = 0; c < this.k; c++) {
      const w = counts[c];
      if (w === 0) continue;
      for (let e = binStart[c]; e < binStart[c + 1]; e++) {
        const b = entryBin[e];
        binCount[b] += w * entryCount[e];
        binLabel[b] += w * entryLabel[e];
        binScore[b] += w * entryScore[e];
      }
    }
    return eceFromSums(binCount, binLabel, binScore);
  }
}
