import type { Localization, PairMetrics } from './types.js';

/** What `localized_diffused` reads from a row. */
export type LocalizationInput = Pick<PairMetrics, 'largestComponentSize' | 'ccClusters' | 'clusterDist'>;

/**
 * Constants of `localized_diffused` (final_bins.py, anisha-dev). They assume 512×512 images whatever the real size.
 */
export const LOCALIZATION_PARAMS = Object.freeze({
  /** `largest_comp_size / (512*512) > 0.2` → diffused. */
  largestShare: 0.2,
  imageArea: 512 * 512,
  /** `dist_threshold = 0.25*512*math.sqrt(2)`: a quarter of a 512² image's diagonal (≈181 px). */
  distThreshold: 0.25 * 512 * Math.sqrt(2),
});

/**
 * `localized` / `diffused` per row, as `localized_diffused` (SemiTruths/change_metrics/final_bins.py) assigns it:
 * ```
 * if largest_comp_size[i] / int(512*512) > 0.2: 'diffused'
 * elif num_clusters[i] > mean_clusters and cluster_dist[i] > 0.25*512*math.sqrt(2): 'diffused'
 * else: 'localized'
 * ```
 * `mean_clusters` is `dic['cc_clusters']['mean']` from binning.py: `np.mean` of `cc_clusters` over the rows being
 * binned. By default it is the mean over `rows` (the set being measured); pass `meanClusters` to reuse another
 * set's mean (the authors' came from the pass_qc rows of inpainting + p2p combined).
 *
 * Like the pandas code, a NaN field makes its comparison false, so such a row is 'localized'; rows with
 * non-finite `ccClusters` are left out of the default mean (in binning.py a single NaN would make the mean NaN and
 * disable the second rule for every row; drop failed rows before calling).
 */
export function classifyLocalization(
  rows: readonly LocalizationInput[],
  options: { meanClusters?: number } = {},
): Localization[] {
  const mean = options.meanClusters ?? meanClusters(rows);
  const { largestShare, imageArea, distThreshold } = LOCALIZATION_PARAMS;
  return rows.map((row) => {
    if (row.largestComponentSize / imageArea > largestShare) return 'diffused';
    if (row.ccClusters > mean && row.clusterDist > distThreshold) return 'diffused';
    return 'localized';
  });
}

/** `np.mean(cc_clusters)` over the rows with a finite value (NaN when there are none). */
export function meanClusters(rows: readonly LocalizationInput[]): number {
  let sum = 0;
  let n = 0;
  for (const row of rows) {
    if (Number.isFinite(row.ccClusters)) {
      sum += row.ccClusters;
      n++;
    }
  }
  // cc_clusters are small integers: their float64 sum is exact, whatever order numpy adds them in.
  return n === 0 ? Number.NaN : sum / n;
}
