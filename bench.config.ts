import { defineConfig } from './src/config/index.js';

/**
 * The default benchmark: every known detector (those whose weights are missing are listed and skipped)
 * over the bundled procedural eval set. Copy this file and point `data` at a real Semi-Truths Evalset.
 */
export default defineConfig({
  data: 'fixtures/evalset',
  out: 'runs/latest',
  detectors: ['all'],
  protocol: 'native',
  threshold: '0.5',
  slices: [
    { name: 'dataset', column: 'dataset' },
    { name: 'method', column: 'method' },
    { name: 'model', column: 'model' },
    { name: 'area_ratio', column: 'ratio', bins: 'quantile3', categoryColumn: 'ratio_category' },
    { name: 'sem_magnitude', column: 'sem_magnitude' },
  ],
});
