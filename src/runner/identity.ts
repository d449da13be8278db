import { createHash } from 'node:crypto';
import type { Detector } from '../detectors/adapter.js';
import { toolVersions } from '../util/versions.js';

/**
 * What a detector's score is computed from, besides the image bytes: stored in every prediction row, so a
 * resumed run reuses a row only when it was computed the same way.
 */
export interface ScoreIdentity {
  /** sha256 (first 16 hex digits) of the ONNX bytes loaded. */
  model_sha256: string;
  /** The preprocessing protocol's name (`native`, `semitruths`, ...). */
  protocol: string;
  /**
   * sha256 (first 16 hex digits) of everything else that shapes the score: the protocol's resolved
   * preprocessing ops, the graph's input/output names and input size, how the output becomes P(fake)
   * (type, fakeIndex), and the versions of the code that decodes, preprocesses and runs the model.
   */
  pipeline_hash: string;
  /** The stress condition applied before preprocessing (src/conditions: canonical spec), 'none' for the clean run. */
  condition: string;
}

export const IDENTITY_COLUMNS = ['model_sha256', 'protocol', 'pipeline_hash', 'condition'] as const;

/** Why a stored row is rescored rather than reused; checked in this order, the first difference is named. */
export const STALE_REASONS = ['model changed', 'protocol changed', 'pipeline changed', 'condition changed', 'image changed'] as const;
export type StaleReason = (typeof STALE_REASONS)[number];

/** The one definition of a detector's score identity. */
export function scoreIdentity(detector: Detector, condition = 'none'): ScoreIdentity {
  const { manifest } = detector;
  const versions = toolVersions();
  const pipeline = {
    ops: detector.ops,
    input: manifest.model.input,
    output: manifest.model.output,
    inputSize: manifest.model.inputSize ?? null,
    inputShape: detector.inputShape,
    mapping: { type: manifest.output.type, fakeIndex: manifest.output.fakeIndex ?? null },
    versions: { semibench: versions.semibench, onnxruntime: versions.onnxruntime, sharp: versions.sharp, libvips: versions.libvips },
    // GPU kernels round differently: their scores are another identity. CPU adds nothing (hashes stay as they were).
    ...(detector.device && detector.device !== 'cpu' ? { device: detector.device } : {}),
    // Graph fusions change float rounding: another level is another identity. The default 'all' adds nothing.
    ...(detector.graphOptimization !== 'all' ? { graphOptimization: detector.graphOptimization } : {}),
  };
  return {
    model_sha256: detector.modelSha256.slice(0, 16),
    protocol: detector.protocol,
    pipeline_hash: createHash('sha256').update(canonicalJson(pipeline)).digest('hex').slice(0, 16),
    condition,
  };
}

/** What a stored row says it was computed from. */
export type StoredIdentity = ScoreIdentity & { cache_key: string };

/** Why a stored row cannot stand for this image under this identity, or undefined when it can be reused. */
export function staleReason(stored: StoredIdentity, cacheKey: string, identity: ScoreIdentity): StaleReason | undefined {
  if (stored.model_sha256 !== identity.model_sha256) return 'model changed';
  if (stored.protocol !== identity.protocol) return 'protocol changed';
  if (stored.pipeline_hash !== identity.pipeline_hash) return 'pipeline changed';
  if (stored.condition !== identity.condition) return 'condition changed';
  if (stored.cache_key !== cacheKey) return 'image changed';
  return undefined;
}

/** JSON with object keys sorted, so the hash does not depend on the order a manifest lists its fields in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
