import { UserError } from '../util/errors.js';
import { nearest } from '../util/suggest.js';
import { clfCurve, rankScores } from './curve.js';
import { checkInput, type Labels, type Scores } from './input.js';

/**
 * A named rule for the decision threshold. A threshold is always reported with its policy, because "accuracy"
 * means nothing without it. Every rule predicts fake iff `score >= value`.
 *
 * - a number such as `"0.5"` or `"0.7"` (or the number itself), in [0, 1]: that fixed threshold;
 * - `"native"`: the threshold from the detector manifest (what its authors deploy);
 * - `"fpr@X"` (X in [0, 1], or a percentage such as `"fpr@5%"`): the **lowest** threshold whose FPR on all
 *   reals of the run is <= X. With the run's reals sorted high to low and k the largest integer with
 *   k / nReal <= X, that is the smallest double above the (k+1)-th highest real score, i.e. "fake iff score >
 *   r₍ₖ₊₁₎". Ties at r₍ₖ₊₁₎ all stay real, so the achieved FPR can be below X; it is given in the note.
 *   If k >= nReal every real may be flagged and the threshold is min(0, lowest score).
 * - `"oracle"`: the threshold maximising accuracy on the given rows — the lowest one among ties, searched over
 *   every distinct score and "above the highest score" (all real). Fitted on the test data itself, so it is
 *   flagged `optimistic: true`.
 */
export type ThresholdPolicy = string | number;

/** A threshold with the rule that produced it, as reports print it. */
export interface ResolvedThreshold {
  /** The policy as written ("0.5", "native", "fpr@0.05", "oracle"). */
  policy: string;
  /** Predict fake iff score >= value. */
  value: number;
  /** True when the threshold was fitted on the evaluated rows (oracle): an upper bound, not a deployable number. */
  optimistic: boolean;
  /** One line on how the value came about. */
  note: string;
}

/** A policy after parsing, before it meets data. */
export type ParsedPolicy =
  | { kind: 'fixed'; value: number }
  | { kind: 'native' }
  | { kind: 'fpr'; maxFpr: number }
  | { kind: 'oracle' };

const VALID_FORMS =
  'Valid forms: a number in [0, 1] such as "0.5" or "0.7"; "native" (the detector manifest\'s threshold); ' +
  '"fpr@X" with X in [0, 1], such as "fpr@0.05" or "fpr@5%" (lowest threshold with FPR <= X on all reals of the run); ' +
  '"oracle" (accuracy-maximising on the evaluated rows; optimistic).';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a policy; throws a UserError that names the bad policy and lists the valid forms. */
export function parseThresholdPolicy(policy: ThresholdPolicy): ParsedPolicy {
  const bad = (why: string): never => {
    throw new UserError(`Invalid threshold policy '${policy}': ${why}. ${VALID_FORMS}`, 'E_THRESHOLD_POLICY');
  };
  if (typeof policy === 'number') {
    if (!(policy >= 0 && policy <= 1)) bad('a fixed threshold must be in [0, 1]');
    return { kind: 'fixed', value: policy };
  }
  const text = policy.trim().toLowerCase();
  if (NUMBER.test(text)) {
    const value = Number(text);
    if (!(value >= 0 && value <= 1)) bad('a fixed threshold must be in [0, 1]');
    return { kind: 'fixed', value };
  }
  if (text === 'native') return { kind: 'native' };
  if (text === 'oracle') return { kind: 'oracle' };
  if (text.startsWith('fpr@')) {
    const arg = text.slice(4);
    const percent = arg.endsWith('%');
    const digits = percent ? arg.slice(0, -1) : arg;
    if (!NUMBER.test(digits)) bad(`'${arg}' is not a number`);
    const maxFpr = Number(digits) / (percent ? 100 : 1);
    if (!(maxFpr >= 0 && maxFpr <= 1)) bad(`the FPR must be in [0, 1] (or 0%–100%)`);
    return { kind: 'fpr', maxFpr };
  }
  const hint = nearest(text.split('@')[0], ['native', 'oracle', 'fpr']);
  return bad(hint ? `unknown form (did you mean '${hint}'?)` : 'unknown form');
}

/**
 * Turns a policy into a number. `labels`/`scores` are the whole run (all reals, all fakes), used by `fpr@X` and
 * `oracle`; `nativeThreshold` comes from the detector manifest, used by `native`.
 */
export function resolveThreshold(
  policy: ThresholdPolicy,
  data: { labels?: Labels; scores?: Scores; nativeThreshold?: number } = {},
): ResolvedThreshold {
  const parsed = parseThresholdPolicy(policy);
  const name = typeof policy === 'number' ? String(policy) : policy.trim();
  switch (parsed.kind) {
    case 'fixed':
      return { policy: name, value: parsed.value, optimistic: false, note: `fixed: fake iff score >= ${parsed.value}` };
    case 'native': {
      const t = data.nativeThreshold;
      if (t === undefined || !Number.isFinite(t)) {
        throw new UserError(
          `Threshold policy 'native' needs the detector manifest's native threshold, and none was given. ` +
            `Use a fixed number such as "0.5" instead.`,
          'E_THRESHOLD_POLICY',
        );
      }
      return { policy: name, value: t, optimistic: false, note: `native: the detector manifest's threshold, fake iff score >= ${t}` };
    }
    case 'fpr':
      return fprThreshold(name, parsed.maxFpr, needData(name, data));
    case 'oracle':
      return oracleThreshold(name, needData(name, data));
  }
}

function needData(name: string, data: { labels?: Labels; scores?: Scores }): { labels: Labels; scores: Scores } {
  if (data.labels === undefined || data.scores === undefined) {
    throw new UserError(`Threshold policy '${name}' is fitted on the run's scores, and none were given.`, 'E_THRESHOLD_POLICY');
  }
  checkInput(data.labels, data.scores);
  return { labels: data.labels, scores: data.scores };
}

function fprThreshold(name: string, maxFpr: number, { labels, scores }: { labels: Labels; scores: Scores }): ResolvedThreshold {
  const reals: number[] = [];
  let lowest = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 0) reals.push(scores[i]);
    lowest = Math.min(lowest, scores[i]);
  }
  const n = reals.length;
  if (n === 0) {
    throw new UserError(`Threshold policy '${name}' needs reals to measure the FPR on, and the run has none.`, 'E_THRESHOLD_POLICY');
  }
  reals.sort((a, b) => b - a);
  // k = the most false positives allowed; computed by the same division used to report the FPR
  let k = Math.min(n, Math.floor(maxFpr * n));
  while (k < n && (k + 1) / n <= maxFpr) k++;
  while (k > 0 && k / n > maxFpr) k--;
  if (k >= n) {
    const note = `${name}: every real may be flagged (FPR 1 <= ${maxFpr}); fake iff score >= ${lowest}`;
    return { policy: name, value: lowest, optimistic: false, note };
  }
  const cut = reals[k];
  const value = nextUp(cut);
  let flagged = 0;
  while (flagged < n && reals[flagged] > cut) flagged++;
  return {
    policy: name,
    value,
    optimistic: false,
    note:
      `${name}: lowest threshold with FPR <= ${maxFpr} on the run's ${n} reals: fake iff score > ${cut} ` +
      `(the ${ordinal(k + 1)}-highest real score); achieved FPR ${flagged / n} (${flagged} reals)`,
  };
}

function oracleThreshold(name: string, { labels, scores }: { labels: Labels; scores: Scores }): ResolvedThreshold {
  const n = labels.length;
  if (n === 0) throw new UserError(`Threshold policy '${name}' needs scored rows, and none were given.`, 'E_THRESHOLD_POLICY');
  const ranked = rankScores(labels, scores);
  const { fps, tps, thresholds } = clfCurve(ranked);
  const nNeg = fps[fps.length - 1];
  // start from "everything real" (threshold above the top score), then lower the threshold one score at a time;
  // `>=` keeps the lowest threshold among equally accurate ones
  let best = nNeg;
  let value = nextUp(thresholds[0]);
  for (let g = 0; g < fps.length; g++) {
    const correct = tps[g] + (nNeg - fps[g]);
    if (correct >= best) {
      best = correct;
      value = thresholds[g];
    }
  }
  return {
    policy: name,
    value,
    optimistic: true,
    note: `oracle: threshold maximising accuracy on the evaluated rows themselves (accuracy ${best / n}); optimistic, not deployable`,
  };
}

/** The smallest double greater than x (Math.nextUp). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buf = new Float64Array([x]);
  const bits = new BigInt64Array(buf.buffer);
  bits[0] += x > 0 ? 1n : -1n;
  return buf[0];
}

function ordinal(k: number): string {
  const tens = k % 100;
  if (tens >= 11 && tens <= 13) return `${k}th`;
  return `${k}${['th', 'st', 'nd', 'rd'][k % 10] ?? 'th'}`;
}
