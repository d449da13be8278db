import type { MetricColumn } from '../columns.js';
import { prepareImage } from './image-input.js';
import type { PairDistanceManifest as Manifest } from './manifest.js';
import { modelId, type LearnedPair, type MetricModel } from './metric-model.js';
import { imageBatch, MetricGraph } from './onnx-graph-session.js';

/**
 * A graph that scores a pair directly (LPIPS): `distance = graph(prep(real), prep(aligned edited))`, in the order
 * Semi-Truths passes them (`self.lpips(real, fake)`).
 */
export class PairDistanceModel implements MetricModel {
  readonly id: string;

  private constructor(readonly manifest: Manifest, private readonly graph: MetricGraph) {
    this.id = modelId(manifest.name, [graph.sha256]);
  }

  static async load(manifest: Manifest, metricsDir: string): Promise<PairDistanceModel> {
    return new PairDistanceModel(manifest, await MetricGraph.load(manifest.model, metricsDir, manifest.name, ['a', 'b']));
  }

  async compute(pair: LearnedPair): Promise<Partial<Record<MetricColumn, number>>> {
    const [a, b] = await Promise.all([prepareImage(pair.real, this.manifest.image), prepareImage(pair.aligned, this.manifest.image)]);
    const out = await this.graph.run({ a: imageBatch([a]), b: imageBatch([b]) });
    if (out.data.length !== 1) throw new Error(`${this.manifest.name}: expected one distance per pair, got output of shape [${out.dims}]`);
    return { lpips_score: out.data[0] };
  }

  close(): Promise<void> {
    return this.graph.close();
  }
}
