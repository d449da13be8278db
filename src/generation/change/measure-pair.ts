import type { RgbImage } from '../../image/types.js';
import { alignToReal } from './align.js';
import { changeRegions } from './change-regions.js';
import { ChangeMetricError } from './errors.js';
import { pixelMse } from './pixel-mse.js';
import { ssimRgb } from './ssim.js';
import type { PairMetrics } from './types.js';

/**
 * Semi-Truths' non-learned change metrics for one pair, in the order `Change.calc_metrics`
 * (SemiTruths/change_metrics/magnitude_change.py) computes them:
 * ```
 * img_fake_rgb = img_fake_rgb.resize(img_real_rgb.size)
 * mse_rgb, binary_rgb, mse_img_rgb = self.calc_mse(img_real_rgb, img_fake_rgb)
 * ssim_rgb = self.calc_ssim(img_real_rgb, img_fake_rgb)
 * ratio_rgb, _, cc_clusters_rgb, cluster_dist_rgb, total_pixels_rgb, largest_component_size_rgb, _, _ =
 *     self.calc_cc_ratio(binary_rgb)
 * ```
 * Both images are 8-bit RGB as `Image.open(p).convert('RGB')` gives them (see `decodeImage`). The edited image is
 * resized to the real one's size with Pillow's default (bicubic) filter when the sizes differ.
 * LPIPS, DreamSim and caption similarity are learned metrics and live elsewhere.
 *
 * Sync and pure. Throws {@link ChangeMetricError} for malformed buffers and images under 5×5 (SSIM's window).
 */
export function measurePair(real: RgbImage, edited: RgbImage): PairMetrics {
  checkBuffer(real, 'real');
  checkBuffer(edited, 'edited');
  const { image: aligned, resized } = alignToReal(real, edited);
  const { mean, changed } = pixelMse(real, aligned);
  const ssim = ssimRgb(real, aligned);
  const regions = changeRegions(changed, real.width, real.height);
  return {
    mse: mean,
    ssim,
    postEditRatio: regions.postEditRatio,
    largestComponentSize: regions.largestComponentSize,
    ccClusters: regions.ccClusters,
    clusterDist: regions.clusterDist,
    totalPixels: regions.totalPixels,
    resized,
  };
}

function checkBuffer(img: RgbImage, which: string): void {
  const { width, height, data } = img;
  if (!(width > 0 && height > 0) || data.length !== width * height * 3) {
    throw new ChangeMetricError(
      `${which} image: expected ${width}x${height}x3 = ${width * height * 3} bytes of RGB, got ${data.length}`,
      'E_BAD_BUFFER',
    );
  }
}
