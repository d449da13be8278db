import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeImage } from '../../../image/decode.js';
import { pilResize } from '../../../image/resize.js';
import { toNormalizedTensor } from '../../../image/tensor.js';
import type { Chw, RgbImage } from '../../../image/types.js';
import { UserError } from '../../../util/errors.js';
import { WordPieceTokenizer } from '../../learned/tokenizers/wordpiece.js';
import type { CaptionBackend, CaptionPerturbRequest, CaptionRequest, CaptionResult, PerturbResult } from '../contracts.js';
import type { CaptionPromptSet } from './prompts.js';
import { captionWithRetries } from './verify.js';

/** How a caption is searched for (transformers `generate` arguments as LAVIS passes them). */
export interface BlipGeneration {
  num_beams: number;
  /** Longest sequence, prompt included (transformers' max_length). */
  max_length: number;
  /** [SEP] is forbidden while the sequence, prompt included, is shorter than this. */
  min_length: number;
  repetition_penalty: number;
  length_penalty: number;
}

/** blip.json, written by tools/export/blip_caption.py beside vision.onnx, decoder.onnx and vocab.txt. */
export interface BlipSettings extends BlipGeneration {
  model: string;
  image_size: number;
  mean: number[];
  std: number[];
  lowercase: boolean;
  bos_token_id: number;
  eos_token_id: number;
  pad_token_id: number;
  special_token_ids: number[];
  /** LAVIS's decoder prompt ("a picture of "), cut from the decoded text by its length. */
  prompt: string;
  /** What LANCE puts before the caption ("a photo of "). */
  caption_prefix: string;
  vision: { file: string; sha256?: string };
  decoder: { file: string; sha256?: string };
}

/** A caption with the ids it was decoded from. */
export interface BlipOutput {
  ids: number[];
  /** The decoded sequence, prompt included. */
  text: string;
  /** `caption_prefix + text[len(prompt):]`, LANCE's CaptionGenerator.generate. */
  caption: string;
}

const SETTINGS_FILE = 'blip.json';
const EXPORT_HINT = 'make one with tools/export/blip_caption.py (docs/generating.md)';

/** Reads DIR/blip.json; a missing or unreadable folder is a one-line UserError. */
export function readBlipSettings(dir: string): { settings: BlipSettings; sha256: string } {
  const file = join(dir, SETTINGS_FILE);
  if (!existsSync(file)) throw new UserError(`--caption blip:${dir}: no BLIP caption model there (${file} is missing); ${EXPORT_HINT}.`);
  const text = readFileSync(file, 'utf8');
  let settings: BlipSettings;
  try {
    settings = JSON.parse(text) as BlipSettings;
  } catch (error) {
    throw new UserError(`${file}: not JSON (${(error as Error).message}); ${EXPORT_HINT}.`);
  }
  for (const key of ['image_size', 'bos_token_id', 'eos_token_id', 'num_beams', 'max_length', 'min_length'] as const) {
    if (!Number.isInteger(settings[key])) throw new UserError(`${file}: '${key}' must be an integer; ${EXPORT_HINT}.`);
  }
  return { settings, sha256: createHash('sha256').update(text).digest('hex') };
}

/**
 * The authors' captioner (LANCE's CaptionGenerator: LAVIS blip_caption, large_coco) from its ONNX export:
 * 1. the photo as LAVIS's blip_image_eval makes it: Pillow-exact bicubic resize to S×S, ToTensor, CLIP Normalize;
 * 2. the vision graph once per photo;
 * 3. transformers' generate from the prompt `[DEC] a picture of`: greedy (num_beams 1) or beam search, eos [SEP],
 *    min_length / max_length counting the prompt, repetition and length penalties (decodeSequence);
 * 4. BertTokenizer.decode(skip_special_tokens=True), the prompt's characters cut off, "a photo of " put before.
 * One photo at a time: a caption runs the decoder up to max_length times on num_beams sequences.
 */
export class BlipCaptioner {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly settings: BlipSettings,
    private readonly vision: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
    private readonly tokenizer: WordPieceTokenizer,
    readonly promptIds: number[],
  ) {}

  static async load(dir: string): Promise<BlipCaptioner> {
    const { settings } = readBlipSettings(dir);
    const session = async (file: { file: string; sha256?: string }, inputs: string[], output: string) => {
      const path = resolve(dir, file.file);
      if (!existsSync(path)) throw new UserError(`BLIP caption model ${dir}: ${path} is missing; ${EXPORT_HINT}.`);
      const bytes = readFileSync(path);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (file.sha256 && file.sha256 !== sha256) throw new UserError(`BLIP caption model ${dir}: sha256 mismatch for ${path}: blip.json says ${file.sha256}, file is ${sha256}.`);
      const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
      const absent = [...inputs.filter((i) => !s.inputNames.includes(i)), ...(s.outputNames.includes(output) ? [] : [output])];
      if (absent.length > 0) throw new UserError(`BLIP caption model ${path}: no ${absent.join(', ')} (it has inputs ${s.inputNames.join(', ')}, outputs ${s.outputNames.join(', ')}); ${EXPORT_HINT}.`);
      return s;
    };
    const vocab = join(dir, 'vocab.txt');
    if (!existsSync(vocab)) throw new UserError(`BLIP caption model ${dir}: ${vocab} is missing; ${EXPORT_HINT}.`);
    const tokenizer = WordPieceTokenizer.fromVocabFile(vocab, { lowercase: settings.lowercase, maxLength: settings.max_length });
    // LAVIS: tokenizer(prompt) is [CLS] … [SEP]; [CLS] becomes the bos token and the [SEP] is dropped.
    const promptIds = [settings.bos_token_id, ...tokenizer.encode(settings.prompt).ids.slice(1, -1)];
    if (promptIds.length >= settings.max_length) throw new UserError(`${join(dir, SETTINGS_FILE)}: max_length ${settings.max_length} leaves no room after the prompt (${promptIds.length} tokens).`);
    const vision = await session(settings.vision, ['pixel_values'], 'image_embeds');
    const decoder = await session(settings.decoder, ['input_ids', 'attention_mask', 'encoder_hidden_states'], 'logits');
    return new BlipCaptioner(settings, vision, decoder, tokenizer, promptIds);
  }

  /** LAVIS blip_image_eval: Resize((S, S), BICUBIC) on the PIL image, ToTensor, Normalize(CLIP mean, std). */
  preprocess(image: RgbImage): Chw {
    const size = this.settings.image_size;
    return toNormalizedTensor(pilResize(image, size, size, 'bicubic'), this.settings.mean, this.settings.std);
  }

  /** The vision graph's image tokens for one preprocessed photo: [1, tokens, width]. */
  async imageEmbeds(pixels: Chw): Promise<ort.Tensor> {
    const input = new ort.Tensor('float32', pixels.data, [1, pixels.channels, pixels.height, pixels.width]);
    return (await this.vision.run({ pixel_values: input })).image_embeds;
  }

  /** Token ids from the prompt on, as transformers' generate returns them (settings from blip.json unless given). */
  generate(image: ort.Tensor, generation: BlipGeneration = this.settings): Promise<number[]> {
    return decodeSequence(this.promptIds, generation, this.settings.eos_token_id, (ids) => this.nextLogits(image, ids));
  }

  /** The decoded sequence and LANCE's caption from it. */
  decode(ids: readonly number[]): BlipOutput {
    const text = this.tokenizer.decode(ids, new Set(this.settings.special_token_ids));
    // LAVIS: caption[len(self.prompt):] on the decoded text, in characters.
    const caption = this.settings.caption_prefix + Array.from(text).slice(Array.from(this.settings.prompt).length).join('');
    return { ids: [...ids], text, caption };
  }

  /** Caption one photo (its file bytes, decoded as Pillow's open().convert('RGB')); photos run one at a time. */
  caption(bytes: Buffer): Promise<BlipOutput> {
    const job = this.queue.then(async () => {
      const embeds = await this.imageEmbeds(this.preprocess(await decodeImage(bytes)));
      return this.decode(await this.generate(embeds));
    });
    this.queue = job.catch(() => undefined);
    return job;
  }

  async close(): Promise<void> {
    await this.vision.release();
    await this.decoder.release();
  }

  /** The decoder's last-position logits for each sequence (one batch; the graph broadcasts the one image). */
  private async nextLogits(image: ort.Tensor, sequences: readonly number[][]): Promise<Float32Array[]> {
    const batch = sequences.length;
    const length = sequences[0].length;
    const ids = new BigInt64Array(batch * length);
    sequences.forEach((s, b) => s.forEach((id, t) => (ids[b * length + t] = BigInt(id))));
    const out = await this.decoder.run({
      input_ids: new ort.Tensor('int64', ids, [batch, length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * length).fill(1n), [batch, length]),
      encoder_hidden_states: image,
    });
    const logits = out.logits.data as Float32Array;
    const vocab = logits.length / batch;
    return sequences.map((_, b) => logits.slice(b * vocab, (b + 1) * vocab));
  }
}

/** Next-token logits for a batch of same-length sequences. */
export type NextLogits = (sequences: number[][]) => Promise<ArrayLike<number>[]>;

/**
 * transformers' generate without sampling, for one input (GenerationMixin._sample with do_sample=False, and
 * _beam_search with BeamSearchScorer / BeamHypotheses, early_stopping=False, as at transformers commit 4e7bd11):
 * - greedy: the arg-max of the processed logits until eos or max_length; the eos is kept;
 * - beam search: log-softmax, the processors, plus the beam's score; the best 2·beams (beam, token) pairs; an eos
 *   among the first `beams` ends that hypothesis, scored sum / generated_len^length_penalty (generated_len counts
 *   the eos, not the prompt); the search stops when no running beam can beat the worst kept hypothesis (the
 *   "heuristic" test at the current length) or at max_length, where the running beams join the hypotheses; the
 *   best hypothesis is returned with the eos appended when it is shorter than max_length.
 * Processors: repetition penalty (when ≠ 1: a seen token's score × p if negative, ÷ p otherwise), then min length
 * (eos at -inf while the sequence is shorter than min_length).
 */
export async function decodeSequence(prompt: readonly number[], g: BlipGeneration, eos: number, next: NextLogits): Promise<number[]> {
  if (g.num_beams <= 1) {
    const ids = [...prompt];
    for (;;) {
      const [logits] = await next([ids]);
      const scores = processScores(Float64Array.from(logits), ids, ids.length, g, eos);
      let best = 0;
      for (let v = 1; v < scores.length; v++) if (scores[v] > scores[best]) best = v;
      ids.push(best);
      if (best === eos || ids.length >= g.max_length) return ids;
    }
  }
  const k = g.num_beams;
  const promptLength = prompt.length;
  let beams = Array.from({ length: k }, () => [...prompt]);
  let beamScores: number[] = Array.from({ length: k }, (_, i) => (i === 0 ? 0 : -1e9));
  const hyps = new BeamHypotheses(k, g.length_penalty);
  let done = false;
  for (;;) {
    const logits = await next(beams);
    const vocab = logits[0].length;
    const scores = new Float64Array(k * vocab);
    logits.forEach((row, b) => {
      const processed = processScores(logSoftmax(row), beams[b], beams[b].length, g, eos);
      for (let v = 0; v < vocab; v++) scores[b * vocab + v] = processed[v] + beamScores[b];
    });
    const top = topK(scores, 2 * k);
    const curLen = beams[0].length + 1;
    const chosen: { score: number; token: number; beam: number }[] = [];
    for (const [rank, flat] of top.entries()) {
      const beam = Math.floor(flat / vocab);
      const token = flat % vocab;
      if (token === eos) {
        if (rank < k) hyps.add(beams[beam], scores[flat], curLen - promptLength);
      } else {
        chosen.push({ score: scores[flat], token, beam });
      }
      if (chosen.length === k) break;
    }
    done = done || hyps.isDone(scores[top[0]], curLen - promptLength);
    beams = chosen.map((c) => [...beams[c.beam], c.token]);
    beamScores = chosen.map((c) => c.score);
    if (done || beams[0].length >= g.max_length) break;
  }
  if (!done) beams.forEach((b, i) => hyps.add(b, beamScores[i], b.length - promptLength));
  const best = hyps.best();
  return best.length < g.max_length ? [...best, eos] : best;
}

/** transformers' BeamHypotheses with early_stopping=False: the `size` best finished sequences and their scores. */
class BeamHypotheses {
  private readonly beams: { score: number; ids: number[] }[] = [];
  private worst = 1e9;

  constructor(
    private readonly size: number,
    private readonly lengthPenalty: number,
  ) {}

  add(ids: number[], sumLogprobs: number, generatedLength: number): void {
    const score = sumLogprobs / generatedLength ** this.lengthPenalty;
    if (this.beams.length < this.size || score > this.worst) {
      this.beams.push({ score, ids });
      if (this.beams.length > this.size) {
        const order = this.beams.map((b, i) => [b.score, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.beams.splice(order[0][1], 1);
        this.worst = order[1][0];
      } else {
        this.worst = Math.min(score, this.worst);
      }
    }
  }

  /** The heuristic stop: full, and the best running score at this length cannot beat the worst kept one. */
  isDone(bestSumLogprobs: number, generatedLength: number): boolean {
    return this.beams.length >= this.size && this.worst >= bestSumLogprobs / generatedLength ** this.lengthPenalty;
  }

  /** The highest score; among equal scores the last added (Python's stable sort, then pop()). */
  best(): number[] {
    let best = this.beams[0];
    for (const b of this.beams) if (b.score >= best.score) best = b;
    return best.ids;
  }
}

function processScores(scores: Float64Array, ids: readonly number[], length: number, g: BlipGeneration, eos: number): Float64Array {
  if (g.repetition_penalty !== 1.0) {
    for (const id of new Set(ids)) scores[id] = scores[id] < 0 ? scores[id] * g.repetition_penalty : scores[id] / g.repetition_penalty;
  }
  if (length < g.min_length) scores[eos] = -Infinity;
  return scores;
}

function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits, (x) => x - lse);
}

/** Indices of the n largest values, largest first (ties: lower index first). */
function topK(values: Float64Array, n: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (top.length === n && values[i] <= values[top[n - 1]]) continue;
    let at = top.length;
    while (at > 0 && values[i] > values[top[at - 1]]) at--;
    top.splice(at, 0, i);
    if (top.length > n) top.pop();
  }
  return top;
}

/**
 * Captions from BLIP (`--caption blip:DIR`), caption edits from the `--llm` caption backend. The caption passes the
 * caption checks once (BLIP is deterministic, so a retry would answer the same); `caption_model` names the export
 * and a hash of its blip.json (settings and graph hashes), so a different export is a different caption model.
 */
export class BlipCaptionBackend implements CaptionBackend {
  readonly name = 'blip';
  readonly captionModel: string;
  readonly languageModel: string;
  private captioner?: Promise<BlipCaptioner>;

  constructor(
    private readonly dir: string,
    private readonly editor: CaptionBackend,
    private readonly prompts: CaptionPromptSet,
  ) {
    const { settings, sha256 } = readBlipSettings(dir);
    this.captionModel = `${settings.model}@${sha256.slice(0, 12)}`;
    this.languageModel = editor.languageModel;
  }

  async probe(): Promise<void> {
    await this.load();
    await this.editor.probe();
  }

  async caption(request: CaptionRequest): Promise<CaptionResult> {
    const captioner = await this.load();
    return captionWithRetries(1, this.prompts.max_words, async () => (await captioner.caption(request.image)).caption);
  }

  perturbCaption(request: CaptionPerturbRequest): Promise<PerturbResult> {
    return this.editor.perturbCaption(request);
  }

  private load(): Promise<BlipCaptioner> {
    this.captioner ??= BlipCaptioner.load(this.dir);
    return this.captioner;
  }
}
