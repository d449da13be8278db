import type { DetectorManifest } from '../manifest.js';
import { IMAGENET, SEMITRUTHS_PROTOCOL } from './protocols.js';

/** NPR (Tan et al., CVPR 2024), detectors.md §2.7. The residual is inside the exported graph. */
export const npr: DetectorManifest = {
  name: 'npr',
  description: 'NPR: nearest-neighbour up/down-sampling residual into a truncated ResNet-50 (NPR.pth).',
  model: { path: 'npr/npr.onnx', input: 'input', output: 'logit' },
  protocols: {
    // AIGCDetectBenchmark setting (README): no resize, no crop; odd sizes lose the last row/column.
    native: [{ op: 'cropToEven' }, { op: 'toTensor' }, { op: 'normalize', ...IMAGENET }],
    // ForenSynths / UFD test sets: Resize((256, 256)) bilinear, no crop.
    'native-forensynths': [{ op: 'resize', size: [256, 256], filter: 'bilinear' }, { op: 'toTensor' }, { op: 'normalize', ...IMAGENET }],
    semitruths: SEMITRUTHS_PROTOCOL,
  },
  output: { type: 'logit', threshold: 0.5 },
  provenance: {
    paper: 'Tan et al., Rethinking the Up-Sampling Operations in CNN-based Generative Network for Generalizable Deepfake Detection, CVPR 2024',
    code: 'https://github.com/chuangchuangtan/NPR-DeepfakeDetection',
    weights: 'NPR.pth (~5.8 MB, in the GitHub repo); export: python3 tools/export/npr.py',
    trainingData: 'ProGAN, 4 classes',
    licence: 'no licence file upstream (not redistributable)',
    calibrated: true,
  },
};
