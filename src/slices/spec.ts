/** How a continuous column is cut into bins. */
export type BinScheme =
  /** Semi-Truths 3-bin: small < P25 <= medium < P75 <= large. */
  | 'quantile3'
  /** Semi-Truths 5-bin: edges at P20, P40, P60, P80, labels bin1..bin5. */
  | 'quantile5'
  /** Semi-Truths scene bins: low < mean − σ <= medium < mean + σ <= high (population σ, as numpy's std). */
  | 'meanStd'
  /** Fixed edges e1 < e2 < ...: v < e1 → first label, ..., v >= last edge → last label. */
  | { edges: number[]; labels?: string[] };

/**
 * A metadata column, or several names for the same column: the first one the metadata has is used (the
 * Evalset calls `ssim` `ssim_rgb`, `post_edit_ratio` `ratio_rgb`, ...). A name may also be a derived column
 * (see src/slices/derived.ts: `scene_diversity`, `scene_complexity`).
 */
export type ColumnRef = string | readonly string[];

interface SliceBase {
  /** Name in reports, file name of its CSV, and what `--slices` selects. */
  name: string;
  /**
   * Skip this slice (with a note in the report) when the metadata lacks its column, instead of failing.
   * For slices a default config lists "in case": the bundled eval set has no change metrics.
   */
  optional?: boolean;
  /** Leave real rows out even where they carry a value (the notebook's scene slices are fake-only). */
  fakesOnly?: boolean;
}

/** One group per value of a metadata column (dataset, method, editing model, sem_magnitude, ...). */
export interface CategoricalSlice extends SliceBase {
  column: ColumnRef;
}

/**
 * A continuous column cut into bins. Quantile edges are computed over the fakes that pass QC (`pass_qc`, when
 * the column exists), or over one value per source image with `over: 'images'`. When `categoryColumn` exists
 * in the metadata (the released `*_category` columns), its values are used instead of computing bins.
 */
export interface BinnedSlice extends SliceBase {
  column: ColumnRef;
  bins: BinScheme;
  categoryColumn?: ColumnRef;
  /** What the quantiles / mean ± σ are computed over: QC-passing fake rows (default) or unique images. */
  over?: 'rows' | 'images';
  /**
   * Only rows whose `column` equals `equals` are binned and enter the basis (area_ratio: `method` = inpainting,
   * as binning.py computes its edges on the inpainting table); other rows are left out of the slice. Ignored when the
   * metadata lacks the column.
   */
  basisWhere?: { column: string; equals: string };
  /**
   * Where a binned row with no value goes: 'lastBin' (default for quantile bins) as final_bins.py does (NaN fails
   * every `<`, so it lands in bin 5 / large), or 'own' for a separate '(missing)' group.
   */
  missingValue?: 'lastBin' | 'own';
  /**
   * Keep only these bins, renamed; rows in the other bins are left out of the slice. The paper's
   * small / medium / large (notebook `thin_bins`) is { bin1: 'small', bin3: 'medium', bin5: 'large' }.
   */
  keepBins?: Record<string, string>;
}

/** Every combination of two other slices' values (e.g. area ratio x semantic magnitude). */
export interface CrossedSlice extends SliceBase {
  cross: readonly [string, string];
}

/** A slice: a way of grouping samples. Slices are data, listed in bench.config.ts. */
export type SliceSpec = CategoricalSlice | BinnedSlice | CrossedSlice;

/** The slice that holds every sample. */
export const ALL_SLICE = 'all';

export function isCrossed(spec: SliceSpec): spec is CrossedSlice {
  return 'cross' in spec;
}

export function isBinned(spec: SliceSpec): spec is BinnedSlice {
  return 'bins' in spec;
}

/** The names a column reference tries, in order. */
export function columnNames(ref: ColumnRef): readonly string[] {
  return typeof ref === 'string' ? [ref] : ref;
}
