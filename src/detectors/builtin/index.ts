import type { DetectorManifest } from '../manifest.js';
import { buildNprResidualModel, nprResidualManifest } from './npr-residual.js';
import { buildSpectralHfModel, spectralHfManifest } from './spectral-hf.js';

/** A detector whose ONNX graph is built by code in this repository: it needs no downloaded weights. */
export interface BuiltinDetector {
  manifest: DetectorManifest;
  build: () => Uint8Array;
}

export const BUILTIN_DETECTORS: readonly BuiltinDetector[] = [
  { manifest: nprResidualManifest, build: buildNprResidualModel },
  { manifest: spectralHfManifest, build: buildSpectralHfModel },
];

export const BUILTIN_PREFIX = 'builtin:';
