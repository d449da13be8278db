import type { MetricColumn } from './columns.js';
import { parseValue } from './columns.js';

/**
 * A column the released metadata already carries under another name, with the same meaning as one measure
 * computes. Both are kept: `<column>` holds the value used downstream (QC, bins, `run`'s slices), the released one
 * by default, and `<column>_measured` holds semibench's own. Where they differ by more than the tolerance
 * (`|measured − released| > absolute + relative·|released|`) measure warns with counts.
 */
export interface ReleasedTwin {
  column: MetricColumn;
  released: string;
  tolerance: { absolute: number; relative: number };
  /** Released values outside this range are not values of this meaning (the input metadata writes ratio 1000.0 for "no mask"). */
  range: [number, number];
  /** Only rows with a mask carry an area (a prompt-based edit's `ratio`, if any, is its source mask's). */
  inpaintingOnly?: boolean;
}

export const RELEASED_TWINS: readonly ReleasedTwin[] = [
  // The authors' rule is not public; L >= 128 is within ~1 % of their ratio on their sample masks (mask-area.ts).
  { column: 'area_ratio', released: 'ratio', tolerance: { absolute: 1e-4, relative: 0.02 }, range: [0, 1], inpaintingOnly: true },
  // Ports of the authors' code (src/generation/change): equal up to float rounding on the same files.
  { column: 'post_edit_ratio', released: 'ratio_rgb', tolerance: { absolute: 1e-6, relative: 1e-4 }, range: [0, 1] },
  { column: 'ssim', released: 'ssim_rgb', tolerance: { absolute: 1e-6, relative: 1e-4 }, range: [-1, 1] },
  { column: 'mse', released: 'mse_rgb', tolerance: { absolute: 1e-6, relative: 1e-4 }, range: [0, Infinity] },
];

/** Which of the two `<column>` holds where a row has both. */
export type Prefer = 'released' | 'measured';

export const measuredColumn = (twin: ReleasedTwin): string => `${twin.column}_measured`;

/** The twins whose released column the table has. */
export function twinsOf(header: readonly string[]): ReleasedTwin[] {
  return RELEASED_TWINS.filter((t) => header.includes(t.released));
}

/** A row's released value for a twin, or undefined when it has none (empty, not a number, out of range, not applicable). */
export function releasedValue(twin: ReleasedTwin, record: Record<string, string>, inpainting: boolean): number | undefined {
  if (twin.inpaintingOnly && !inpainting) return undefined;
  const v = parseValue(record[twin.released]);
  return v !== undefined && v >= twin.range[0] && v <= twin.range[1] ? v : undefined;
}

/** How a computed column compared with its released twin: written to measure.json and printed as a warning. */
export interface TwinComparison {
  column: string;
  released: string;
  /** Rows with both values. */
  compared: number;
  /** Rows where they differ by more than the tolerance. */
  disagree: number;
  maxAbsDiff: number;
  tolerance: ReleasedTwin['tolerance'];
  /** Rows whose `<column>` holds the released value (prefer 'released') or semibench's. */
  prefer: Prefer;
  usesReleased: number;
}

export class TwinTally {
  private readonly stats: Map<string, TwinComparison>;

  constructor(twins: readonly ReleasedTwin[], private readonly prefer: Prefer) {
    this.stats = new Map(
      twins.map((t) => [t.column, { column: t.column, released: t.released, compared: 0, disagree: 0, maxAbsDiff: 0, tolerance: t.tolerance, prefer, usesReleased: 0 }]),
    );
  }

  add(twin: ReleasedTwin, measured: number | undefined, released: number | undefined): void {
    const s = this.stats.get(twin.column)!;
    if (released !== undefined && (this.prefer === 'released' || measured === undefined)) s.usesReleased++;
    if (measured === undefined || released === undefined) return;
    const diff = Math.abs(measured - released);
    s.compared++;
    s.maxAbsDiff = Math.max(s.maxAbsDiff, diff);
    if (diff > twin.tolerance.absolute + twin.tolerance.relative * Math.abs(released)) s.disagree++;
  }

  summary(): TwinComparison[] {
    return [...this.stats.values()];
  }
}
