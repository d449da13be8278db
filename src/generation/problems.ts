/**
 * Why a row could not be measured, or measured to something that is not a usable edit. Each problem is written
 * to the row's `measure_error` cell as `kind: detail`, several joined by `; `, and counted by kind in the summary.
 * A row with any problem gets `pass_qc = 0` and stays out of the bin edges.
 */
export const PROBLEM_KINDS = {
  /** A path or id cell is empty or NaN-like (`nan`, `NA`, `None`, `null`), a label is not real/fake, or a key repeats. */
  bad_input: 'a required input cell is empty, NaN or a duplicate',
  /** Evalset only: no real row shares the fake row's image_id. */
  no_real_image: 'no real image with the same image_id',
  /** The real, edited or mask file does not exist. */
  missing_file: 'file not found',
  /** The file exists but is empty, corrupt or not an image. */
  unreadable_image: 'image could not be decoded',
  /** The mask is not the real image's size. */
  mask_size: 'mask size differs from the image',
  /** Smaller than SSIM's 5x5 window. */
  too_small: 'image smaller than 5x5',
  /** Every pixel of the edited image equals the real one: not an edit (metrics are kept). */
  no_change: 'edited image identical to the real image',
  /** The change regions cover the whole image: a global re-render or a mismatched pair (metrics are kept). */
  whole_image_change: 'change regions cover the whole image',
  /** A learned-metric model failed on this row; its columns stay empty. */
  model_error: 'a learned-metric model failed',
} as const;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export interface Problem {
  kind: ProblemKind;
  detail: string;
}

/** The `measure_error` cell: one line, `kind: detail; kind: detail`. */
export function formatProblems(problems: readonly Problem[]): string {
  // Details are free text (decoder messages): keep them on one line and free of the separator.
  return problems.map((p) => `${p.kind}: ${p.detail.replace(/\s+/g, ' ').replace(/;/g, ',').trim()}`).join('; ');
}

/** The kinds named in a `measure_error` cell (unknown prefixes are ignored). */
export function problemKindsOf(cell: string): ProblemKind[] {
  if (!cell) return [];
  return cell
    .split('; ')
    .map((part) => part.slice(0, part.indexOf(':')))
    .filter((kind): kind is ProblemKind => kind in PROBLEM_KINDS);
}
