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
  slices: [
    { name: 'dataset', column: 'dataset' },
    { name: 'method', column: 'method' },
    { name: 'model', column: 'model' },
    { name: 'area_ratio', column: 'ratio', bins: 'quantile3', categoryColumn: 'ratio_category' },
    { name: 'sem_magnitude', column: 'sem_magnitude' },
  ],
  bootstrap: { resamples: 1000, seed: 20241107 },
};
