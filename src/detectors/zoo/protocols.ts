import type { PreprocessOp } from '../../image/ops.js';

/** torchvision's ImageNet statistics. */
export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** OpenAI CLIP's statistics. */
export const CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

/**
 * What the Semi-Truths stress test fed every detector (SemiTruths/stress_testing/run_1.py `trans`):
 * PIL Resize(256) → CenterCrop(224) → ToTensor → ImageNet Normalize → clamp(0, 1). The clamp is a quirk of
 * that script (it zeroes every below-mean value); it is kept so the paper's numbers can be reproduced.
 * Not reproduced: the mask-guided random crop run_1 applies to some fakes (its helpers are not public).
 */
export const SEMITRUTHS_PROTOCOL: PreprocessOp[] = [
  { op: 'resize', size: 256, filter: 'bilinear' },
  { op: 'centerCrop', size: 224 },
  { op: 'toTensor' },
  { op: 'normalize', ...IMAGENET },
  { op: 'clamp', min: 0, max: 1 },
];
