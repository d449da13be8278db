import type { ClipManifest, ImageEmbeddingManifest, MetricModelManifest, PairDistanceManifest, SentenceEmbeddingManifest } from './manifest.js';

/** Default folder of metric models, relative to the working directory (here, not in registry.ts, so that a
 * command's --help can show it without loading onnxruntime). */
export const DEFAULT_METRICS_DIR = 'models/metrics';

/** OpenAI CLIP's normalisation (CLIPImageProcessor image_mean / image_std). */
const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

const NOT_VERIFIED = 'Not verified with the real weights: the export scripts were tested on random-weight models only (docs/exporting.md).';

/**
 * LPIPS with SqueezeNet features, as Semi-Truths calls it: torchmetrics
 * `LearnedPerceptualImagePatchSimilarity(net_type='squeeze')` on both images at full resolution, each min-max
 * scaled to [-1, 1] on its own (`Change.normalize_lpips`), the edited image resized to the real one's size first.
 */
export const LPIPS_SQUEEZE: PairDistanceManifest = {
  name: 'lpips-squeeze',
  description: 'LPIPS (SqueezeNet, v0.1 linear heads) distance between the real and the edited image.',
  kind: 'pair-distance',
  model: { path: 'lpips-squeeze/model.onnx', inputs: { a: 'in0', b: 'in1' }, output: 'distance' },
  image: { ops: [], scale: 'minmax' },
  provenance: {
    paper: 'Zhang et al., The Unreasonable Effectiveness of Deep Features as a Perceptual Metric, CVPR 2018',
    code: 'https://github.com/richzhang/PerceptualSimilarity (torchmetrics LearnedPerceptualImagePatchSimilarity)',
    weights:
      "torchmetrics LPIPS(net_type='squeeze') (ImageNet SqueezeNet 1.1 + LPIPS v0.1 linear layers): tools/export/lpips_squeeze.py " +
      'makes the ONNX graph (in0, in1 [N, 3, H, W] in [-1, 1], dynamic H, W → distance [N]) from squeezenet1_1-b8a52dc0.pth + squeeze.pth.',
    licence: 'BSD-2-Clause (LPIPS), Apache-2.0 (torchmetrics)',
    verified: NOT_VERIFIED,
  },
};

/**
 * DreamSim (ensemble), as `dreamsim(pretrained=True)`: each image Resize((224, 224), bicubic) + ToTensor, the
 * model embeds it (its backbones normalise internally) and the distance is 1 − cos of the two embeddings.
 */
export const DREAMSIM: ImageEmbeddingManifest = {
  name: 'dreamsim',
  description: 'DreamSim (ensemble of DINO ViT-B/16, CLIP ViT-B/16, OpenCLIP ViT-B/32) embedding distance.',
  kind: 'image-embedding',
  model: { path: 'dreamsim/model.onnx', inputs: { image: 'image' }, output: 'embedding' },
  image: { ops: [{ op: 'resize', size: [224, 224], filter: 'bicubic' }, { op: 'toTensor' }] },
  provenance: {
    paper: 'Fu et al., DreamSim: Learning New Dimensions of Human Visual Similarity using Synthetic Data, NeurIPS 2023',
    code: 'https://github.com/ssundaram21/dreamsim',
    weights:
      "dreamsim(pretrained=True, dreamsim_type='ensemble') embed(): tools/export/dreamsim_embed.py (needs the dreamsim package) " +
      'makes the ONNX graph (image [N, 3, 224, 224] in [0, 1] → embedding [N, D]).',
    licence: 'MIT',
    verified: NOT_VERIFIED,
  },
};

/**
 * sentence-transformers all-MiniLM-L6-v2: BERT uncased WordPiece (256 tokens), mean pooling over the attention
 * mask, L2 normalisation; `sen_sim = 1 − max(cos, 0)` of the two captions.
 */
export const MINILM: SentenceEmbeddingManifest = {
  name: 'all-minilm-l6-v2',
  description: 'sentence-transformers/all-MiniLM-L6-v2 caption embeddings for sen_sim.',
  kind: 'sentence-embedding',
  model: {
    path: 'all-MiniLM-L6-v2/onnx/model.onnx',
    inputs: { ids: 'input_ids', mask: 'attention_mask', typeIds: 'token_type_ids' },
    output: 'last_hidden_state',
  },
  pooling: 'mean',
  tokenizer: { type: 'wordpiece', vocab: 'all-MiniLM-L6-v2/vocab.txt', lowercase: true, maxLength: 256 },
  provenance: {
    code: 'https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2',
    weights:
      'The ONNX export of sentence-transformers/all-MiniLM-L6-v2 (e.g. the onnx/model.onnx of its Hugging Face repo or of ' +
      'Xenova/all-MiniLM-L6-v2, or tools/export/minilm.py run on its model.safetensors) plus its vocab.txt, in models/metrics/all-MiniLM-L6-v2/.',
    licence: 'Apache-2.0',
    verified: NOT_VERIFIED,
  },
};

/**
 * OpenAI CLIP ViT-B/32 as Semi-Truths' quality check uses it (transformers CLIPModel, CLIPImageProcessor,
 * CLIPTokenizer): get_image_features / get_text_features, i.e. the projected, unnormalised embeddings.
 */
export const CLIP_VIT_B32: ClipManifest = {
  name: 'clip-vit-b32',
  description: 'openai/clip-vit-base-patch32 image and text embeddings for the QC scores cap2_img2, img1_img2, direct_sim.',
  kind: 'clip',
  vision: { path: 'clip-vit-base-patch32/onnx/vision_model.onnx', inputs: { image: 'pixel_values' }, output: 'image_embeds' },
  text: { path: 'clip-vit-base-patch32/onnx/text_model.onnx', inputs: { ids: 'input_ids', mask: 'attention_mask' }, output: 'text_embeds' },
  image: {
    ops: [
      { op: 'resize', size: 224, filter: 'bicubic' },
      { op: 'centerCrop', size: 224 },
      { op: 'toTensor' },
      { op: 'normalize', mean: CLIP_MEAN, std: CLIP_STD },
    ],
  },
  // OpenAI's merge list shipped with semibench (tokenizers/bpe_simple_vocab_16e6.txt.gz); 77 = CLIP's context;
  // captions handled as the authors' QC handles them (Hugging Face's CLIPTokenizer, no ftfy, no truncation).
  tokenizer: { type: 'clip-bpe', maxLength: 77, textHandling: 'hf-slow' },
  provenance: {
    paper: 'Radford et al., Learning Transferable Visual Models From Natural Language Supervision, ICML 2021',
    code: 'https://huggingface.co/openai/clip-vit-base-patch32',
    weights:
      'ONNX exports of CLIPVisionModelWithProjection (pixel_values → image_embeds) and CLIPTextModelWithProjection ' +
      '(input_ids[, attention_mask] → text_embeds) of openai/clip-vit-base-patch32 (e.g. Xenova/clip-vit-base-patch32 ' +
      'onnx/vision_model.onnx and onnx/text_model.onnx), or tools/export/clip_vitb32.py run on the checkpoint. The tokenizer is built in.',
    licence: 'MIT',
    verified: NOT_VERIFIED,
  },
};

/** The metric models measure knows, one per column group. */
export const METRIC_ZOO: readonly MetricModelManifest[] = [LPIPS_SQUEEZE, DREAMSIM, MINILM, CLIP_VIT_B32];
