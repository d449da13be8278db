export { DEFAULT_METRICS_DIR, loadLearnedMetrics, metricManifests, type LearnedMetrics, type ModelStatus } from './registry.js';
export { KIND_COLUMNS, validateMetricManifest, type MetricModelManifest, type MetricKind } from './manifest.js';
export { METRIC_ZOO } from './zoo.js';
export type { LearnedPair, MetricModel } from './metric-model.js';
export { minMaxToSigned, prepareImage, type ImageInputSpec } from './image-input.js';
export { WordPieceTokenizer, basicTokenize } from './tokenizers/wordpiece.js';
export { ClipBpeTokenizer } from './tokenizers/clip-bpe.js';
