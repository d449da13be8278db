import { parseThresholdPolicy, resolveThreshold, type ResolvedThreshold } from '../metrics/index.js';
import { UserError } from '../util/errors.js';
import type { DetectorView } from './detector-view.js';

/** What the manifest says about a detector's scores (undefined when the detector has no manifest here). */
export interface ManifestFacts {
  nativeThreshold: number;
  calibrated: boolean;
}

/** A detector's threshold under the report's policy, or why there is none. */
export interface DetectorThreshold {
  detector: string;
  policy: string;
  threshold: ResolvedThreshold | null;
  /** Why `threshold` is null; the thresholded metrics carry it as their reason. */
  reason?: string;
  /** From the manifest; undefined when the detector is unknown (e.g. imported predictions). */
  calibrated?: boolean;
  /** What a reader must know before trusting the thresholded numbers (uncalibrated, oracle). */
  warning?: string;
}

/**
 * Resolves the policy for one detector with metrics' resolveThreshold: `fpr@X` on all of the run's reals
 * scored by this detector, `oracle` on all its scored rows, `native` from its manifest. A policy that cannot
 * apply to this detector (no manifest for `native`, no reals for `fpr@X`) leaves it without a threshold and a
 * reason; a malformed policy is a UserError for the whole report.
 */
export function resolveDetectorThreshold(policy: string, view: DetectorView, manifest?: ManifestFacts): DetectorThreshold {
  const parsed = parseThresholdPolicy(policy);
  const base = { detector: view.detector, policy, calibrated: manifest?.calibrated };
  let threshold: ResolvedThreshold;
  try {
    if (parsed.kind === 'native') {
      if (!manifest) return { ...base, threshold: null, reason: `native: no manifest for '${view.detector}' here; use a number or fpr@X` };
      threshold = resolveThreshold(policy, { nativeThreshold: manifest.nativeThreshold });
    } else if (parsed.kind === 'fpr') {
      const reals: number[] = [];
      for (let k = 0; k < view.order.length; k++) if (view.meta.label[view.order[k]] === 0) reals.push(view.scores.score[view.order[k]]);
      threshold = resolveThreshold(policy, { labels: new Uint8Array(reals.length), scores: reals });
    } else if (parsed.kind === 'oracle') {
      const labels = new Uint8Array(view.order.length);
      const scores = new Float64Array(view.order.length);
      for (let k = 0; k < view.order.length; k++) {
        labels[k] = view.meta.label[view.order[k]];
        scores[k] = view.scores.score[view.order[k]];
      }
      threshold = resolveThreshold(policy, { labels, scores });
    } else {
      threshold = resolveThreshold(policy);
    }
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ...base, threshold: null, reason: error.message };
  }
  let warning: string | undefined;
  if (threshold.optimistic) warning = 'optimistic: the oracle threshold is fitted on the evaluated rows themselves';
  else if (manifest?.calibrated === false && (parsed.kind === 'fixed' || parsed.kind === 'native')) {
    warning = `uncalibrated scores: numbers thresholded at ${threshold.value} are not meaningful; read auc/ap/paired_auc, or use --threshold fpr@0.05`;
  }
  return { ...base, threshold, ...(warning ? { warning } : {}) };
}
