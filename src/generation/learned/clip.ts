import type { MetricColumn } from '../columns.js';
import { prepareImage } from './image-input.js';
import { PromiseLru } from './lru.js';
import type { ClipManifest as Manifest } from './manifest.js';
import { modelId, type LearnedPair, type MetricModel } from './metric-model.js';
import { imageBatch, MetricGraph, resolvePath, sequenceTensor } from './onnx-graph-session.js';
import { ClipBpeTokenizer, OPENAI_BPE_FILE } from './tokenizers/clip-bpe.js';
import { cosine, subtract } from './vector.js';

/**
 * Semi-Truths' CLIP quality scores (SemiTruths/quality_check/utils.py), on unnormalised projected embeddings:
 * - `img1_img2 = cos(I(real), I(edited))`;
 * - `cap2_img2 = cos(I(edited), T(perturbed caption))`;
 * - `direct_sim = cos(I(real) − T(original caption), I(edited) − T(perturbed caption))`.
 * The edited image is used as stored (not resized to the real one), as the quality check opens it.
 * A caption is encoded alone: CLIP's causal text encoder pools at the (first) end token, so the authors' padding
 * of two captions to one length changes nothing. Captions are tokenized as their CLIPTokenizer does (manifest
 * `tokenizer.textHandling`, default `hf-slow`): one over CLIP's 77 tokens makes the row a model error, as their QC
 * raises on it and leaves the row out.
 */
export class ClipModel implements MetricModel {
  readonly id: string;
  private readonly realEmbeddings = new PromiseLru<Float32Array>(64);
  private readonly textEmbeddings = new PromiseLru<Float32Array>(4096);

  private constructor(
    readonly manifest: Manifest,
    private readonly vision: MetricGraph,
    private readonly text: MetricGraph,
    private readonly tokenizer: ClipBpeTokenizer,
  ) {
    // the caption handling changes the text scores, so it is part of what identifies the measurements
    this.id = `${modelId(manifest.name, [vision.sha256, text.sha256])}/${tokenizer.textHandling}`;
  }

  static async load(manifest: Manifest, metricsDir: string): Promise<ClipModel> {
    const { bpe, vocab, merges, maxLength, textHandling = 'hf-slow' } = manifest.tokenizer;
    const tokenizer =
      vocab !== undefined && merges !== undefined
        ? ClipBpeTokenizer.fromFiles(resolvePath(metricsDir, vocab), resolvePath(metricsDir, merges), { maxLength, textHandling })
        : ClipBpeTokenizer.fromOpenAiBpe(bpe === undefined ? OPENAI_BPE_FILE : resolvePath(metricsDir, bpe), { maxLength, textHandling });
    const vision = await MetricGraph.load(manifest.vision, metricsDir, manifest.name, ['image']);
    const text = await MetricGraph.load(manifest.text, metricsDir, manifest.name, ['ids']);
    return new ClipModel(manifest, vision, text, tokenizer);
  }

  async compute(pair: LearnedPair): Promise<Partial<Record<MetricColumn, number>>> {
    const { originalCaption, perturbedCaption } = pair;
    const [img1, img2, txt1, txt2] = await Promise.all([
      this.realEmbeddings.get(pair.realKey, () => this.embedImage(pair.real)),
      this.embedImage(pair.edited),
      originalCaption === undefined ? undefined : this.embedText(originalCaption),
      perturbedCaption === undefined ? undefined : this.embedText(perturbedCaption),
    ]);
    const values: Partial<Record<MetricColumn, number>> = { img1_img2: cosine(img1, img2) };
    if (txt2) values.cap2_img2 = cosine(img2, txt2);
    if (txt1 && txt2) values.direct_sim = cosine(subtract(img1, txt1), subtract(img2, txt2));
    return values;
  }

  private async embedImage(image: LearnedPair['real']): Promise<Float32Array> {
    const out = await this.vision.run({ image: imageBatch([await prepareImage(image, this.manifest.image)]) });
    return out.data;
  }

  /** The text embedding of a caption (cached). */
  embedText(text: string): Promise<Float32Array> {
    return this.textEmbeddings.get(text, async () => {
      const { ids } = this.tokenizer.encode(text);
      const out = await this.text.run({
        ids: sequenceTensor(ids, this.text.inputType('ids')),
        mask: sequenceTensor(ids.map(() => 1), this.text.inputType('mask')),
      });
      return out.data;
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.vision.close(), this.text.close()]);
  }
}
