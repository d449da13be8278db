import type { PreprocessOp } from '../../image/ops.js';

/** torchvision's ImageNet statistics. */
export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** OpenAI CLIP's statistics. */
export const CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

/**
 * What the Semi-Truths stress test fed every detector (SemiTruths/stress_testing/run_1.py `trans`):
 * PIL Resize(256) → CenterCrop(224) → ToTensor → ImageNet Normalize → clamp(0, 1). The clamp is a quirk of
 * that script (it zeroes every below-mean value); it is kept so the paper's numbers can be reproduced.
 * Every image takes the centre-crop path here; SEMITRUTHS_RUN1_PROTOCOL adds run_1's mask-guided crop of fakes.
 */
export const SEMITRUTHS_PROTOCOL: PreprocessOp[] = [
  { op: 'resize', size: 256, filter: 'bilinear' },
  { op: 'centerCrop', size: 224 },
  { op: 'toTensor' },
  { op: 'normalize', ...IMAGENET },
  { op: 'clamp', min: 0, max: 1 },
];

/**
 * run_1.py as it ran, quirks included (docs/protocols.md): fakes whose mask shows in the centre window are cropped
 * around the mask with the centre taken as the top-left corner (zero padding), the rest as SEMITRUTHS_PROTOCOL.
 */
export function semitruthsRun1Protocol(blurRadius?: number): PreprocessOp[] {
  return [
    { op: 'semitruthsRun1Crop', ...(blurRadius ? { blurRadius } : {}) },
    { op: 'toTensor' },
    { op: 'normalize', ...IMAGENET },
    { op: 'clamp', min: 0, max: 1 },
  ];
}
