import type { BinScheme } from './spec.js';

const QUANTILES: Record<'quantile3' | 'quantile5', { at: number[]; labels: string[] }> = {
  quantile3: { at: [0.25, 0.75], labels: ['small', 'medium', 'large'] },
  quantile5: { at: [0.2, 0.4, 0.6, 0.8], labels: ['bin1', 'bin2', 'bin3', 'bin4', 'bin5'] },
};

const MEAN_STD_LABELS = ['low', 'medium', 'high'];

/** Bin edges and labels, as written into the report. */
export interface Bins {
  edges: number[];
  labels: string[];
}

/** numpy.percentile's default (linear) interpolation, q in [0, 1], on sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return lerp(sorted[lo], sorted[hi], pos - lo);
}

/** numpy's _lerp: interpolates from the nearer end, so results match numpy.percentile to the last bit. */
function lerp(a: number, b: number, t: number): number {
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/**
 * Resolves a scheme to edges. Quantile and mean ± σ schemes need the finite values they are computed over;
 * with none, there are no edges and every row is '(missing)'.
 */
export function resolveBins(scheme: BinScheme, values: Float64Array): Bins {
  if (typeof scheme === 'object') {
    const labels = scheme.labels ?? Array.from({ length: scheme.edges.length + 1 }, (_, i) => `bin${i + 1}`);
    if (labels.length !== scheme.edges.length + 1) throw new Error(`bins: ${scheme.edges.length} edges need ${scheme.edges.length + 1} labels`);
    return { edges: [...scheme.edges], labels };
  }
  if (values.length === 0) return { edges: [], labels: [] };
  if (scheme === 'meanStd') {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i];
    const mean = sum / values.length;
    let ss = 0;
    for (let i = 0; i < values.length; i++) ss += (values[i] - mean) ** 2;
    const sd = Math.sqrt(ss / values.length);
    return { edges: [mean - sd, mean + sd], labels: MEAN_STD_LABELS };
  }
  const { at, labels } = QUANTILES[scheme];
  return { edges: quantiles(values, at), labels };
}

/**
 * numpy.percentile (linear) at each q of `at` (ascending), by selection instead of a full sort: each
 * quantile needs the values of rank ⌊(n−1)q⌋ and the next, which quickselect places in O(n) on a copy.
 */
export function quantiles(values: Float64Array, at: readonly number[]): number[] {
  const a = Float64Array.from(values);
  const n = a.length;
  let from = 0;
  const rankValue = new Map<number, number>();
  const ranks = [...new Set(at.flatMap((q) => [Math.floor((n - 1) * q), Math.min(Math.floor((n - 1) * q) + 1, n - 1)]))].sort((x, y) => x - y);
  for (const k of ranks) {
    select(a, k, from, n - 1);
    rankValue.set(k, a[k]);
    from = k + 1; // everything right of k is >= a[k]: later ranks are found there
  }
  return at.map((q) => {
    const pos = (n - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, n - 1);
    return lerp(rankValue.get(lo)!, rankValue.get(hi)!, pos - lo);
  });
}

/** Hoare-style quickselect: afterwards a[k] is the k-th smallest of a[left..right], smaller ones before it. */
function select(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    // median of three as the pivot
    const mid = (left + right) >>> 1;
    const pivot = median(a[left], a[mid], a[right]);
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function median(x: number, y: number, z: number): number {
  return x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
}

/** The bin index of a value: v < e1 → 0, ..., v >= e_last → edges.length (Semi-Truths final_bins.py). */
export function binIndex(value: number, edges: readonly number[]): number {
  let i = 0;
  while (i < edges.length && !(value < edges[i])) i++;
  return i;
}

/** "small < 0.01 <= medium < 0.2 <= large", for reports. */
export function describeBins(bins: Bins): string {
  if (bins.labels.length === 0) return 'no bins (no values to compute them from)';
  if (bins.edges.length === 0) return bins.labels.join(', ');
  const parts: string[] = [bins.labels[0]];
  bins.edges.forEach((e, i) => parts.push(`< ${formatEdge(e)} <=`, bins.labels[i + 1]));
  return parts.join(' ');
}

function formatEdge(e: number): string {
  return Number.isInteger(e) ? String(e) : Number(e.toPrecision(4)).toString();
}
