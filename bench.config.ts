import { defineConfig } from './src/config/index.js';
import { SEMITRUTHS_SLICES } from './src/slices/semitruths.js';

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
  // The Semi-Truths slices: source dataset, method, editing model, change metrics in 3 and 5 bins, scene
  // columns, crossed slices (src/slices/semitruths.ts). Append your own, e.g. { name: 'class', column: 'class' }.
  slices: SEMITRUTHS_SLICES,
});
