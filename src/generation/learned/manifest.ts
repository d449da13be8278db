import type { PreprocessOp } from '../../image/ops.js';
import { validateOps } from '../../image/pipeline.js';
import { UserError } from '../../util/errors.js';
import type { MetricColumn } from '../columns.js';
import type { ImageInputSpec } from './image-input.js';
import type { ClipTextHandling } from './tokenizers/clip-bpe.js';

/** One ONNX file of a metric model: where it is, and which graph inputs play which role. */
export interface OnnxFile {
  /** Relative paths resolve against the metrics folder (default models/metrics). */
  path: string;
  /** Expected sha256 (hex) of the file, checked before loading. */
  sha256?: string;
  /** Role → graph input name. Roles per kind are listed in MODEL_ROLES. */
  inputs: Record<string, string>;
  output: string;
}

export interface WordPieceSpec {
  type: 'wordpiece';
  /** vocab.txt, relative to the metrics folder. */
  vocab: string;
  lowercase: boolean;
  maxLength: number;
}

/**
 * CLIP's BPE data: OpenAI's gzipped merge list (`bpe`), or Hugging Face's `vocab` (vocab.json) + `merges`
 * (merges.txt); paths relative to the metrics folder. Neither → the copy of OpenAI's bpe_simple_vocab_16e6.txt.gz
 * shipped with semibench.
 */
export interface ClipBpeSpec {
  type: 'clip-bpe';
  bpe?: string;
  vocab?: string;
  merges?: string;
  maxLength: number;
  /**
   * `hf-slow` (default): the caption handling of the authors' QC (Hugging Face's CLIPTokenizer without ftfy; a
   * caption over maxLength tokens fails the row, as it does there); `openai`: OpenAI's simple_tokenizer.py with
   * clip.tokenize(truncate=True). See ClipTextHandling in tokenizers/clip-bpe.ts.
   */
  textHandling?: ClipTextHandling;
}

export interface MetricProvenance {
  paper?: string;
  code?: string;
  /** Where the weights come from and how to turn them into the ONNX file(s) named here. */
  weights: string;
  licence?: string;
  /** What was checked against the reference implementation (honestly: nothing, until someone runs the export). */
  verified: string;
}

interface Common {
  name: string;
  description: string;
  provenance: MetricProvenance;
}

/**
 * A learned metric described as data, like a detector manifest: the ONNX file(s), how inputs are prepared,
 * and which metadata columns it fills.
 * - `pair-distance`: one graph(a, b) → distance per pair (LPIPS) → `lpips_score`;
 * - `image-embedding`: graph(image) → embedding; distance = 1 − cos (DreamSim) → `dreamsim`;
 * - `sentence-embedding`: graph(ids, mask[, typeIds]) → token states, mean-pooled and normalised (MiniLM)
 *   → `sen_sim = 1 − max(cos, 0)`;
 * - `clip`: vision graph(image) → image_embeds, text graph(ids[, mask]) → text_embeds → `cap2_img2`, `img1_img2`,
 *   `direct_sim`.
 */
export type MetricModelManifest = PairDistanceManifest | ImageEmbeddingManifest | SentenceEmbeddingManifest | ClipManifest;

export type PairDistanceManifest = Common & { kind: 'pair-distance'; model: OnnxFile; image: ImageInputSpec };
export type ImageEmbeddingManifest = Common & { kind: 'image-embedding'; model: OnnxFile; image: ImageInputSpec };
export type SentenceEmbeddingManifest = Common & { kind: 'sentence-embedding'; model: OnnxFile; pooling: 'mean' | 'none'; tokenizer: WordPieceSpec };
export type ClipManifest = Common & { kind: 'clip'; vision: OnnxFile; text: OnnxFile; image: ImageInputSpec; tokenizer: ClipBpeSpec };

export type MetricKind = MetricModelManifest['kind'];

/** The columns each kind fills. */
export const KIND_COLUMNS: Record<MetricKind, MetricColumn[]> = {
  'pair-distance': ['lpips_score'],
  'image-embedding': ['dreamsim'],
  'sentence-embedding': ['sen_sim'],
  clip: ['cap2_img2', 'img1_img2', 'direct_sim'],
};

/** Input roles per ONNX file: required ones, then optional ones (fed only when the graph has that input). */
export const MODEL_ROLES: Record<string, { required: string[]; optional: string[] }> = {
  'pair-distance.model': { required: ['a', 'b'], optional: [] },
  'image-embedding.model': { required: ['image'], optional: [] },
  'sentence-embedding.model': { required: ['ids'], optional: ['mask', 'typeIds'] },
  'clip.vision': { required: ['image'], optional: [] },
  'clip.text': { required: ['ids'], optional: ['mask'] },
};

/** Every file a manifest needs (ONNX graphs and tokenizer files), relative to the metrics folder. */
export function manifestFiles(m: MetricModelManifest): string[] {
  switch (m.kind) {
    case 'pair-distance':
    case 'image-embedding':
      return [m.model.path];
    case 'sentence-embedding':
      return [m.model.path, m.tokenizer.vocab];
    case 'clip':
      return [m.vision.path, m.text.path, ...[m.tokenizer.bpe, m.tokenizer.vocab, m.tokenizer.merges].filter((f) => f !== undefined)];
  }
}

/** Checks a metric-model manifest read from JSON and returns it typed; errors name the bad field. */
export function validateMetricManifest(raw: unknown, source = 'manifest'): MetricModelManifest {
  const m = raw as Record<string, any>;
  const fail = (field: string, problem: string): never => {
    throw new UserError(`Metric model manifest ${m?.name ? `'${m.name}'` : source}: ${field}: ${problem}`, 'E_MANIFEST');
  };
  if (typeof m !== 'object' || m === null) fail('(root)', 'must be an object');
  if (typeof m.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(m.name)) fail('name', 'must be a name like "lpips-squeeze"');
  if (typeof m.description !== 'string') fail('description', 'must be a string');
  if (!(m.kind in KIND_COLUMNS)) fail('kind', `must be one of ${Object.keys(KIND_COLUMNS).join(', ')} (got ${JSON.stringify(m.kind)})`);
  if (typeof m.provenance?.weights !== 'string' || typeof m.provenance?.verified !== 'string') {
    fail('provenance', 'needs "weights" (where the model comes from) and "verified" (what was checked)');
  }
  const files: [string, string][] = m.kind === 'clip' ? [['vision', 'clip.vision'], ['text', 'clip.text']] : [['model', `${m.kind}.model`]];
  for (const [field, roleKey] of files) checkOnnxFile(m[field], field, MODEL_ROLES[roleKey], fail);
  if (m.kind !== 'sentence-embedding') checkImageInput(m.image, fail);
  if (m.kind === 'sentence-embedding') {
    if (m.pooling !== 'mean' && m.pooling !== 'none') fail('pooling', 'must be "mean" (token states) or "none" (pooled output)');
    checkTokenizer(m.tokenizer, 'wordpiece', ['vocab'], fail);
    if (typeof m.tokenizer.lowercase !== 'boolean') fail('tokenizer.lowercase', 'must be true or false');
  }
  if (m.kind === 'clip') {
    checkTokenizer(m.tokenizer, 'clip-bpe', [], fail);
    const { bpe, vocab, merges } = m.tokenizer;
    for (const [field, value] of Object.entries({ bpe, vocab, merges })) if (value !== undefined && typeof value !== 'string') fail(`tokenizer.${field}`, 'must be a path');
    if ((vocab === undefined) !== (merges === undefined)) fail('tokenizer', 'vocab (vocab.json) and merges (merges.txt) go together');
    if (bpe !== undefined && vocab !== undefined) fail('tokenizer', 'give either bpe (OpenAI .txt.gz) or vocab + merges (Hugging Face), not both');
    const handling = m.tokenizer.textHandling;
    if (handling !== undefined && handling !== 'hf-slow' && handling !== 'openai') fail('tokenizer.textHandling', 'must be "hf-slow" (the authors\' QC) or "openai"');
  }
  return m as MetricModelManifest;
}

type Fail = (field: string, problem: string) => never;

function checkOnnxFile(file: any, field: string, roles: { required: string[]; optional: string[] }, fail: Fail): void {
  if (typeof file !== 'object' || file === null) fail(field, 'must be an object with path, inputs, output');
  if (typeof file.path !== 'string' || file.path === '') fail(`${field}.path`, 'must be a non-empty string');
  if (file.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(file.sha256)) fail(`${field}.sha256`, 'must be 64 lowercase hex digits');
  if (typeof file.output !== 'string' || file.output === '') fail(`${field}.output`, 'must be the graph output name');
  if (typeof file.inputs !== 'object' || file.inputs === null) fail(`${field}.inputs`, `must map roles (${roles.required.join(', ')}) to graph input names`);
  for (const role of roles.required) {
    if (typeof file.inputs[role] !== 'string') fail(`${field}.inputs.${role}`, 'is required (the graph input name)');
  }
  for (const role of Object.keys(file.inputs)) {
    if (![...roles.required, ...roles.optional].includes(role)) fail(`${field}.inputs.${role}`, `unknown role (roles: ${[...roles.required, ...roles.optional].join(', ')})`);
  }
}

function checkImageInput(image: any, fail: Fail): void {
  if (typeof image !== 'object' || image === null || !Array.isArray(image.ops)) fail('image.ops', 'must be a list of preprocessing ops');
  if (image.scale !== undefined && image.scale !== 'minmax') fail('image.scale', 'must be "minmax" or absent');
  try {
    if (image.scale === 'minmax') validateOps([...(image.ops as PreprocessOp[]), { op: 'toTensor' }]);
    else validateOps(image.ops as PreprocessOp[]);
  } catch (error) {
    fail('image.ops', (error as Error).message);
  }
}

function checkTokenizer(tokenizer: any, type: string, files: string[], fail: Fail): void {
  if (typeof tokenizer !== 'object' || tokenizer === null || tokenizer.type !== type) fail('tokenizer.type', `must be "${type}"`);
  for (const file of files) if (typeof tokenizer[file] !== 'string') fail(`tokenizer.${file}`, 'must be a path');
  if (!Number.isInteger(tokenizer.maxLength) || tokenizer.maxLength < 3) fail('tokenizer.maxLength', 'must be an integer >= 3');
}
