import type { DetectorManifest } from '../manifest.js';
import { GraphBuilder, TO_END } from '../onnx-graph.js';
import { addLuma } from './luma.js';

/**
 * Weight-free baseline after NPR (Tan et al., CVPR 2024; detectors.md §4.1). Generators upsample by 2, which
 * makes neighbouring pixels *inside* a 2x2 cell more alike than pixels *across* cell borders. The graph
 * measures, on luma (chroma subsampling in JPEG would fake the same structure), the mean absolute
 * difference of horizontal and vertical neighbour pairs inside cells and across cells:
 *   logit = GAIN * ln(across / within)
 * so an image whose 2x2 cells are unusually smooth scores above 0.5. Needs even sizes and no resize
 * (a resize destroys the 2x2 phase). Uncalibrated: read AUC/AP, or use an fpr@X threshold.
 */
export const NPR_RESIDUAL_GAIN = 10;
const EPS = 1e-6;

export const nprResidualManifest: DetectorManifest = {
  name: 'npr-residual',
  description: 'Weight-free NPR-style baseline: 2x2 cell smoothness ratio on luma (uncalibrated).',
  // Below 4x4 there is no pair of neighbouring 2x2 cells: the ratio is 0/0 (a score of ~1e-57, not a number).
  model: { path: 'builtin:npr-residual', input: 'input', output: 'logit', minInputSize: [4, 4] },
  protocols: {
    native: [{ op: 'cropToEven' }, { op: 'toTensor' }],
    // The stress-test resize would destroy the cell phase; the baseline keeps its own pipeline.
    semitruths: [{ op: 'cropToEven' }, { op: 'toTensor' }],
  },
  output: { type: 'logit', threshold: 0.5 },
  provenance: {
    paper: 'Tan et al., Rethinking the Up-Sampling Operations in CNN-based Generative Network for Generalizable Deepfake Detection, CVPR 2024 (residual idea only)',
    weights: 'none (graph built by src/detectors/builtin/npr-residual.ts)',
    trainingData: 'none',
    licence: 'MIT (this repository)',
    calibrated: false,
    notes: 'A forensic statistic, not a trained detector. Threshold 0.5 means within-cell = across-cell smoothness.',
  },
};

export function buildNprResidualModel(): Uint8Array {
  const g = new GraphBuilder(17);
  const y = addLuma(g, g.input('input', ['N', 3, 'H', 'W']));
  const meanAbsDiff = (axis: number, a: number, b: number, end: number) =>
    g.op('ReduceMean', [g.op('Abs', [g.op('Sub', [g.slice(y, axis, a, end, 2), g.slice(y, axis, b, end === TO_END ? TO_END : end - 1, 2)])])], {
      axes: [1, 2, 3],
      keepdims: 0,
    });
  // Inside cells: columns (1,0), (3,2), ...; across cells: (2,1), (4,3), ... ; the same for rows.
  const within = g.op('Add', [meanAbsDiff(3, 1, 0, TO_END), meanAbsDiff(2, 1, 0, TO_END)]);
  const across = g.op('Add', [meanAbsDiff(3, 2, 1, -1), meanAbsDiff(2, 2, 1, -1)]);
  const eps = g.floats([EPS], []);
  const ratio = g.op('Div', [g.op('Add', [across, eps]), g.op('Add', [within, eps])]);
  g.op('Mul', [g.op('Log', [ratio]), g.floats([NPR_RESIDUAL_GAIN], [])], {}, 'logit');
  g.output('logit', ['N']);
  return g.build();
}
