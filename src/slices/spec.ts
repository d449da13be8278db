/** How a continuous column is cut into bins. */
export type BinScheme =
  /** Semi-Truths 3-bin: small < P25 <= medium < P75 <= large. */
  | 'quantile3'
  /** Semi-Truths 5-bin: edges at P20, P40, P60, P80, labels bin1..bin5. */
  | 'quantile5'
  /** Fixed edges e1 < e2 < ...: v < e1 → first label, ..., v >= last edge → last label. */
  | { edges: number[]; labels?: string[] };

/** A slice: a way of grouping samples. Slices are data, listed in bench.config.ts. */
export type SliceSpec =
  /** One group per value of a metadata column (dataset, method, model, sem_magnitude, ...). */
  | { name: string; column: string }
  /**
   * A continuous column cut into bins. Quantile edges are computed over the run's fakes that pass QC
   * (`pass_qc`, when the column exists). When `categoryColumn` exists in the metadata (the released
   * `*_category` columns), its values are used instead of computing bins.
   */
  | { name: string; column: string; bins: BinScheme; categoryColumn?: string }
  /** Every combination of two other slices' values (e.g. area ratio x semantic magnitude). */
  | { name: string; cross: [string, string] };

/** The slice that holds every sample. */
export const ALL_SLICE = 'all';
