import type { MetricColumn } from '../columns.js';
import { prepareImage } from './image-input.js';
import { PromiseLru } from './lru.js';
import type { ImageEmbeddingManifest as Manifest } from './manifest.js';
import { modelId, type LearnedPair, type MetricModel } from './metric-model.js';
import { imageBatch, MetricGraph } from './onnx-graph-session.js';
import { cosine } from './vector.js';

/**
 * An image-embedding distance (DreamSim): `1 − cos(embed(real), embed(aligned edited))`, which is what
 * `DreamsimModel.forward` returns. The real image's embedding is cached for the rows that share it.
 */
export class ImageEmbeddingModel implements MetricModel {
  readonly id: string;
  private readonly realEmbeddings = new PromiseLru<Float32Array>(64);

  private constructor(readonly manifest: Manifest, private readonly graph: MetricGraph) {
    this.id = modelId(manifest.name, [graph.sha256]);
  }

  static async load(manifest: Manifest, metricsDir: string): Promise<ImageEmbeddingModel> {
    return new ImageEmbeddingModel(manifest, await MetricGraph.load(manifest.model, metricsDir, manifest.name, ['image']));
  }

  async compute(pair: LearnedPair): Promise<Partial<Record<MetricColumn, number>>> {
    const [real, edited] = await Promise.all([
      this.realEmbeddings.get(pair.realKey, () => this.embed(pair.real)),
      this.embed(pair.aligned),
    ]);
    return { dreamsim: 1 - cosine(real, edited) };
  }

  private async embed(image: LearnedPair['real']): Promise<Float32Array> {
    const out = await this.graph.run({ image: imageBatch([await prepareImage(image, this.manifest.image)]) });
    return out.data;
  }

  close(): Promise<void> {
    return this.graph.close();
  }
}
