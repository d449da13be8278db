import type { GraphBuilder } from '../onnx-graph.js';

/** ITU-R 601 luma, the weights PIL's convert('L') uses (L = R*299/1000 + G*587/1000 + B*114/1000). */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114];

/** Adds a 1x1 convolution that turns an [N,3,H,W] RGB tensor into [N,1,H,W] luma. */
export function addLuma(g: GraphBuilder, rgb: string): string {
  return g.op('Conv', [rgb, g.floats(LUMA_WEIGHTS, [1, 3, 1, 1])], { kernel_shape: [1, 1] });
}
