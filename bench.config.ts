import { defineConfig } from './src/config/index.js';
import { SEMITRUTHS_SLICES } from './src/slices/semitruths.js';

/**
 * The default benchmark: every known detector (those whose weights are missing are listed and skipped)
 * over the bundled procedural eval set. Copy this file and point `data` at a real Semi-Truths Evalset; in a
 * project of your own, import from the package instead: `import { defineConfig, SEMITRUTHS_SLICES } from 'semibench/config'`.
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
  // `semibench measure`'s QC gate defaults to Semi-Truths config.yaml; override per metric, e.g.
  // qc: { cap2_img2: [0.2083, 0.2971], img1_img2: [0.8816, 0.9896], direct_sim: [0.8115, 0.9786] },
});
