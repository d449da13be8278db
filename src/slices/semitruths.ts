import type { SliceSpec } from './spec.js';

/**
 * The Semi-Truths slices (semi-truths-dataset.md §5–§6). Column lists name the full dataset's column first,
 * then the Evalset's; `categoryColumn` uses a released bin column when the metadata has it: the Evalset's 5-bin
 * `*_category` columns, or those `semibench measure` writes (`<column>_category`, `<column>_category3`).
 * Change metrics exist only on edits, so their slices are fake-only (recall + paired AUC / 2AFC). Slices
 * marked optional are skipped, with a note, on metadata that lacks their column or has it empty (a real/ +
 * fake/ folder has only `dataset`; learned-metric columns stay empty without their models). Asking for one
 * by name (--slices) makes it required.
 */
const changeMetrics: { name: string; column: string[]; category: string; basisWhere?: { column: string; equals: string } }[] = [
  // binning.py computes area_ratio's edges on the inpainting table alone
  { name: 'area_ratio', column: ['area_ratio', 'ratio'], category: 'ratio_category', basisWhere: { column: 'method', equals: 'inpainting' } },
  { name: 'post_edit_ratio', column: ['post_edit_ratio', 'ratio_rgb'], category: 'ratio_rgb_category' },
  { name: 'ssim', column: ['ssim', 'ssim_rgb'], category: 'ssim_rgb_category' },
  { name: 'mse', column: ['mse', 'mse_rgb'], category: 'mse_rgb_category' },
  { name: 'lpips', column: ['lpips_score'], category: 'lpips_score_category' },
  { name: 'dreamsim', column: ['dreamsim'], category: 'dreamsim_category' },
  { name: 'sen_sim', column: ['sen_sim'], category: 'sen_sim_category' },
];
/** The notebook's `thin_bins`: its "small / medium / large" bars are 5-bin bins 1, 3 and 5. */
export const PAPER_SIZE_BINS: Record<string, string> = { bin1: 'small', bin3: 'medium', bin5: 'large' };
// the generator's bin columns are named after the full dataset's column
const generated = (column: string[], suffix: string): string => `${column[0]}${suffix}`;

export const SEMITRUTHS_SLICES: SliceSpec[] = [
  { name: 'dataset', column: 'dataset' },
  { name: 'method', column: 'method', optional: true },
  { name: 'model', column: ['model', 'diffusion_model'], optional: true },
  { name: 'language_model', column: 'language_model', optional: true },
  { name: 'sem_magnitude', column: 'sem_magnitude', optional: true },
  { name: 'localization', column: ['localization', 'change_location_category'], optional: true },
  // semibench's 3 bins at P25 / P75 of fakes with pass_qc == 1 (NOT the paper's small/medium/large: see _paper)
  ...changeMetrics.map(({ name, column, basisWhere }) => ({ name, column, bins: 'quantile3' as const, categoryColumn: generated(column, '_category3'), basisWhere, optional: true })),
  // 5 bins at P20..P80, or the released bin1..bin5 column
  ...changeMetrics.map(({ name, column, category, basisWhere }) => ({
    name: `${name}_5bin`,
    column,
    bins: 'quantile5' as const,
    categoryColumn: [category, generated(column, '_category')],
    basisWhere,
    optional: true,
  })),
  // the paper's small / medium / large: 5-bin bins 1, 3, 5 (Stress_Testing_5Bins.ipynb `thin_bins`), bins 2 and 4 left out
  ...changeMetrics.map(({ name, column, category, basisWhere }) => ({
    name: `${name}_paper`,
    column,
    bins: 'quantile5' as const,
    categoryColumn: [category, generated(column, '_category')],
    basisWhere,
    keepBins: PAPER_SIZE_BINS,
    optional: true,
  })),
  // per source image: low < mean − σ <= medium < mean + σ <= high, over unique images (derived when absent);
  // fake rows only, as the notebook's scene panels
  { name: 'scene_diversity', column: 'scene_diversity', bins: 'meanStd', over: 'images', categoryColumn: 'scene_diversity_category', fakesOnly: true, optional: true },
  { name: 'scene_complexity', column: 'scene_complexity', bins: 'meanStd', over: 'images', categoryColumn: 'scene_complexity_category', fakesOnly: true, optional: true },
  { name: 'area_x_sem_magnitude', cross: ['area_ratio', 'sem_magnitude'], optional: true },
  { name: 'model_x_dataset', cross: ['model', 'dataset'], optional: true },
  // The paper's method × editing model table (and the report's heat map).
  { name: 'method_x_model', cross: ['method', 'model'], optional: true },
];
