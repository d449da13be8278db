import { clusterIndex, type ClusterIndex } from './clusters.js';
import { Xoshiro128 } from '../util/random.js';
import type { MetricValue } from './value.js';

/**
 * One bootstrap resample: nClusters clusters drawn with replacement. Its buffers are reused by the next
 * resample, so read them inside the callback and copy anything you keep.
 */
export class Resample {
  /** Times each cluster was drawn. */
  readonly clusterCounts: Uint32Array;
  private readonly rowWeights: Uint32Array;
  private weightsReady = false;

  constructor(readonly clusters: ClusterIndex) {
    this.clusterCounts = new Uint32Array(clusters.nClusters);
    this.rowWeights = new Uint32Array(clusters.nRows);
  }

  /** @internal Draws the next resample. */
  draw(rng: Xoshiro128): void {
    const k = this.clusters.nClusters;
    const counts = this.clusterCounts;
    counts.fill(0);
    // rng.nextBelow(k) inlined (same draws): the limit is computed once per resample, not once per draw
    const limit = 0x80000000 - (0x80000000 % k);
    for (let i = 0; i < k; i++) {
      let x = rng.nextUint31();
      while (x >= limit) x = rng.nextUint31();
      counts[x % k]++;
    }
    this.weightsReady = false;
  }

  /**
   * Times each row was drawn (its cluster's count): every metric with a weights option computes on the resample
   * from this without building it. Integer weights = the rows repeated that many times.
   */
  get weights(): Uint32Array {
    if (!this.weightsReady) {
      const { clusterOf } = this.clusters;
      const counts = this.clusterCounts;
      const weights = this.rowWeights;
      for (let i = 0; i < clusterOf.length; i++) weights[i] = counts[clusterOf[i]];
      this.weightsReady = true;
    }
    return this.rowWeights;
  }

  /** The drawn rows, repeats included, cluster by cluster (a fresh array: the slow, general path). */
  rows(): Int32Array {
    const { start, rows } = this.clusters;
    let m = 0;
    for (let c = 0; c < this.clusterCounts.length; c++) m += this.clusterCounts[c] * (start[c + 1] - start[c]);
    const out = new Int32Array(m);
    let j = 0;
    for (let c = 0; c < this.clusterCounts.length; c++) {
      for (let r = 0; r < this.clusterCounts[c]; r++) {
        for (let p = start[c]; p < start[c + 1]; p++) out[j++] = rows[p];
      }
    }
    return out;
  }
}

/** A metric on a resample: a number, or null / NaN / an undefined MetricValue when it is undefined there. */
export type ResampleValue = number | null | MetricValue;

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** PRNG seed (default 0). Same seed, same clusters → same interval. */
  seed?: number;
  /** Central coverage (default 0.95). */
  level?: number;
}

/** A percentile bootstrap interval. `lo`/`hi` are null (with `reason`) when no resample gave a value. */
export interface BootstrapInterval {
  lo: number | null;
  hi: number | null;
  level: number;
  resamples: number;
  /** Resamples where the metric was defined (the interval uses only these). */
  valid: number;
  /** Resamples where the metric was undefined (e.g. a draw with no reals), skipped. */
  skipped: number;
  seed: number;
  clusters: number;
  reason?: string;
}

/**
 * Percentile cluster bootstrap of several metrics on the same draws. Each resample draws nClusters clusters
 * uniformly with replacement (xoshiro128**, seeded), calls `fn`, and collects each metric's value; the interval
 * is numpy's default (linear) percentile at (1 − level)/2 and (1 + level)/2 of the defined values.
 */
export function bootstrap<K extends string>(
  clusters: ClusterIndex | ArrayLike<string | number>,
  fn: (r: Resample) => Record<K, ResampleValue>,
  opts: BootstrapOptions = {},
): Record<K, BootstrapInterval> {
  const index = isClusterIndex(clusters) ? clusters : clusterIndex(clusters);
  const resamples = opts.resamples ?? 1000;
  const seed = opts.seed ?? 0;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples is ${resamples}; expected an integer >= 1`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level is ${level}; expected a number in (0, 1)`);
  const rng = new Xoshiro128(seed);
  const resample = new Resample(index);
  const values = new Map<K, Float64Array>();
  const counts = new Map<K, number>();
  for (let b = 0; b < resamples; b++) {
    if (index.nClusters > 0) resample.draw(rng);
    const out = fn(resample);
    for (const key of Object.keys(out) as K[]) {
      const v = toNumber(out[key]);
      let column = values.get(key);
      if (column === undefined) {
        values.set(key, (column = new Float64Array(resamples)));
        counts.set(key, 0);
      }
      if (!Number.isNaN(v)) {
        const c = counts.get(key) as number;
        column[c] = v;
        counts.set(key, c + 1);
      }
    }
  }
  const result = {} as Record<K, BootstrapInterval>;
  for (const [key, column] of values) {
    const valid = counts.get(key) as number;
    const base = { level, resamples, valid, skipped: resamples - valid, seed, clusters: index.nClusters };
    if (valid === 0) {
      result[key] = { ...base, lo: null, hi: null, reason: `undefined in all ${resamples} resamples` };
      continue;
    }
    const sorted = column.subarray(0, valid).sort();
    result[key] = { ...base, lo: percentile(sorted, (1 - level) / 2), hi: percentile(sorted, (1 + level) / 2) };
  }
  return result;
}

/**
 * Percentile cluster bootstrap interval of one metric. `metric` receives each {@link Resample}; read
 * `r.weights` (per-row multiplicities, fast) or `r.rows()` (the drawn row indices, general).
 *
 * @example
 *   const ci = bootstrapCI(pairIds, (r) => rocAuc(labels, scores, { weights: r.weights }), { seed: 1 });
 */
export function bootstrapCI(
  clusters: ClusterIndex | ArrayLike<string | number>,
  metric: (r: Resample) => ResampleValue,
  opts: BootstrapOptions = {},
): BootstrapInterval {
  return bootstrap(clusters, (r) => ({ m: metric(r) }), opts).m;
}

/** numpy `percentile(a, 100·q)` with the default 'linear' method, on sorted finite values. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  if (i >= sorted.length - 1) return sorted[sorted.length - 1];
  const t = h - i;
  const a = sorted[i];
  const b = sorted[i + 1];
  // numpy's _lerp: interpolate from the nearer end for accuracy
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

function toNumber(v: ResampleValue): number {
  if (v === null) return Number.NaN;
  if (typeof v === 'number') return v;
  return v.value === null ? Number.NaN : v.value;
}

function isClusterIndex(x: ClusterIndex | ArrayLike<string | number>): x is ClusterIndex {
  return typeof x === 'object' && x !== null && 'clusterOf' in x;
}
