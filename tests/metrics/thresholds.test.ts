import { describe, expect, it } from 'vitest';
import { nextUp, parseThresholdPolicy, resolveThreshold, Xoshiro128 } from '../../src/metrics/index.js';
import { UserError } from '../../src/util/errors.js';

const fprOn = (labels: number[], scores: number[], t: number): number => {
  let fp = 0;
  let n = 0;
  labels.forEach((y, i) => {
    if (y === 0) {
      n++;
      if (scores[i] >= t) fp++;
    }
  });
  return fp / n;
};
const accuracyAt = (labels: number[], scores: number[], t: number): number =>
  labels.filter((y, i) => (scores[i] >= t ? 1 : 0) === y).length / labels.length;

function randomRun(seed: number, n: number): { labels: number[]; scores: number[] } {
  const rng = new Xoshiro128(seed);
  const labels = Array.from({ length: n }, () => rng.nextBelow(2));
  // two decimals, so ties are common
  const scores = labels.map((y) => Math.min(100, rng.nextBelow(80) + 20 * y) / 100);
  return { labels, scores };
}

describe('fixed and native policies', () => {
  it('a fixed number, as text or number', () => {
    expect(resolveThreshold('0.5')).toEqual({ policy: '0.5', value: 0.5, optimistic: false, note: 'fixed: fake iff score >= 0.5' });
    expect(resolveThreshold(' 0.7 ').value).toBe(0.7);
    expect(resolveThreshold(0.25).value).toBe(0.25);
  });

  it('native comes from the manifest, and says so when missing', () => {
    expect(resolveThreshold('native', { nativeThreshold: 0.62 })).toMatchObject({ policy: 'native', value: 0.62, optimistic: false });
    expect(() => resolveThreshold('native')).toThrow(/needs the detector manifest's native threshold/);
  });
});

describe('fpr@X', () => {
  const reals = Array.from({ length: 100 }, (_, i) => i / 100); // 0.00 … 0.99
  const labels = [...reals.map(() => 0), 1, 1];
  const scores = [...reals, 0.95, 0.3];

  it('is the lowest threshold whose FPR on the reals is <= X', () => {
    const t = resolveThreshold('fpr@0.05', { labels, scores });
    // 5 false positives allowed: 0.95 … 0.99; the 6th-highest real, 0.94, must stay real
    expect(t.value).toBe(nextUp(0.94));
    expect(fprOn(labels, scores, t.value)).toBe(0.05);
    expect(fprOn(labels, scores, 0.94)).toBeGreaterThan(0.05);
    expect(t.optimistic).toBe(false);
    expect(t.note).toMatch(/6th-highest real score.*achieved FPR 0\.05 \(5 reals\)/);
    expect(resolveThreshold('fpr@5%', { labels, scores }).value).toBe(t.value);
  });

  it('ties at the cut all stay real, so the achieved FPR can be lower than X', () => {
    const t = resolveThreshold('fpr@0.5', { labels: [0, 0, 0, 0, 1], scores: [0.9, 0.9, 0.9, 0.1, 0.95] });
    expect(t.value).toBe(nextUp(0.9));
    expect(t.note).toMatch(/achieved FPR 0 \(0 reals\)/);
  });

  it('fpr@0 is just above the top real; fpr@1 flags everything', () => {
    expect(resolveThreshold('fpr@0', { labels, scores }).value).toBe(nextUp(0.99));
    expect(resolveThreshold('fpr@1', { labels, scores }).value).toBe(0);
  });

  it('holds on random runs with ties (property)', () => {
    for (let seed = 0; seed < 20; seed++) {
      const run = randomRun(seed, 300);
      for (const x of [0.01, 0.05, 0.1, 0.33]) {
        const t = resolveThreshold(`fpr@${x}`, run).value;
        expect(fprOn(run.labels, run.scores, t)).toBeLessThanOrEqual(x);
        // every lower threshold a score can tell apart exceeds the budget
        const below = Math.max(...run.scores.filter((s, i) => run.labels[i] === 0 && s < t));
        expect(fprOn(run.labels, run.scores, below)).toBeGreaterThan(x);
      }
    }
  });

  it('needs reals and scores', () => {
    expect(() => resolveThreshold('fpr@0.05', { labels: [1], scores: [0.5] })).toThrow(/needs reals/);
    expect(() => resolveThreshold('fpr@0.05')).toThrow(/none were given/);
  });
});

describe('oracle', () => {
  it('maximises accuracy (lowest threshold among ties) and is flagged optimistic', () => {
    for (let seed = 0; seed < 20; seed++) {
      const run = randomRun(100 + seed, 200);
      const t = resolveThreshold('oracle', run);
      expect(t.optimistic).toBe(true);
      const candidates = [...new Set(run.scores), nextUp(Math.max(...run.scores))].sort((a, b) => a - b);
      const best = Math.max(...candidates.map((c) => accuracyAt(run.labels, run.scores, c)));
      expect(accuracyAt(run.labels, run.scores, t.value)).toBe(best);
      expect(t.value).toBe(candidates.find((c) => accuracyAt(run.labels, run.scores, c) === best));
    }
  });

  it('can pick "everything real"', () => {
    const t = resolveThreshold('oracle', { labels: [0, 0, 0, 1], scores: [0.9, 0.8, 0.7, 0.1] });
    expect(t.value).toBe(nextUp(0.9));
    expect(t.note).toMatch(/accuracy 0\.75/);
  });
});

describe('policy parsing', () => {
  it('accepts every documented form', () => {
    expect(parseThresholdPolicy('0.5')).toEqual({ kind: 'fixed', value: 0.5 });
    expect(parseThresholdPolicy('NATIVE')).toEqual({ kind: 'native' });
    expect(parseThresholdPolicy('fpr@0.01')).toEqual({ kind: 'fpr', maxFpr: 0.01 });
    expect(parseThresholdPolicy('fpr@1%')).toEqual({ kind: 'fpr', maxFpr: 0.01 });
    expect(parseThresholdPolicy('oracle')).toEqual({ kind: 'oracle' });
  });

  it('names the bad policy and lists the valid forms', () => {
    for (const bad of ['0.5x', 'fpr@', 'fpr@abc', 'fpr@150%', '1.5', 'best', '', 'orcale']) {
      let error: unknown;
      try {
        parseThresholdPolicy(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(UserError);
      const message = (error as Error).message;
      expect(message).toContain(`'${bad}'`);
      expect(message).toMatch(/Valid forms: .*"0\.5".*"native".*"fpr@0\.05".*"oracle"/);
    }
    expect(() => parseThresholdPolicy('orcale')).toThrow(/did you mean 'oracle'/);
  });
});

describe('nextUp', () => {
  it('is the next double', () => {
    expect(nextUp(0.5)).toBe(0.5 + 2 ** -53);
    expect(nextUp(1)).toBe(1 + 2 ** -52);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-1)).toBe(-1 + 2 ** -53);
  });
});
