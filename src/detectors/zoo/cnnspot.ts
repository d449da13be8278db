import type { DetectorManifest } from '../manifest.js';
import { IMAGENET, SEMITRUTHS_PROTOCOL, semitruthsRun1Protocol } from './protocols.js';

/** CNNSpot (Wang et al., CVPR 2020), detectors.md §2.1. Native = CNNDetection eval.py: no resize, CenterCrop 224. */
function cnnspot(blurJpegProb: '0.1' | '0.5'): DetectorManifest {
  return {
    name: `cnnspot-blur-jpg-${blurJpegProb}`,
    description: `CNNSpot ResNet-50 trained on ProGAN with Blur+JPEG augmentation (p=${blurJpegProb}).`,
    model: { path: `cnnspot/blur_jpg_prob${blurJpegProb}.onnx`, input: 'input', output: 'logit' },
    protocols: {
      native: [{ op: 'centerCrop', size: 224 }, { op: 'toTensor' }, { op: 'normalize', ...IMAGENET }],
      // The CNNDetection README recommends --no_crop: the whole image, any size (the net pools globally).
      'native-nocrop': [{ op: 'toTensor' }, { op: 'normalize', ...IMAGENET }],
      semitruths: SEMITRUTHS_PROTOCOL,
    'semitruths-run1': semitruthsRun1Protocol(),
    },
    output: { type: 'logit', threshold: 0.5 },
    provenance: {
      paper: 'Wang et al., CNN-generated images are surprisingly easy to spot... for now, CVPR 2020',
      code: 'https://github.com/PeterWang512/CNNDetection',
      weights: `blur_jpg_prob${blurJpegProb}.pth (282 MB, key 'model'); export: python3 tools/export/cnnspot.py`,
      trainingData: 'ProGAN, 20 LSUN classes (720k images)',
      licence: 'CC BY-NC-SA 4.0',
      calibrated: true,
    },
  };
}

export const cnnspotBlur01 = cnnspot('0.1');
export const cnnspotBlur05 = cnnspot('0.5');
