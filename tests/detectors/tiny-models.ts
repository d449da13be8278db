import { GraphBuilder } from '../../src/detectors/onnx-graph.js';
import type { DetectorManifest } from '../../src/detectors/manifest.js';
import { uniform } from '../../src/util/random.js';

/**
 * Tiny ONNX graphs with outputs known in closed form, for adapter tests:
 * the output is `scale * mean(input over C, H, W) + bias`, repeated `outputs` times along axis 1.
 */
export function meanModel({ scale = 1, bias = 0, outputs = 1, flat = false } = {}): Uint8Array {
  const g = new GraphBuilder(17);
  const x = g.input('input', ['N', 3, 'H', 'W']);
  const mean = g.op('ReduceMean', [x], { axes: [1, 2, 3], keepdims: 0 }); // [N]
  const affine = g.op('Add', [g.op('Mul', [mean, g.floats([scale], [])]), g.floats([bias], [])]);
  if (flat) {
    g.op('Identity', [affine], {}, 'out');
    g.output('out', ['N']);
  } else {
    const column = g.op('Unsqueeze', [affine, g.ints([1])]); // [N, 1]
    // Class k gets value + k, so softmax probabilities are known: p_k ∝ e^k.
    const offsets = g.floats(Array.from({ length: outputs }, (_, k) => k), [1, outputs]);
    g.op('Add', [column, offsets], {}, 'out');
    g.output('out', ['N', outputs]);
  }
  return g.build();
}

/**
 * A small CNN with seeded random weights (two 3x3 convolutions, ReLU, global pooling, one logit): convolutions
 * and reductions are where thread count and graph fusions could change rounding.
 */
export function convModel(seed = 7): Uint8Array {
  const rand = uniform(seed);
  const weights = (n: number, scale: number) => Array.from({ length: n }, () => (rand() - 0.5) * scale);
  const g = new GraphBuilder(17);
  const x = g.input('input', ['N', 3, 'H', 'W']);
  const conv1 = g.op('Conv', [x, g.floats(weights(16 * 3 * 9, 0.5), [16, 3, 3, 3]), g.floats(weights(16, 0.1), [16])], { pads: [1, 1, 1, 1] });
  const relu = g.op('Relu', [conv1]);
  const conv2 = g.op('Conv', [relu, g.floats(weights(32 * 16 * 9, 0.2), [32, 16, 3, 3]), g.floats(weights(32, 0.1), [32])], { pads: [1, 1, 1, 1], strides: [2, 2] });
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [g.op('Relu', [conv2])])]); // [N, 32]
  g.op('Gemm', [pooled, g.floats(weights(32, 1), [32, 1]), g.floats([0.1], [1])], {}, 'out');
  g.output('out', ['N', 1]);
  return g.build();
}

/** A manifest for {@link convModel} written at `path` (relative to the manifest's folder): a logit, ToTensor only. */
export function convManifest(path: string): DetectorManifest {
  return {
    name: 'conv',
    description: 'test CNN',
    model: { path, input: 'input', output: 'out' },
    protocols: { native: [{ op: 'toTensor' }] },
    output: { type: 'logit', threshold: 0.5 },
    provenance: { calibrated: false },
  };
}
