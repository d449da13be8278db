import type { DetectorManifest } from '../manifest.js';
import { CLIP, IMAGENET, semitruthsRun1Protocol } from './protocols.js';

/** UniversalFakeDetect (Ojha et al., CVPR 2023), detectors.md §2.2: CLIP ViT-L/14 image features + Linear(768, 1). */
export const universalFakeDetect: DetectorManifest = {
  name: 'universal-fake-detect',
  description: 'UniversalFakeDetect: frozen CLIP ViT-L/14 vision tower + linear head (fc_weights.pth).',
  model: { path: 'ufd/clip-vitl14-ufd.onnx', input: 'input', output: 'logit', inputSize: [224, 224] },
  protocols: {
    // validate.py: CenterCrop(224) only, no resize — a 512² image is judged on its central 224².
    native: [{ op: 'centerCrop', size: 224 }, { op: 'toTensor' }, { op: 'normalize', ...CLIP }],
    // run_1 blurred UFD's inputs with PIL GaussianBlur(2) and used ImageNet statistics, plus the clamp.
    semitruths: [
      { op: 'gaussianBlur', radius: 2 },
      { op: 'resize', size: 256, filter: 'bilinear' },
      { op: 'centerCrop', size: 224 },
      { op: 'toTensor' },
      { op: 'normalize', ...IMAGENET },
      { op: 'clamp', min: 0, max: 1 },
    ],
    // run_1 blurred only the centre-crop path; mask-guided crops of fakes went in unblurred.
    'semitruths-run1': semitruthsRun1Protocol(2),
  },
  output: { type: 'logit', threshold: 0.5 },
  provenance: {
    paper: 'Ojha et al., Towards Universal Fake Image Detectors that Generalize Across Generative Models, CVPR 2023',
    code: 'https://github.com/Yuheng-Li/UniversalFakeDetect',
    weights: 'OpenAI ViT-L-14.pt + fc_weights.pth (4 kB); export: python3 tools/export/ufd.py',
    trainingData: 'ProGAN (CNNSpot training set)',
    licence: 'no licence file upstream',
    calibrated: true,
  },
};
