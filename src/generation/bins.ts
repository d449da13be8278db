import { binIndex, quantileSorted, type Bins } from '../slices/bins.js';
import { BINNED_COLUMNS, type BinnedColumn } from './columns.js';

/** The 3-bin and 5-bin edges of one metric, and how many values they were computed over. */
export interface ColumnBins {
  /** Values the percentiles were computed over. */
  values: number;
  /** P25, P75 → small / medium / large. */
  quantile3: Bins;
  /** P20, P40, P60, P80 → bin1 … bin5. */
  quantile5: Bins;
}

/**
 * Collects the values bin edges are computed over: QC-passing rows (Semi-Truths binning.py filters
 * `pass_qc == 1` and drops NA), inpainting and prompt-based edits together; area_ratio exists only on rows with a
 * mask, so its edges come from inpainting rows only. Memory: one float per row and binned column.
 */
export class BinBasis {
  private readonly values = new Map<BinnedColumn, number[]>(BINNED_COLUMNS.map((c) => [c, []]));

  add(column: BinnedColumn, value: number | undefined): void {
    if (value !== undefined && Number.isFinite(value)) this.values.get(column)!.push(value);
  }

  /**
   * Edges per column with numpy.percentile's default linear interpolation (`quantileSorted`, src/slices/bins.ts). A column with no
   * values gets no edges, and its categories stay empty.
   */
  edges(): Partial<Record<BinnedColumn, ColumnBins>> {
    const out: Partial<Record<BinnedColumn, ColumnBins>> = {};
    for (const [column, values] of this.values) {
      if (values.length === 0) continue;
      const sorted = Float64Array.from(values).sort();
      const cut = (at: number[], labels: string[]): Bins => ({ edges: at.map((q) => quantileSorted(sorted, q)), labels });
      out[column] = {
        values: values.length,
        quantile3: cut([0.25, 0.75], ['small', 'medium', 'large']),
        quantile5: cut([0.2, 0.4, 0.6, 0.8], ['bin1', 'bin2', 'bin3', 'bin4', 'bin5']),
      };
    }
    return out;
  }
}

/** What a missing value gets when its column has edges: the last bin (final_bins.py) or no label. */
export type MissingValue = 'lastBin' | 'own';

/**
 * The category labels of a value: `final_bins.py` rules (v < e1 → first label, …, v ≥ last edge → last label).
 * A missing value fails every `<`, so final_bins.py puts it in the last bin: `missing: 'lastBin'` does the same,
 * `'own'` leaves it unlabelled. A column without edges (no values at all) labels nothing.
 */
export function categorize(value: number | undefined, bins: ColumnBins | undefined, missing: MissingValue = 'own'): { category5: string; category3: string } {
  if (bins === undefined) return { category5: '', category3: '' };
  if (value === undefined || !Number.isFinite(value)) {
    return missing === 'lastBin' ? { category5: bins.quantile5.labels.at(-1)!, category3: bins.quantile3.labels.at(-1)! } : { category5: '', category3: '' };
  }
  return { category5: labelOf(value, bins.quantile5), category3: labelOf(value, bins.quantile3) };
}

/** The label of the bin a value falls in: v < e1 → first, …, v ≥ last edge → last (final_bins.py `sem_mag_5`). */
export function labelOf(value: number, bins: Bins): string {
  return bins.labels[binIndex(value, bins.edges)];
}
