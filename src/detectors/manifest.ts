import type { PreprocessOp, ResampleFilter } from '../image/ops.js';
import { validateOps as checkOpOrder } from '../image/pipeline.js';
import { UserError } from '../util/errors.js';
import { unknownNameMessage } from '../util/suggest.js';

/** How the model's output becomes P(fake). */
export interface OutputSpec {
  /**
   * `logit`: one value, sigmoid; `prob`: one value already in [0, 1]; `softmax`: K logits, softmax then `fakeIndex`;
   * `argmaxSigmoid`: K logits, sigmoid of the largest, inverted (1 − p) when it is not `fakeIndex` (run_1.py's
   * DE-FAKE scoring, output.ts).
   */
  type: 'logit' | 'prob' | 'softmax' | 'argmaxSigmoid';
  /** For class heads (softmax, argmaxSigmoid): which class index means fake (several Hugging Face detectors use 0). */
  fakeIndex?: number;
  /** The detector's own decision threshold on P(fake) (the `native` threshold policy). */
  threshold: number;
}

export interface Provenance {
  paper?: string;
  code?: string;
  weights?: string;
  trainingData?: string;
  licence?: string;
  /** False for baselines whose score is not a calibrated probability: use threshold-free metrics or fpr@X. */
  calibrated: boolean;
  notes?: string;
}

/**
 * A detector described as data: the ONNX model, its preprocessing as an ordered list of declarative ops,
 * and how its output maps to P(fake).
 */
export interface DetectorManifest {
  name: string;
  description: string;
  model: {
    /** ONNX file; relative paths resolve against the models folder. */
    path: string;
    /** Expected sha256 of the file (hex); checked before the model loads. */
    sha256?: string;
    input: string;
    output: string;
    /** Fixed input [height, width] the graph requires, if any (checked after preprocessing). */
    inputSize?: [number, number];
    /** The smallest image (height, width) the graph gives a meaningful score for; smaller ones are error rows. */
    minInputSize?: [number, number];
  };
  /** Preprocessing per protocol. `native` is the detector's own test-time pipeline and must exist. */
  protocols: { native: PreprocessOp[] } & Record<string, PreprocessOp[]>;
  output: OutputSpec;
  /**
   * How the output becomes P(fake) under a protocol that scored it differently from `output` (semitruths-run1
   * reproduces run_1's DE-FAKE scoring). Part of the score identity: a loaded detector's `manifest.output` is the
   * protocol's (see {@link forProtocol}), and identity.ts hashes it.
   */
  protocolOutputs?: Record<string, OutputSpec>;
  provenance: Provenance;
}

const OUTPUT_TYPES = ['logit', 'prob', 'softmax', 'argmaxSigmoid'] as const;

/** Output types that read K class logits and need `fakeIndex`. */
export function isClassOutput(spec: OutputSpec): boolean {
  return spec.type === 'softmax' || spec.type === 'argmaxSigmoid';
}

/** The manifest as a protocol uses it: `output` replaced by the protocol's own when it has one. */
export function forProtocol(manifest: DetectorManifest, protocol: string): DetectorManifest {
  const output = manifest.protocolOutputs?.[protocol];
  return output ? { ...manifest, output } : manifest;
}
const FILTERS: ResampleFilter[] = ['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'];

/** Allowed fields per op, and a check for each field. */
const OP_FIELDS: Record<PreprocessOp['op'], Record<string, (v: unknown) => string | undefined>> = {
  resize: { size: checkSize, filter: checkFilter, maxSize: optional(positiveInt) },
  pilResize: { width: positiveInt, height: positiveInt, filter: checkFilter },
  centerCrop: { size: checkSize },
  centerCropFloor: { size: checkSize },
  cropToEven: {},
  gaussianBlur: { radius: nonNegative },
  isotropicResizePad: { maxSide: positiveInt },
  semitruthsRun1Crop: { blurRadius: optional(nonNegative) },
  jpeg: {
    quality: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100 ? undefined : 'must be an integer 1..100'),
    subsampling: (v) => (v === undefined || v === '4:2:0' || v === '4:4:4' ? undefined : "must be '4:2:0' or '4:4:4'"),
  },
  toTensor: {},
  normalize: { mean: checkTriple, std: (v) => checkTriple(v) ?? ((v as number[]).some((s) => s === 0) ? 'must not contain 0' : undefined) },
  clamp: { min: finite, max: finite },
  hfProcessorOnTensor: { shortestEdge: positiveInt, crop: positiveInt, filter: optional(checkFilter), mean: checkTriple, std: (v) => checkTriple(v) ?? ((v as number[]).some((s) => s === 0) ? 'must not contain 0' : undefined) },
};

/** The op names a manifest may use. */
export const OP_NAMES = Object.keys(OP_FIELDS) as PreprocessOp['op'][];

/**
 * Checks a manifest read from JSON (or written in TS) and returns it typed. Every error names the manifest
 * and the bad field, e.g. `protocols.native[2].mean: must be 3 numbers (got 2)`.
 */
export function validateManifest(raw: unknown, source = 'manifest'): DetectorManifest {
  const m = raw as Record<string, any>;
  const fail = (field: string, problem: string): never => {
    throw new UserError(`Detector manifest ${m?.name ? `'${m.name}'` : source}: ${field}: ${problem}`, 'E_MANIFEST');
  };
  if (typeof m !== 'object' || m === null) fail('(root)', 'must be an object');
  if (typeof m.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(m.name)) fail('name', 'must be a name like "cnnspot-blur0.1"');
  if (typeof m.description !== 'string') fail('description', 'must be a string');
  if (typeof m.model !== 'object' || m.model === null) fail('model', 'must be an object with path, input, output');
  for (const key of ['path', 'input', 'output'] as const) {
    if (typeof m.model[key] !== 'string' || m.model[key] === '') fail(`model.${key}`, 'must be a non-empty string');
  }
  if (m.model.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(m.model.sha256)) fail('model.sha256', 'must be 64 lowercase hex digits');
  if (m.model.inputSize !== undefined && checkSize(m.model.inputSize) !== undefined) fail('model.inputSize', 'must be [height, width]');
  if (m.model.minInputSize !== undefined && checkSize(m.model.minInputSize) !== undefined) fail('model.minInputSize', 'must be [height, width]');

  if (typeof m.protocols !== 'object' || m.protocols === null || !Array.isArray(m.protocols.native)) {
    fail('protocols.native', 'must be a list of preprocessing ops');
  }
  for (const [protocol, ops] of Object.entries(m.protocols)) {
    if (!Array.isArray(ops)) fail(`protocols.${protocol}`, 'must be a list of preprocessing ops');
    validateOps(ops as unknown[], (i, field, problem) => fail(`protocols.${protocol}[${i}]${field ? `.${field}` : ''}`, problem));
    try {
      checkOpOrder(ops as PreprocessOp[]);
    } catch (error) {
      fail(`protocols.${protocol}`, (error as Error).message);
    }
  }

  checkOutput(m.output, 'output', fail);
  if (m.protocolOutputs !== undefined) {
    if (typeof m.protocolOutputs !== 'object' || m.protocolOutputs === null) fail('protocolOutputs', 'must map protocol names to outputs');
    for (const [protocol, out] of Object.entries(m.protocolOutputs)) {
      if (!(protocol in m.protocols)) fail(`protocolOutputs.${protocol}`, unknownNameMessage('protocol', protocol, Object.keys(m.protocols)));
      checkOutput(out, `protocolOutputs.${protocol}`, fail);
    }
  }
  if (typeof m.provenance !== 'object' || typeof m.provenance?.calibrated !== 'boolean') {
    fail('provenance.calibrated', 'must say whether the score is a calibrated probability (true/false)');
  }
  return m as DetectorManifest;
}

function checkOutput(out: any, field: string, fail: (field: string, problem: string) => never): void {
  if (typeof out !== 'object' || out === null) fail(field, 'must be an object with type and threshold');
  if (!OUTPUT_TYPES.includes(out.type)) fail(`${field}.type`, `must be one of ${OUTPUT_TYPES.join(', ')} (got ${JSON.stringify(out.type)})`);
  if (isClassOutput(out) && !(Number.isInteger(out.fakeIndex) && out.fakeIndex >= 0)) {
    fail(`${field}.fakeIndex`, `a ${out.type} output needs the index of the fake class`);
  }
  if (typeof out.threshold !== 'number' || !(out.threshold >= 0 && out.threshold <= 1)) fail(`${field}.threshold`, 'must be a number in [0, 1]');
}

/** Checks each op's name and fields; the order of stages is checked by image/pipeline.ts. */
function validateOps(ops: unknown[], fail: (index: number, field: string, problem: string) => never): void {
  ops.forEach((raw, i) => {
    const op = raw as Record<string, unknown>;
    if (typeof op !== 'object' || op === null || typeof op.op !== 'string') fail(i, 'op', 'each step needs an "op" name');
    const fields = OP_FIELDS[op.op as PreprocessOp['op']];
    if (!fields) fail(i, 'op', unknownNameMessage('op', String(op.op), OP_NAMES));
    for (const key of Object.keys(op)) {
      if (key !== 'op' && !(key in fields)) fail(i, key, `not a field of ${op.op} (fields: ${Object.keys(fields).join(', ') || 'none'})`);
    }
    for (const [key, check] of Object.entries(fields)) {
      const problem = op[key] === undefined ? (isOptional(op.op as string, key) ? undefined : 'is required') : check(op[key]);
      if (problem) fail(i, key, problem);
    }
  });
}

function isOptional(op: string, key: string): boolean {
  return key === 'filter' || key === 'maxSize' || key === 'subsampling' || key === 'blurRadius';
}

function optional(check: (v: unknown) => string | undefined) {
  return (v: unknown) => (v === undefined ? undefined : check(v));
}
function positiveInt(v: unknown): string | undefined {
  return Number.isInteger(v) && (v as number) > 0 ? undefined : 'must be a positive integer';
}
function nonNegative(v: unknown): string | undefined {
  return typeof v === 'number' && v >= 0 ? undefined : 'must be a number >= 0';
}
function finite(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number';
}
function checkSize(v: unknown): string | undefined {
  if (positiveInt(v) === undefined) return undefined;
  return Array.isArray(v) && v.length === 2 && v.every((x) => positiveInt(x) === undefined)
    ? undefined
    : 'must be a positive integer or [height, width]';
}
function checkFilter(v: unknown): string | undefined {
  return v === undefined || FILTERS.includes(v as ResampleFilter) ? undefined : `must be one of ${FILTERS.join(', ')}`;
}
function checkTriple(v: unknown): string | undefined {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) return 'must be a list of 3 numbers';
  return v.length === 3 ? undefined : `must be 3 numbers, one per RGB channel (got ${v.length})`;
}
