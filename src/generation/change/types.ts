/**
 * The non-learned change metrics of one (real, edited) pair, as Semi-Truths computes them in
 * `Change.calc_metrics` (SemiTruths/change_metrics/magnitude_change.py). Column names in the released metadata
 * are given per field.
 */
export interface PairMetrics {
  /** `mse` / `mse_rgb`: mean over pixels of Σ_c (real − edited)² / (255²·3). Bigger = more change. */
  mse: number;
  /** `ssim` / `ssim_rgb`: skimage SSIM, RGB, win_size 5. Bigger = LESS change. */
  ssim: number;
  /** `post_edit_ratio` / `ratio_rgb`: share of pixels in the kept change regions. */
  postEditRatio: number;
  /** `largest_component_size`: pixels of the largest change region, 0 if none. */
  largestComponentSize: number;
  /** `cc_clusters` (`cc_cluters_rgb` in the eval CSV): change regions + 1 (cv2 counts the background label). */
  ccClusters: number;
  /** `cluster_dist`: largest distance between two region centroids in pixels, -1 with fewer than two regions. */
  clusterDist: number;
  /** `total_pixels` (not a released column): pixels in the kept change regions. */
  totalPixels: number;
  /** Whether the edited image was resized to the real image's size first (Pillow bicubic). */
  resized: boolean;
}

/** Semi-Truths `localization` labels (final_bins.py `localized_diffused`). */
export type Localization = 'localized' | 'diffused';

/** A single-channel 8-bit image (a mask as PIL mode "L"), row-major; `data.length = width * height`. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}
