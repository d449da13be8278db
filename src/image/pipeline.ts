import { gaussianBlur } from './blur.js';
import { centerCrop, centerCropFloor, cropToEven } from './crop.js';
import { isotropicResizePad } from './cv-area.js';
import { jpegRoundTrip } from './jpeg.js';
import type { OpName, PreprocessOp } from './ops.js';
import { pilResize, tvResize, tvResizeCenterCrop } from './resize.js';
import { hfProcessorOnTensor } from './hf-reprocess.js';
import { byteValues, clamp, normalize, toTensorThrough } from './tensor.js';
import { run1Crop, type SampleContext } from './run1-crop.js';
import type { Chw, RgbImage } from './types.js';

/** Ops that run on the 8-bit image, before `toTensor`. */
const IMAGE_OPS: ReadonlySet<OpName> = new Set(['resize', 'pilResize', 'centerCrop', 'centerCropFloor', 'cropToEven', 'gaussianBlur', 'jpeg', 'semitruthsRun1Crop', 'isotropicResizePad']);
/** Ops that run on the float tensor, after `toTensor`. */
const TENSOR_OPS: ReadonlySet<OpName> = new Set(['normalize', 'clamp', 'hfProcessorOnTensor']);
/** Tensor ops that map each value on its own, per channel: right after `toTensor` they fold into its table. */
const PER_VALUE_OPS: ReadonlySet<OpName> = new Set(['normalize', 'clamp']);

/**
 * Checks that `ops` is runnable: uint8 ops before exactly one `toTensor`, float ops after it.
 * Throws an Error naming the offending op index; cheap, so manifests can be validated before a run.
 */
export function validateOps(ops: readonly PreprocessOp[]): void {
  let tensorAt = -1;
  ops.forEach((op, i) => {
    if (op.op === 'toTensor') {
      if (tensorAt >= 0) throw new Error(`preprocess op #${i} (toTensor): toTensor already ran at op #${tensorAt}`);
      tensorAt = i;
    } else if (IMAGE_OPS.has(op.op)) {
      if (tensorAt >= 0) throw new Error(`preprocess op #${i} (${op.op}) works on the 8-bit image but comes after toTensor (op #${tensorAt})`);
    } else if (TENSOR_OPS.has(op.op)) {
      if (tensorAt < 0) throw new Error(`preprocess op #${i} (${op.op}) works on the float tensor but comes before toTensor`);
    } else {
      throw new Error(`preprocess op #${i}: unknown op '${(op as { op: unknown }).op}'`);
    }
  });
  if (tensorAt < 0) throw new Error('preprocess ops never reach toTensor (a detector input must be a float tensor)');
}

/** Runs the uint8 stage of a pipeline (every op must be an image op). `context`: what sample-aware ops read. */
export async function applyImageOps(img: RgbImage, ops: readonly PreprocessOp[], firstIndex = 0, context?: SampleContext): Promise<RgbImage> {
  let out = img;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const next = ops[i + 1];
    if (op.op === 'resize' && next?.op === 'centerCrop') {
      // Resize + CenterCrop (the torchvision classic) resamples only the kept window: same bytes, less work.
      out = await withIndex(firstIndex + i, op, () => tvResizeCenterCrop(out, op.size, next.size, op.filter ?? 'bilinear', op.maxSize));
      i++;
      continue;
    }
    out = await withIndex(firstIndex + i, op, () => applyImageOp(out, op, firstIndex + i, context));
  }
  return out;
}

/**
 * Runs a detector's preprocessing: the ops in order, 8-bit image ops, then `toTensor`, then tensor ops.
 * Mirrors a torchvision `Compose` of the corresponding PIL transforms.
 */
export async function preprocess(img: RgbImage, ops: readonly PreprocessOp[], context?: SampleContext): Promise<Chw> {
  validateOps(ops);
  const tensorAt = ops.findIndex((op) => op.op === 'toTensor');
  const image = await applyImageOps(img, ops.slice(0, tensorAt), 0, context);
  // ToTensor and the per-value ops right after it (Normalize, Clamp: the torchvision classic) in one pass: they
  // run on the 3 x 256 values a byte can give, and the image is mapped through the result (same float32 bits).
  let table = byteValues();
  let i = tensorAt + 1;
  for (; i < ops.length && PER_VALUE_OPS.has(ops[i].op); i++) {
    const at = i;
    table = await withIndex(at, ops[at], () => applyTensorOp(table, ops[at], at));
  }
  let t = toTensorThrough(image, table);
  for (; i < ops.length; i++) t = await withIndex(i, ops[i], () => applyTensorOp(t, ops[i], i));
  return t;
}

/** Prefixes an op's own error with its index and name, so a manifest author can find it. */
async function withIndex<T>(index: number, op: PreprocessOp, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('preprocess op #')) throw error;
    throw new Error(`preprocess op #${index} (${op.op}): ${message}`, { cause: error });
  }
}

async function applyImageOp(img: RgbImage, op: PreprocessOp, index: number, context?: SampleContext): Promise<RgbImage> {
  switch (op.op) {
    case 'semitruthsRun1Crop':
      return (await run1Crop(img, context, op.blurRadius)).image;
    case 'centerCrop':
      return centerCrop(img, op.size);
    case 'centerCropFloor':
      return centerCropFloor(img, op.size);
    case 'cropToEven':
      return cropToEven(img);
    case 'jpeg':
      return jpegRoundTrip(img, op.quality, op.subsampling);
    case 'resize':
      return tvResize(img, op.size, op.filter ?? 'bilinear', op.maxSize);
    case 'pilResize':
      return pilResize(img, op.width, op.height, op.filter ?? 'bicubic');
    case 'gaussianBlur':
      return gaussianBlur(img, op.radius);
    case 'isotropicResizePad':
      return isotropicResizePad(img, op.maxSide);
    default:
      throw new Error(`preprocess op #${index} (${op.op}) is not an 8-bit image op`);
  }
}

function applyTensorOp(t: Chw, op: PreprocessOp, index: number): Chw {
  switch (op.op) {
    case 'normalize':
      return normalize(t, op.mean, op.std);
    case 'clamp':
      return clamp(t, op.min, op.max);
    case 'hfProcessorOnTensor':
      return hfProcessorOnTensor(t, op);
    default:
      throw new Error(`preprocess op #${index} (${op.op}) is not a tensor op`);
  }
}
