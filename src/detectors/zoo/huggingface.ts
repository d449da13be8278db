import type { DetectorManifest, Provenance } from '../manifest.js';
import { IMAGENET, SEMITRUTHS_PROTOCOL } from './protocols.js';

/**
 * Hugging Face image classifiers exported to ONNX (detectors.md §2.14). Both are Swin models whose config
 * says id2label {0: "artificial", 1: "human"}: the fake class is index 0. A Hugging Face model folder
 * (config.json, preprocessor_config.json, onnx/model.onnx) also works directly as a detector source
 * (src/detectors/huggingface.ts), which reads these facts from the folder instead.
 */
function swinClassifier(name: string, repo: string, description: string, provenance: Omit<Provenance, 'calibrated'>): DetectorManifest {
  return {
    name,
    description: `${repo} (${description}); fake = index 0 ("artificial").`,
    model: { path: `hf/${repo.replace('/', '--')}/onnx/model.onnx`, input: 'pixel_values', output: 'logits' },
    protocols: {
      // ViTImageProcessor: resize to 224x224 with resample 3 (bicubic), rescale 1/255, ImageNet normalize.
      native: [{ op: 'pilResize', width: 224, height: 224, filter: 'bicubic' }, { op: 'toTensor' }, { op: 'normalize', ...IMAGENET }],
      semitruths: SEMITRUTHS_PROTOCOL,
    },
    output: { type: 'softmax', fakeIndex: 0, threshold: 0.5 },
    provenance: { paper: `model card https://huggingface.co/${repo}`, ...provenance, calibrated: true },
  };
}

export const organikaSdxlDetector = swinClassifier('organika-sdxl-detector', 'Organika/sdxl-detector', 'Swin, fine-tuned umm-maybe on Wikimedia/SDXL pairs', {
  weights: 'onnx/model.onnx in the Hugging Face repo',
  trainingData: 'Wikimedia photos vs SDXL generations',
  licence: 'cc-by-nc-3.0',
});

export const ummMaybeAiImageDetector = swinClassifier('umm-maybe-ai-image-detector', 'umm-maybe/AI-image-detector', 'AutoTrain Swin-B', {
  weights: 'pytorch_model.bin (348 MB); export with optimum (docs/exporting.md)',
  trainingData: 'Reddit-scraped art (per Organika card)',
  licence: 'non-commercial (model card)',
  // Its preprocessor_config.json was not readable when this manifest was written.
  notes: 'ViT-style 224 bicubic preprocessing assumed; prefer pointing semibench at the exported Hugging Face folder, which reads the real processor config.',
});
