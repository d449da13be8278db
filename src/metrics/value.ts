/**
 * A metric's value, or why it has none.
 *
 * - `value: number` — the metric is defined. `note`, when present, is a caveat a reader should see next to the
 *   number (e.g. "single class: mean of the defined per-class recalls, as sklearn does").
 * - `value: null` — the metric is undefined (0/0, a single-class slice, an empty slice). `reason` is always set
 *   and says why, in words fit for a report cell ("single class: no reals").
 *
 * An undefined metric is never reported as 0: that is the point of this type.
 */
export interface MetricValue {
  value: number | null;
  /** Why `value` is null. Always set when it is. */
  reason?: string;
  /** A caveat on a defined value (or how a substituted value came about). */
  note?: string;
}

/** A defined value, with an optional caveat. */
export function defined(value: number, note?: string): MetricValue {
  return note === undefined ? { value } : { value, note };
}

/** An undefined value and the reason. */
export function undefinedValue(reason: string): MetricValue {
  return { value: null, reason };
}

/** The number, or NaN when undefined (for arithmetic and bootstrap callbacks). */
export function valueOrNaN(m: MetricValue): number {
  return m.value === null ? Number.NaN : m.value;
}
