import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { BenchConfig, GraphOptimization } from '../config/schema.js';
import type { PreprocessOp } from '../image/ops.js';
import { preprocess } from '../image/pipeline.js';
import type { Chw, RgbImage } from '../image/types.js';
import type { SampleContext } from '../image/run1-crop.js';
import { errorMessage, UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';
import { BUILTIN_DETECTORS, BUILTIN_PREFIX } from './builtin/index.js';
import { inferencePlan, openLocalSession, openWorkerPool, type ModelSession, type SessionSettings, type TensorData } from './inference-session.js';
import { forProtocol, isClassOutput, type DetectorManifest, type OutputSpec } from './manifest.js';
import { argmaxSigmoid } from './output.js';

/** A loaded detector: preprocessing plus an onnxruntime session, scoring images as P(fake). */
export interface Detector {
  readonly manifest: DetectorManifest;
  readonly protocol: string;
  readonly ops: PreprocessOp[];
  /** sha256 of the ONNX bytes actually loaded. */
  readonly modelSha256: string;
  /** Where onnxruntime runs it (LoadOptions.device); absent: the CPU. */
  readonly device?: 'cpu' | 'cuda';
  /** onnxruntime's graph optimisation level (fusions change float rounding, so it is part of the score identity). */
  readonly graphOptimization: GraphOptimization;
  /** The graph's declared input shape (names for dynamic axes), e.g. ['N', 3, 224, 224]. */
  readonly inputShape: readonly (number | string)[];
  /** The image → input tensor step, exactly as the manifest's protocol says. */
  /** `context`: the sample's mask and id, for ops that read them (semitruthsRun1Crop). */
  prepare(image: RgbImage, context?: SampleContext): Promise<Chw>;
  /**
   * P(fake) per tensor; NaN where the model produced a non-finite value. A lone tensor's buffer moves to the
   * inference thread (no copy of a full-resolution tensor): do not read it afterwards.
   */
  score(batch: Chw[]): Promise<number[]>;
  /** How many `score` calls compute at once (its inference workers); more wait their turn. */
  readonly parallel: number;
  close(): Promise<void>;
}

export interface LoadOptions extends SessionSettings {
  /** Folder that relative model paths resolve against. */
  modelsDir: string;
  /** Which preprocessing protocol to use (`native` unless told). */
  protocol?: string;
  /**
   * Run onnxruntime on this thread instead of a worker thread of its own. The scores are the same bits; the
   * worker lets decoding and preprocessing here overlap inference (onnxruntime-node computes on its caller's thread).
   */
  inProcess?: boolean;
  /** Inference worker threads, each with a session of its own (0 or absent: inferencePlan's choice); ignored in process. */
  workers?: number;
}

/** The load options a run's config gives: where the models are, the protocol and onnxruntime's session settings. */
export function loadOptions(config: BenchConfig): LoadOptions {
  const { modelsDir, protocol, device, intraOpThreads, interOpThreads, graphOptimization, inferenceWorkers, spinning } = config;
  return { modelsDir, protocol, device, intraOpThreads, interOpThreads, graphOptimization, workers: inferenceWorkers, spinning };
}

/**
 * Checks before any model loads that onnxruntime-node can run on `device`: its CUDA provider libraries are
 * not in the npm package, onnxruntime-node's installer fetches them only when asked (docs/scaling.md).
 */
export function checkDevice(device: 'cpu' | 'cuda'): void {
  if (device !== 'cuda') return;
  const binding = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
  const root = resolve(binding, '..');
  const found = process.platform === 'linux' && process.arch === 'x64' && readdirSync(join(root, 'bin'), { recursive: true }).some((f) => String(f).endsWith('libonnxruntime_providers_cuda.so'));
  if (!found) {
    throw new UserError(
      `--device cuda: onnxruntime-node's CUDA execution provider is not installed in ${root} (Linux x64 only): run \`npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12\` on a machine with CUDA 12 and cuDNN 9 (docs/scaling.md).`,
      'E_USAGE',
    );
  }
}

/** Thrown when a detector's ONNX file is not on disk: the run reports it and goes on with the others. */
export class MissingWeightsError extends UserError {
  constructor(
    readonly detector: string,
    readonly path: string,
    hint: string,
  ) {
    super(`Detector '${detector}': model file not found at ${path}. ${hint}`, 'E_WEIGHTS');
  }
}

/** Thrown when a detector's model file is there but is not a loadable ONNX model (empty, Git LFS pointer, corrupt). */
export class BadModelError extends UserError {
  constructor(
    readonly detector: string,
    readonly path: string,
    problem: string,
  ) {
    super(`Detector '${detector}': ${path} ${problem}`, 'E_MODEL');
  }
}

/** The first line of every Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md). */
const LFS_POINTER = 'version https://git-lfs.github.com/spec/';

/** Why these bytes cannot be an ONNX model, for the two cases onnxruntime words badly; undefined otherwise. */
export function modelBytesProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'is empty (0 bytes), not an ONNX model.';
  if (Buffer.from(bytes.subarray(0, LFS_POINTER.length)).toString('latin1') === LFS_POINTER) {
    return 'is a Git LFS pointer, not the model: fetch the real file (git lfs pull) or export it again.';
  }
  return undefined;
}

/** Where a manifest's model file lives (builtins have no file). */
export function modelPath(manifest: DetectorManifest, modelsDir: string): string | undefined {
  if (manifest.model.path.startsWith(BUILTIN_PREFIX)) return undefined;
  return isAbsolute(manifest.model.path) ? manifest.model.path : resolve(modelsDir, manifest.model.path);
}

/** The ONNX bytes of a detector: built in memory for builtins, read from disk (sha256-checked) otherwise. */
export function readModelBytes(manifest: DetectorManifest, modelsDir: string): Uint8Array {
  const path = modelPath(manifest, modelsDir);
  if (path === undefined) {
    const builtin = BUILTIN_DETECTORS.find((b) => BUILTIN_PREFIX + b.manifest.name === manifest.model.path);
    if (!builtin) throw new UserError(unknownNameMessage('builtin model', manifest.model.path, BUILTIN_DETECTORS.map((b) => BUILTIN_PREFIX + b.manifest.name)));
    return builtin.build();
  }
  if (!existsSync(path)) {
    throw new MissingWeightsError(manifest.name, path, `Export it with tools/export (docs/exporting.md) and place it there; source: ${manifest.provenance.weights ?? 'see the manifest provenance'}.`);
  }
  const bytes = readFileSync(path);
  const problem = modelBytesProblem(bytes);
  if (problem) throw new BadModelError(manifest.name, path, problem);
  const actual = sha256(bytes);
  if (manifest.model.sha256 && manifest.model.sha256 !== actual) {
    throw new UserError(
      `Detector '${manifest.name}': model.sha256 mismatch for ${path}: manifest says ${manifest.model.sha256}, file is ${actual}.`,
      'E_MANIFEST',
    );
  }
  return bytes;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Loads a detector from its manifest: checks the model file, its I/O names, and the protocol. */
export async function loadDetector(declared: DetectorManifest, options: LoadOptions): Promise<Detector> {
  const protocol = options.protocol ?? 'native';
  const ops = declared.protocols[protocol];
  if (!ops) throw new UserError(unknownNameMessage(`protocol for detector '${declared.name}'`, protocol, Object.keys(declared.protocols)), 'E_USAGE');
  // The protocol's own output mapping, if it has one: scoring and the score identity both read manifest.output.
  const manifest = forProtocol(declared, protocol);
  const bytes = readModelBytes(manifest, options.modelsDir);
  let session: ModelSession;
  try {
    if (options.inProcess) session = await openLocalSession(bytes, options);
    else {
      const { workers, intraOpThreads } = inferencePlan({ ...options, fullResolution: opsOutputSize(ops) === 'image-dependent' });
      session = await openWorkerPool(bytes, { ...options, intraOpThreads }, workers);
    }
  } catch (error) {
    const words = errorMessage(error).replace(/\s+/g, ' ').trim();
    if (options.device === 'cuda') throw new UserError(`--device cuda: onnxruntime could not start detector '${manifest.name}' on CUDA: ${words}`, 'E_USAGE');
    // Truncated or corrupt files: onnxruntime's own words, on one line, for this detector only.
    const path = modelPath(manifest, options.modelsDir) ?? manifest.model.path;
    throw new BadModelError(manifest.name, path, `is not a loadable ONNX model (truncated or corrupt?): ${errorMessage(error).replace(/\s+/g, ' ').trim()}`);
  }
  let inputSize: [number, number] | undefined;
  let inputShape: (number | string)[];
  try {
    for (const [field, name, available] of [
      ['model.input', manifest.model.input, session.inputNames],
      ['model.output', manifest.model.output, session.outputNames],
    ] as const) {
      if (!available.includes(name)) {
        throw new UserError(`Detector '${manifest.name}': ${field} '${name}' is not in the ONNX graph (it has: ${available.join(', ')}).`, 'E_MANIFEST');
      }
    }
    inputShape = checkInputShape(manifest, session);
    // A graph with a fixed height and width fixes the size preprocessing must produce.
    inputSize = manifest.model.inputSize ?? (typeof inputShape[2] === 'number' && typeof inputShape[3] === 'number' ? [inputShape[2], inputShape[3]] : undefined);
    const size = opsOutputSize(ops);
    checkProtocolSize(manifest, protocol, size, inputSize);
    await checkOutputWidth(manifest, session, inputSize ?? (size === 'image-dependent' ? undefined : size));
  } catch (error) {
    await session.release();
    throw error;
  }
  return {
    manifest,
    protocol,
    ops,
    inputShape,
    modelSha256: sha256(bytes),
    device: options.device ?? 'cpu',
    graphOptimization: options.graphOptimization ?? 'all',
    async prepare(image, context) {
      const min = manifest.model.minInputSize;
      if (min && (image.height < min[0] || image.width < min[1])) {
        throw new Error(`image ${image.width}x${image.height} is smaller than the ${min[1]}x${min[0]} that '${manifest.name}' needs`);
      }
      const tensor = await preprocess(image, ops, context);
      if (inputSize && (tensor.height !== inputSize[0] || tensor.width !== inputSize[1])) {
        throw new UserError(
          `Detector '${manifest.name}': preprocessing gives ${tensor.height}x${tensor.width} but model.inputSize is ${inputSize[0]}x${inputSize[1]}.`,
          'E_MANIFEST',
        );
      }
      return tensor;
    },
    async score(batch) {
      const out = await session.run(manifest.model.input, manifest.model.output, stack(batch), true);
      return toProbabilities(out.data, out.dims, batch.length, manifest.output);
    },
    parallel: session.parallel,
    async close() {
      await session.release();
    },
  };
}

/**
 * The [height, width] a preprocessing pipeline always produces, or 'image-dependent' when it depends on the
 * image (e.g. a short-side resize without a crop). Mirrors the geometry of each op in image/pipeline.ts.
 */
export function opsOutputSize(ops: readonly PreprocessOp[]): [number, number] | 'image-dependent' {
  let size: [number, number] | 'image-dependent' = 'image-dependent';
  const pair = (s: number | [number, number]): [number, number] => (typeof s === 'number' ? [s, s] : [s[0], s[1]]);
  for (const op of ops) {
    if (op.op === 'resize') size = typeof op.size === 'number' ? 'image-dependent' : pair(op.size);
    else if (op.op === 'pilResize') size = [op.height, op.width];
    else if (op.op === 'centerCrop' || op.op === 'centerCropFloor') size = pair(op.size);
    else if (op.op === 'semitruthsRun1Crop') size = [224, 224];
    else if (op.op === 'hfProcessorOnTensor') size = [op.crop, op.crop];
    else if (op.op === 'isotropicResizePad') size = [op.maxSide, op.maxSide];
    else if (op.op === 'cropToEven' && size !== 'image-dependent') size = [size[0] & ~1, size[1] & ~1];
  }
  return size;
}

/** A model with a fixed input size needs a protocol that always gives that size: checked at load, not per image. */
function checkProtocolSize(manifest: DetectorManifest, protocol: string, size: [number, number] | 'image-dependent', inputSize?: [number, number]): void {
  if (!inputSize) return;
  const needs = `the model needs ${inputSize[0]}x${inputSize[1]}`;
  if (size === 'image-dependent') {
    throw new UserError(`Detector '${manifest.name}': protocol '${protocol}' gives image-dependent sizes but ${needs}; end it with a fixed-size op (centerCrop, pilResize).`, 'E_MANIFEST');
  }
  if (size[0] !== inputSize[0] || size[1] !== inputSize[1]) {
    throw new UserError(`Detector '${manifest.name}': protocol '${protocol}' gives ${size[0]}x${size[1]} but ${needs}.`, 'E_MANIFEST');
  }
}

/**
 * The output must give one value per image (`logit`, `prob`) or hold `fakeIndex` (`softmax`). Read from the
 * graph's declared shape, or, when that axis is symbolic and the input size is known, from one probe inference.
 */
async function checkOutputWidth(manifest: DetectorManifest, session: ModelSession, size?: [number, number]): Promise<void> {
  const meta = session.outputMetadata.find((m) => m.name === manifest.model.output);
  let width: number | undefined;
  if (meta?.isTensor && meta.shape.length <= 2) width = meta.shape.length === 1 ? 1 : typeof meta.shape[1] === 'number' ? meta.shape[1] : undefined;
  if (width === undefined && size) {
    const probe = { data: new Float32Array(3 * size[0] * size[1]), dims: [1, 3, size[0], size[1]] };
    width = (await session.run(manifest.model.input, manifest.model.output, probe, true)).data.length;
  }
  if (width === undefined) return;
  const where = `Detector '${manifest.name}': model.output '${manifest.model.output}' gives ${width} value${width === 1 ? '' : 's'} per image`;
  const spec = manifest.output;
  if (isClassOutput(spec) && spec.fakeIndex! >= width) throw new UserError(`${where}, so output.fakeIndex ${spec.fakeIndex} is out of range.`, 'E_MANIFEST');
  if (!isClassOutput(spec) && width !== 1) throw new UserError(`${where}; output.type '${spec.type}' needs one.`, 'E_MANIFEST');
}

/** The graph's input must be a float NCHW tensor with 3 channels, and agree with model.inputSize when both are fixed. */
function checkInputShape(manifest: DetectorManifest, session: ModelSession): (number | string)[] {
  const meta = session.inputMetadata.find((m) => m.name === manifest.model.input);
  if (!meta?.isTensor) return [];
  const shape = [...meta.shape];
  const where = `Detector '${manifest.name}': model.input '${manifest.model.input}'`;
  if (shape.length !== 4) throw new UserError(`${where} has shape [${shape}]; semibench feeds NCHW images (4 axes).`, 'E_MANIFEST');
  if (typeof shape[1] === 'number' && shape[1] !== 3) throw new UserError(`${where} expects ${shape[1]} channels; semibench feeds RGB (3).`, 'E_MANIFEST');
  const size = manifest.model.inputSize;
  if (size && typeof shape[2] === 'number' && typeof shape[3] === 'number' && (shape[2] !== size[0] || shape[3] !== size[1])) {
    throw new UserError(`Detector '${manifest.name}': model.inputSize is ${size[0]}x${size[1]} but the ONNX input is ${shape[2]}x${shape[3]}.`, 'E_MANIFEST');
  }
  return shape;
}

/** Stacks same-shaped CHW tensors into one NCHW input. */
function stack(batch: Chw[]): TensorData {
  const [first] = batch;
  const dims = [batch.length, first.channels, first.height, first.width];
  // One image: its own buffer, no copy (a full-resolution tensor can be hundreds of MB).
  if (batch.length === 1) return { data: first.data, dims };
  const size = first.data.length;
  const data = new Float32Array(size * batch.length);
  batch.forEach((t, i) => {
    if (t.data.length !== size) throw new Error('stack: tensors in one batch must share a shape');
    data.set(t.data, i * size);
  });
  return { data, dims };
}

/**
 * Why a score from `toProbabilities` cannot be used as P(fake), or undefined when it can: not finite, or a
 * `prob` output outside [0, 1] (usually a logit declared as a probability). The runner makes it an error row.
 */
export function scoreProblem(p: number, spec: OutputSpec): string | undefined {
  if (!Number.isFinite(p)) return 'model returned a non-finite score';
  if (p < 0 || p > 1) return `model output ${p} is outside [0, 1] for output.type '${spec.type}' (a logit? then output.type is 'logit')`;
  return undefined;
}

/**
 * Maps raw model outputs to P(fake): sigmoid of one logit, a probability as is, or the softmax entry of
 * the fake class. Accepts [N], [N, 1] and [N, K] outputs.
 */
export function toProbabilities(data: Float32Array, dims: number[], n: number, spec: OutputSpec): number[] {
  const perItem = data.length / n;
  if (!Number.isInteger(perItem) || dims[0] !== n) throw new Error(`model output of shape [${dims}] does not match a batch of ${n}`);
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = data.subarray(i * perItem, (i + 1) * perItem);
    let p: number;
    if (spec.type === 'softmax') {
      if (spec.fakeIndex! >= perItem) throw new Error(`output.fakeIndex ${spec.fakeIndex} is out of range for ${perItem} classes`);
      const max = Math.max(...row);
      let total = 0;
      for (const v of row) total += Math.exp(v - max);
      p = Math.exp(row[spec.fakeIndex!] - max) / total;
    } else if (spec.type === 'argmaxSigmoid') {
      p = argmaxSigmoid(row, spec.fakeIndex!);
    } else {
      if (perItem !== 1) throw new Error(`output.type '${spec.type}' needs one value per image, got ${perItem}`);
      p = spec.type === 'logit' ? 1 / (1 + Math.exp(-row[0])) : row[0];
    }
    scores.push(Number.isFinite(p) ? p : NaN);
  }
  return scores;
}
