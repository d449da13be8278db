/**
 * The columns `semibench measure` writes, in the Semi-Truths names `semibench run` reads
 * (semi-truths-dataset.md §5B–§5D). Every one is appended after the input's own columns unless the input already
 * has it, in which case it stays where it is.
 */

/** Numeric change and QC metrics measured per (real, edited) pair. */
export const METRIC_COLUMNS = [
  'area_ratio',
  'post_edit_ratio',
  'ssim',
  'mse',
  'lpips_score',
  'dreamsim',
  'sen_sim',
  'largest_component_size',
  'cc_clusters',
  'cluster_dist',
  'cap2_img2',
  'img1_img2',
  'direct_sim',
  'brisque_score_orig',
  'brisque_score_perturb',
] as const;

export type MetricColumn = (typeof METRIC_COLUMNS)[number];

/** Metrics that get 3-bin and 5-bin categories (the seven `final_bins.py` bins). */
export const BINNED_COLUMNS = ['post_edit_ratio', 'ssim', 'mse', 'lpips_score', 'dreamsim', 'sen_sim', 'area_ratio'] as const;

export type BinnedColumn = (typeof BINNED_COLUMNS)[number];

/** 5-bin category column (`bin1`..`bin5`, the released `*_category` naming). */
export const category5Column = (column: BinnedColumn): string => `${column}_category`;
/** 3-bin category column (`small` / `medium` / `large`). */
export const category3Column = (column: BinnedColumn): string => `${column}_category3`;

export const SCENE_COLUMNS = ['scene_diversity', 'scene_complexity', 'scene_diversity_category', 'scene_complexity_category'] as const;

/** Everything measure writes, in the order new columns are appended. */
export const OUTPUT_COLUMNS: readonly string[] = [
  // localization sits after the component metrics it is derived from, as in the Semi-Truths tables
  ...METRIC_COLUMNS.slice(0, METRIC_COLUMNS.indexOf('cluster_dist') + 1),
  'localization',
  ...METRIC_COLUMNS.slice(METRIC_COLUMNS.indexOf('cluster_dist') + 1),
  'pass_qc',
  'measure_error',
  ...SCENE_COLUMNS,
  ...BINNED_COLUMNS.flatMap((c) => [category5Column(c), category3Column(c)]),
];

/** Text for a number in the CSVs: the shortest round-trip form (so a resumed run writes the same bytes), '' if not finite. */
export function formatValue(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? String(value) : '';
}

/** A CSV cell as a number: undefined when empty or not a finite number. */
export function parseValue(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
