/**
 * Why a row could not be measured, or measured to something that is not a usable edit. Each problem is written
 * to the row's `measure_error` cell as `kind: detail`, several joined by `; `, and counted by kind in the summary.
 * A row with a problem that `drops` gets `pass_qc = 0` and stays out of the bin edges; a warning is only reported.
 */
export const PROBLEM_KINDS = {
  /** A path or id cell is empty or NaN-like (`nan`, `NA`, `None`, `null`), a label is not real/fake, or a key repeats. */
  bad_input: { drops: true, description: 'a required input cell is empty, NaN or a duplicate' },
  /** Evalset only: no real row shares the fake row's image_id. */
  no_real_image: { drops: true, description: 'no real image with the same image_id' },
  /** The real, edited or mask file does not exist. */
  missing_file: { drops: true, description: 'file not found' },
  /** The file exists but is empty, corrupt or not an image. */
  unreadable_image: { drops: true, description: 'image could not be decoded' },
  /** The mask is not the real image's size. */
  mask_size: { drops: true, description: 'mask size differs from the image' },
  /** Smaller than SSIM's 5x5 window. */
  too_small: { drops: true, description: 'image smaller than 5x5' },
  /** Every pixel of the edited image equals the real one: not an edit (metrics are kept, the row fails QC). */
  no_change: { drops: true, description: 'edited image identical to the real image' },
  /**
   * The change regions cover the whole image. A warning only: a prompt-based edit may re-render everything, and
   * post_edit_ratio = 1 is a legitimate top-bin value; but it is also what a mismatched pair looks like.
   */
  whole_image_change: { drops: false, description: 'change regions cover the whole image (warning)' },
  /** A learned-metric model failed on this row; its columns stay empty. */
  model_error: { drops: true, description: 'a learned-metric model failed' },
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

/** Whether a `measure_error` cell holds a problem that fails the row (anything but warnings; unknown text counts). */
export function dropsRow(cell: string): boolean {
  if (!cell) return false;
  const kinds = problemKindsOf(cell);
  return kinds.length === 0 || kinds.some((kind) => PROBLEM_KINDS[kind].drops);
}
