import type { DetectorManifest } from '../manifest.js';
import { cnnspotBlur01, cnnspotBlur05 } from './cnnspot.js';
import { crossEfficientViT } from './cross-efficient-vit.js';
import { deFake } from './de-fake.js';
import { dinov2SemiTruths } from './dinov2-semitruths.js';
import { dire } from './dire.js';
import { organikaSdxlDetector, ummMaybeAiImageDetector } from './huggingface.js';
import { npr } from './npr.js';
import { universalFakeDetect } from './universal-fake-detect.js';

/** Known published detectors. Their weights are not shipped: export them with tools/export into the models folder. */
export const ZOO: readonly DetectorManifest[] = [
  cnnspotBlur01,
  cnnspotBlur05,
  universalFakeDetect,
  npr,
  dire,
  deFake,
  dinov2SemiTruths,
  crossEfficientViT,
  organikaSdxlDetector,
  ummMaybeAiImageDetector,
];
