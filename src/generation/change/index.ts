export { measurePair } from './measure-pair.js';
export { maskAreaRatio } from './mask-area.js';
export { classifyLocalization, meanClusters, LOCALIZATION_PARAMS, type LocalizationInput } from './localization.js';
export { alignToReal } from './align.js';
export { pixelMse, MSE_THRESHOLD, type PixelMse } from './pixel-mse.js';
export { ssimRgb, SSIM_WIN_SIZE } from './ssim.js';
export { changeRegions, CHANGE_REGION_PARAMS, type ChangeRegions } from './change-regions.js';
export { ChangeMetricError } from './errors.js';
export type { GreyImage, Localization, PairMetrics } from './types.js';
