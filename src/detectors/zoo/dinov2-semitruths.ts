import type { DetectorManifest } from '../manifest.js';
import { IMAGENET, SEMITRUTHS_PROTOCOL, semitruthsRun1Protocol } from './protocols.js';

/**
 * The "DINOv2" detector of the Semi-Truths stress test (detectors.md §2.5): dinov2-base CLS token, upsampled
 * to an image, into an ImageNet ResNet-50 whose new Linear(2048, 1) head was never trained. A random
 * baseline only: its scores are not reproducible and mean nothing.
 */
export const dinov2SemiTruths: DetectorManifest = {
  name: 'dinov2-semitruths',
  description: 'Semi-Truths run_1 DINOv2 variant — UNTRAINED head, a random baseline (flagged).',
  model: { path: 'dinov2-semitruths/dinov2-variant.onnx', input: 'input', output: 'logit', inputSize: [224, 224] },
  protocols: {
    // BitImageProcessor of facebook/dinov2-base: short side 256 bicubic, crop 224, ÷255, ImageNet.
    native: [{ op: 'resize', size: 256, filter: 'bicubic' }, { op: 'centerCrop', size: 224 }, { op: 'toTensor' }, { op: 'normalize', ...IMAGENET }],
    semitruths: SEMITRUTHS_PROTOCOL,
    // run_1 fed its clamped tensor through the DINOv2 processor a second time (hf-reprocess.ts): reproduced.
    'semitruths-run1': [...semitruthsRun1Protocol(), { op: 'hfProcessorOnTensor', shortestEdge: 256, crop: 224, filter: 'bicubic', ...IMAGENET }],
  },
  output: { type: 'logit', threshold: 0.5 },
  provenance: {
    paper: 'Semi-Truths stress test (SemiTruths/stress_testing/run_1.py), not a published detector',
    weights: 'facebook/dinov2-base + torchvision ImageNet resnet50 + a random Linear(2048,1); export: python3 tools/export/dinov2_variant.py',
    trainingData: 'none for the head (untrained)',
    licence: 'Apache-2.0 (DINOv2), BSD (torchvision)',
    calibrated: false,
    notes:
      'UNTRAINED HEAD: a random projection. Kept only to reproduce the paper table. run_1 also passed its clamped tensor ' +
      'through the DINOv2 processor (×255 truncated, bicubic 256, crop 224, a second ÷255, ImageNet), so DINOv2 saw an ' +
      'almost constant image: the semitruths-run1 protocol repeats that (hfProcessorOnTensor); semitruths does not.',
  },
};
