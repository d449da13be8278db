import type { MetricColumn } from '../columns.js';
import { PromiseLru } from './lru.js';
import type { SentenceEmbeddingManifest as Manifest } from './manifest.js';
import { modelId, type LearnedPair, type MetricModel } from './metric-model.js';
import { MetricGraph, resolvePath, sequenceTensor } from './onnx-graph-session.js';
import { WordPieceTokenizer } from './tokenizers/wordpiece.js';
import { cosine, l2Normalize, meanPool } from './vector.js';

/**
 * Caption similarity (all-MiniLM-L6-v2), as `Change.calc_sen_sim`:
 * `sen_sim = 1 − max(cos(embed(original caption), embed(perturbed caption)), 0)`; bigger = more semantic change.
 * A caption is embedded alone (sentence-transformers pads a batch, but mean pooling ignores padding).
 * Without both captions the column stays empty.
 */
export class SentenceEmbeddingModel implements MetricModel {
  readonly id: string;
  private readonly embeddings = new PromiseLru<Float64Array>(4096);

  private constructor(
    readonly manifest: Manifest,
    private readonly graph: MetricGraph,
    private readonly tokenizer: WordPieceTokenizer,
  ) {
    this.id = modelId(manifest.name, [graph.sha256]);
  }

  static async load(manifest: Manifest, metricsDir: string): Promise<SentenceEmbeddingModel> {
    const { vocab, lowercase, maxLength } = manifest.tokenizer;
    const tokenizer = WordPieceTokenizer.fromVocabFile(resolvePath(metricsDir, vocab), { lowercase, maxLength });
    return new SentenceEmbeddingModel(manifest, await MetricGraph.load(manifest.model, metricsDir, manifest.name, ['ids']), tokenizer);
  }

  async compute(pair: LearnedPair): Promise<Partial<Record<MetricColumn, number>>> {
    if (pair.originalCaption === undefined || pair.perturbedCaption === undefined) return {};
    const [a, b] = await Promise.all([this.embed(pair.originalCaption), this.embed(pair.perturbedCaption)]);
    return { sen_sim: 1 - Math.max(cosine(a, b), 0) };
  }

  /** The normalised sentence embedding of a text (cached). */
  embed(text: string): Promise<Float64Array> {
    return this.embeddings.get(text, async () => {
      const { ids } = this.tokenizer.encode(text);
      const out = await this.graph.run({
        ids: sequenceTensor(ids, this.graph.inputType('ids')),
        mask: sequenceTensor(ids.map(() => 1), this.graph.inputType('mask')),
        typeIds: sequenceTensor(ids.map(() => 0), this.graph.inputType('typeIds')),
      });
      if (this.manifest.pooling === 'none') return l2Normalize(out.data);
      const [, tokens, dim] = out.dims;
      if (out.dims.length !== 3 || tokens !== ids.length) {
        throw new Error(`${this.manifest.name}: mean pooling needs token states [1, ${ids.length}, D], got [${out.dims}]`);
      }
      return l2Normalize(meanPool(out.data, tokens, dim, ids.map(() => 1)));
    });
  }

  close(): Promise<void> {
    return this.graph.close();
  }
}
