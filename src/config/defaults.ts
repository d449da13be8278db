import { DEFAULT_MAX_IMAGE_PIXELS } from '../image/limits.js';
import { SEMITRUTHS_QC_THRESHOLDS } from '../generation/qc.js';
import { SEMITRUTHS_SLICES } from '../slices/semitruths.js';
import type { BenchConfig } from './schema.js';

/** Every default in one place. bench.config.ts overrides these; CLI flags override both. */
export const DEFAULTS: BenchConfig = {
  data: 'fixtures/evalset',
  out: 'runs/latest',
  detectors: ['all'],
  protocol: 'native',
  modelsDir: 'models',
  manifestsDir: 'detectors',
  threshold: '0.5',
  batchSize: 8,
  prefetch: 4,
  device: 'cpu',
  intraOpThreads: 0,
  interOpThreads: 0,
  inferenceWorkers: 0,
  spinning: false,
  graphOptimization: 'all',
  maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
  conditions: [],
  strictData: false,
  slices: SEMITRUTHS_SLICES,
  qc: SEMITRUTHS_QC_THRESHOLDS,
  bootstrap: { resamples: 1000, seed: 20241107 },
  generate: { llm: 'offline', inpaint: 'classical', methods: ['inpainting'], edit: 'offline', seed: 0, concurrency: 2 },
};

/** `semibench measure --archive-cache-mib`: the bound on the original images held at once when reading archives (their file bytes, not decoded). Here, not in archived-pairs.ts, so `measure --help` loads nothing heavy. */
export const DEFAULT_ARCHIVE_CACHE_MIB = 512;
