import type { PreprocessOp } from '../../image/ops.js';
import type { DetectorManifest } from '../manifest.js';

/**
 * cross-efficient-vit/test.py `create_base_transform(224)` on a face crop read with cv2.imread: IsotropicResize
 * (long side 224, cv2 INTER_AREA when shrinking) → PadIfNeeded(224, zeros) → raw 0..255 floats in BGR, no
 * normalisation. ToTensor's ÷255 and RGB order are undone inside the exported graph (tools/export/cross_efficient_vit.py:
 * flip to BGR, Round(x·255)), so the model sees exactly upstream's input.
 */
const TEST_TRANSFORM: PreprocessOp[] = [{ op: 'isotropicResizePad', maxSide: 224 }, { op: 'toTensor' }];

/**
 * CrossEfficientViT (Coccomini et al., ICIAP 2022; detectors.md §2.6), one of the three detectors of the paper's
 * sliced analyses. A video face-swap detector: upstream and the Semi-Truths run score MTCNN face crops
 * (preprocessing/detect_faces.py, then the authors' test_imgs.py, not public). semibench has no face detector:
 * it scores the image it is given (whole images, or face crops you prepare), so whole-image scores are off-domain.
 */
export const crossEfficientViT: DetectorManifest = {
  name: 'cross-efficient-vit',
  description: 'CrossEfficientViT (DFDC face-swap video detector): faces upstream; semibench scores the image as given (no face detector).',
  model: { path: 'cross-efficient-vit/cross-efficient-vit.onnx', input: 'input', output: 'logit', inputSize: [224, 224] },
  protocols: {
    native: TEST_TRANSFORM,
    // run_1.py handed CrossEfficientViT to the repository's own pipeline (face detection + test_imgs.py), not to
    // its shared transform: both Semi-Truths protocols therefore use the repository's test transform.
    semitruths: TEST_TRANSFORM,
    'semitruths-run1': TEST_TRANSFORM,
  },
  // utils.py custom_round: a face is fake when sigmoid(logit) > 0.55 (per video: the first face over 0.55, else the mean)
  output: { type: 'logit', threshold: 0.55 },
  provenance: {
    paper: 'Coccomini et al., Combining EfficientNet and Vision Transformers for Video Deepfake Detection, ICIAP 2022',
    code: 'https://github.com/davide-coccomini/Combining-EfficientNet-and-Vision-Transformers-for-Video-Deepfake-Detection',
    weights: 'cross_efficient_vit.pth (the repository links it); export: python3 tools/export/cross_efficient_vit.py',
    trainingData: 'DFDC and FaceForensics++ face crops (MTCNN)',
    licence: 'MIT',
    calibrated: true,
    notes:
      'Faces only upstream: semibench does not run MTCNN, so scores on whole images are off-domain. Images smaller than ' +
      '224 (upstream grows them with cv2 INTER_CUBIC) and exact integer shrink factors (cv2 INTER_AREA fast path) are ' +
      'error rows: not ported. The Semi-Truths image-level threshold (test_imgs.py) is not public.',
  },
};
