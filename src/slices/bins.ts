import type { BinScheme } from './spec.js';

const QUANTILES: Record<'quantile3' | 'quantile5', { at: number[]; labels: string[] }> = {
  quantile3: { at: [0.25, 0.75], labels: ['small', 'medium', 'large'] },
  quantile5: { at: [0.2, 0.4, 0.6, 0.8], labels: ['bin1', 'bin2', 'bin3', 'bin4', 'bin5'] },
};

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
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Resolves a scheme to edges: quantile schemes need the values they are computed over (finite numbers). */
export function resolveBins(scheme: BinScheme, values: number[]): Bins {
  if (typeof scheme === 'object') {
    const labels = scheme.labels ?? Array.from({ length: scheme.edges.length + 1 }, (_, i) => `bin${i + 1}`);
    if (labels.length !== scheme.edges.length + 1) throw new Error(`bins: ${scheme.edges.length} edges need ${scheme.edges.length + 1} labels`);
    return { edges: scheme.edges, labels };
  }
  const { at, labels } = QUANTILES[scheme];
  if (values.length === 0) return { edges: [], labels: [] };
  const sorted = Float64Array.from(values).sort();
  return { edges: at.map((q) => quantileSorted(sorted, q)), labels };
}

/** The label of a value: v < e1 → labels[0], ..., v >= e_last → the last label (Semi-Truths final_bins.py). */
export function binOf(value: number, bins: Bins): string {
  let i = 0;
  while (i < bins.edges.length && !(value < bins.edges[i])) i++;
  return bins.labels[i];
}
