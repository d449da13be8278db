import type { DetectorManifest } from '../manifest.js';
import { GraphBuilder } from '../onnx-graph.js';
import { addLuma } from './luma.js';

/**
 * Weight-free spectral baseline after Durall et al. ("Watch your up-convolution", CVPR 2020; detectors.md
 * §4.2, weight-free scalar variant). Up-convolutions distort the high end of the spectrum, so the graph
 * compares the mean log power of the highest radial band with a mid band on the luma of a fixed
 * SIZE x SIZE centre crop (no resize, so pixel-level traces survive):
 *   M = 10 ln(|F|^2 + 1e-8)                    (= 20 ln|F|, as in Durall's code)
 *   stat = mean(M, 0.75 <= rho <= 1) - mean(M, 0.25 <= rho < 0.5)     rho = radius / (SIZE / 2)
 *   logit = (stat - CENTRE) / SCALE
 * CENTRE and SCALE only move the score into a readable range; the score is uncalibrated.
 */
export const SPECTRAL_SIZE = 256;
export const SPECTRAL_CENTRE = -25;
export const SPECTRAL_SCALE = 5;

export const spectralHfManifest: DetectorManifest = {
  name: 'spectral-hf',
  description: 'Weight-free spectral baseline: high- vs mid-band log power of the luma spectrum (uncalibrated).',
  model: { path: 'builtin:spectral-hf', input: 'input', output: 'logit', inputSize: [SPECTRAL_SIZE, SPECTRAL_SIZE] },
  protocols: {
    native: [{ op: 'centerCrop', size: SPECTRAL_SIZE }, { op: 'toTensor' }],
    semitruths: [{ op: 'centerCrop', size: SPECTRAL_SIZE }, { op: 'toTensor' }],
  },
  output: { type: 'logit', threshold: 0.5 },
  provenance: {
    paper: 'Durall et al., Watch your Up-Convolution: CNN Based Generative Deep Neural Networks are Failing to Reproduce Spectral Distributions, CVPR 2020 (scalar variant)',
    weights: 'none (graph built by src/detectors/builtin/spectral-hf.ts)',
    trainingData: 'none',
    licence: 'MIT (this repository)',
    calibrated: false,
    notes: `Images smaller than ${SPECTRAL_SIZE}px are zero-padded by the centre crop, which adds spectral energy.`,
  },
};

/** Band masks over the unshifted DFT grid (frequency k stands for min(k, N - k)), each normalised to sum 1. */
export function bandMasks(size: number): { high: Float32Array; mid: Float32Array } {
  const high = new Float32Array(size * size);
  const mid = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const fy = Math.min(y, size - y);
      const fx = Math.min(x, size - x);
      const rho = Math.hypot(fy, fx) / (size / 2);
      if (rho >= 0.75 && rho <= 1) high[y * size + x] = 1;
      else if (rho >= 0.25 && rho < 0.5) mid[y * size + x] = 1;
    }
  }
  const normalise = (m: Float32Array) => {
    const total = m.reduce((a, b) => a + b, 0);
    return m.map((v) => v / total);
  };
  return { high: normalise(high), mid: normalise(mid) };
}

export function buildSpectralHfModel(): Uint8Array {
  const n = SPECTRAL_SIZE;
  const g = new GraphBuilder(17);
  const y = addLuma(g, g.input('input', ['N', 3, n, n]));
  // DFT wants [N, H, W, 1] (real signal): transform along W, then along H.
  const signal = g.op('Transpose', [y], { perm: [0, 2, 3, 1] });
  const spectrum = g.op('DFT', [g.op('DFT', [signal], { axis: 2, onesided: 0 })], { axis: 1, onesided: 0 });
  const power = g.op('ReduceSum', [g.op('Mul', [spectrum, spectrum]), g.ints([3])], { keepdims: 0 }); // [N, H, W]
  const logPower = g.op('Mul', [g.op('Log', [g.op('Add', [power, g.floats([1e-8], [])])]), g.floats([10], [])]);
  const { high, mid } = bandMasks(n);
  const bandMean = (mask: Float32Array) =>
    g.op('ReduceSum', [g.op('Mul', [logPower, g.floats(mask, [n, n])]), g.ints([1, 2])], { keepdims: 0 });
  const stat = g.op('Sub', [bandMean(high), bandMean(mid)]);
  const centred = g.op('Sub', [stat, g.floats([SPECTRAL_CENTRE], [])]);
  g.op('Div', [centred, g.floats([SPECTRAL_SCALE], [])], {}, 'logit');
  g.output('logit', ['N']);
  return g.build();
}
