import { existsSync, readFileSync } from 'node:fs';
import { errorMessage, UserError } from '../util/errors.js';

/** One QC rule: the row passes it when `min <= metric <= max` (inclusive, as quality_thresholds.py filters). */
export interface QcRule {
  metric: string;
  min: number;
  max: number;
}

export interface QcConfig {
  rules: QcRule[];
  /** Where the rules came from, for the summary. */
  source: string;
}

/**
 * Semi-Truths' post-generation quality gate (config.yaml `metric_thresholds`,
 * SemiTruths/quality_check/quality_thresholds.py: `>= min` and `<= max` filters, so both bounds pass; its extra
 * `>= 0` filter on the CLIP scores is implied by their positive minima). `measure` computes brisque_score_perturb (src/generation/brisque)
 * for every readable edited image, so that rule applies whenever the edit could be decoded.
 */
export const SEMITRUTHS_QC: QcConfig = {
  source: 'Semi-Truths config.yaml metric_thresholds (default)',
  rules: [
    { metric: 'brisque_score_perturb', min: 0, max: 70 },
    { metric: 'cap2_img2', min: 0.2083, max: 0.2971 },
    { metric: 'img1_img2', min: 0.8816, max: 0.9896 },
    { metric: 'direct_sim', min: 0.8115, max: 0.9786 },
  ],
};

/**
 * Reads QC rules from a JSON file: `{"metric_thresholds": {"cap2_img2": [0.2, 0.3], ...}}` (the config.yaml key) or
 * `{"rules": {...}}` in the same shape. No file → the Semi-Truths defaults. An empty object turns QC off.
 */
export function loadQcConfig(file?: string): QcConfig {
  if (!file) return SEMITRUTHS_QC;
  if (!existsSync(file)) throw new UserError(`QC config not found: ${file}`, 'E_CONFIG');
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${errorMessage(error)})`, 'E_CONFIG');
  }
  return qcFromThresholds(raw?.metric_thresholds ?? raw?.rules, file);
}

/** QC thresholds as config.yaml writes them: metric → [min, max]. */
export type QcThresholds = Record<string, [number, number]>;

/** The Semi-Truths defaults in the config.yaml shape (bench.config.ts `qc`). */
export const SEMITRUTHS_QC_THRESHOLDS: QcThresholds = Object.fromEntries(SEMITRUTHS_QC.rules.map((r) => [r.metric, [r.min, r.max]]));

/** Checks a metric → [min, max] table (from a JSON file or bench.config.ts) and turns it into rules. */
export function qcFromThresholds(table: unknown, source: string): QcConfig {
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    throw new UserError(`${source}: expected {"metric_thresholds": {"metric": [min, max], ...}}`, 'E_CONFIG');
  }
  const rules = Object.entries(table).map(([metric, range]) => {
    const [min, max] = Array.isArray(range) ? range : [];
    if (range === null || !Array.isArray(range) || range.length !== 2 || typeof min !== 'number' || typeof max !== 'number' || !(min <= max)) {
      throw new UserError(`${source}: ${metric}: must be [min, max] with min <= max`, 'E_CONFIG');
    }
    return { metric, min, max };
  });
  return { rules, source };
}

/** How one rule went for one row. */
export type RuleResult = 'pass' | 'fail' | 'not applied';

/** QC of one row: `pass_qc` and each rule's result. */
export interface QcOutcome {
  /** '1': every applied rule passed; '0': a rule failed or the row has a failing measure_error; '': no rule could be applied. */
  passQc: '' | '0' | '1';
  rules: RuleResult[];
}

/**
 * Applies the rules to one row. A rule whose metric is missing (empty or not a number) is "not applied" rather
 * than passed; pass_qc is decided by the applied rules only, and is empty when none applied — "unknown", not
 * "passed". A row whose measurement had a problem fails whatever the rules say.
 */
export function applyQc(rules: readonly QcRule[], valueOf: (metric: string) => number | undefined, hasProblem: boolean): QcOutcome {
  const results = rules.map((rule): RuleResult => {
    const v = valueOf(rule.metric);
    if (v === undefined || !Number.isFinite(v)) return 'not applied';
    return v >= rule.min && v <= rule.max ? 'pass' : 'fail';
  });
  const passQc = hasProblem || results.includes('fail') ? '0' : results.includes('pass') ? '1' : '';
  return { passQc, rules: results };
}

/** Per-rule accounting over all rows, for the summary. */
export interface QcSummary {
  source: string;
  rows: number;
  rules: { metric: string; min: number; max: number; applied: number; failed: number; notApplied: number; status: 'applied' | 'partly applied' | 'not applied' }[];
  /** Rows failed because their measure_error holds a failing problem (whatever the rules say). */
  measureErrors: number;
  passQc: { '1': number; '0': number; empty: number };
  /**
   * The edits the gate removed (pass_qc 0): `byRule` counts each rule's failures (an edit failing several rules
   * counts under each, plus `measure_error` for failing problems), `total` counts each removed edit once.
   */
  removed: { byRule: Record<string, number>; total: number };
}

/** Counts QC outcomes row by row. */
export class QcTally {
  private rows = 0;
  private measureErrors = 0;
  private readonly counts: { applied: number; failed: number; notApplied: number }[];
  private readonly pass = { '1': 0, '0': 0, empty: 0 };

  constructor(private readonly config: QcConfig) {
    this.counts = config.rules.map(() => ({ applied: 0, failed: 0, notApplied: 0 }));
  }

  add(outcome: QcOutcome, hasProblem: boolean): void {
    this.rows++;
    if (hasProblem) this.measureErrors++;
    outcome.rules.forEach((result, i) => {
      const c = this.counts[i];
      if (result === 'not applied') c.notApplied++;
      else {
        c.applied++;
        if (result === 'fail') c.failed++;
      }
    });
    this.pass[outcome.passQc === '' ? 'empty' : outcome.passQc]++;
  }

  summary(): QcSummary {
    return {
      source: this.config.source,
      rows: this.rows,
      rules: this.config.rules.map((rule, i) => {
        const c = this.counts[i];
        const status = c.applied === 0 ? 'not applied' : c.notApplied === 0 ? 'applied' : 'partly applied';
        return { ...rule, ...c, status };
      }),
      measureErrors: this.measureErrors,
      passQc: { ...this.pass },
      removed: {
        byRule: Object.fromEntries([...this.config.rules.map((rule, i) => [rule.metric, this.counts[i].failed]), ['measure_error', this.measureErrors]]),
        total: this.pass['0'],
      },
    };
  }
}
