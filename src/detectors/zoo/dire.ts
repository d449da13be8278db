import type { DetectorManifest } from '../manifest.js';
import { IMAGENET, SEMITRUTHS_PROTOCOL, semitruthsRun1Protocol } from './protocols.js';

/**
 * DIRE's classifier (Wang et al., ICCV 2023), detectors.md §2.3. It must be fed precomputed DIRE maps
 * |x − DDIM-reconstruction(x)| (40 passes of a 2.2 GB diffusion UNet per image: done offline on a GPU), not
 * raw photos. The Semi-Truths stress test fed raw RGB, which is why its DIRE row is near-constant.
 */
export const dire: DetectorManifest = {
  name: 'dire',
  description: 'DIRE ResNet-50 classifier on PRECOMPUTED DIRE maps (point --data at the maps, not the photos).',
  model: { path: 'dire/dire-resnet50.onnx', input: 'input', output: 'logit' },
  protocols: {
    native: [{ op: 'resize', size: 256, filter: 'bilinear' }, { op: 'centerCrop', size: 224 }, { op: 'toTensor' }, { op: 'normalize', ...IMAGENET }],
    semitruths: SEMITRUTHS_PROTOCOL,
    'semitruths-run1': semitruthsRun1Protocol(),
  },
  output: { type: 'logit', threshold: 0.5 },
  provenance: {
    paper: 'Wang et al., DIRE for Diffusion-Generated Image Detection, ICCV 2023',
    code: 'https://github.com/ZhendongWang6/DIRE',
    weights: 'lsun_adm.pth or similar (ResNet-50 state dict); export: python3 tools/export/cnnspot.py --checkpoint lsun_adm.pth --out models/dire/dire-resnet50.onnx (same ResNet-50 layout)',
    trainingData: 'DiffusionForensics (LSUN-Bedroom / ImageNet, ADM)',
    licence: 'see upstream',
    calibrated: true,
    notes: 'Inputs must be DIRE maps; the reconstruction stage is out of scope for CPU ONNX.',
  },
};
