import { GraphBuilder } from '../../src/detectors/onnx-graph.js';

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
