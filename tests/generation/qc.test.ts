import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/index.js';
import { applyQc, loadQcConfig, qcFromThresholds, QcTally, SEMITRUTHS_QC, type QcRule } from '../../src/generation/qc.js';
import { formatMeasureSummary } from '../../src/generation/summary.js';
import { copyEvalset, tempDir } from '../helpers.js';
import { measureEvalset, readCsv, writeCsv } from './measure-helpers.js';
import { writeTinyMetricModels } from './tiny-metric-models.js';

const RULES: QcRule[] = [
  { metric: 'a', min: 0, max: 1 },
  { metric: 'b', min: 0.2, max: 0.3 },
];

describe('QC rules', () => {
  it('are inclusive ranges; a missing metric is "not applied", never "passed"', () => {
    const qc = (values: Record<string, number | undefined>, problem = false) => applyQc(RULES, (m) => values[m], problem);
    expect(qc({ a: 0, b: 0.3 })).toEqual({ passQc: '1', rules: ['pass', 'pass'] });
    expect(qc({ a: 1.5, b: 0.25 })).toEqual({ passQc: '0', rules: ['fail', 'pass'] });
    expect(qc({ a: 0.5 })).toEqual({ passQc: '1', rules: ['pass', 'not applied'] });
    expect(qc({ b: 0.1 })).toEqual({ passQc: '0', rules: ['not applied', 'fail'] });
    expect(qc({ a: NaN })).toEqual({ passQc: '', rules: ['not applied', 'not applied'] });
    expect(qc({ a: 0.5, b: 0.25 }, true).passQc).toBe('0');
    expect(qc({}, true).passQc).toBe('0');
  });

  it('tally per rule: applied, failed, not applied', () => {
    const tally = new QcTally({ rules: RULES, source: 'test' });
    for (const [values, problem] of [[{ a: 0.5, b: 0.25 }, false], [{ a: 2 }, false], [{}, false], [{ a: 0.5, b: 0.9 }, true]] as const) {
      tally.add(applyQc(RULES, (m) => (values as Record<string, number>)[m], problem), problem);
    }
    expect(tally.summary()).toEqual({
      source: 'test',
      rows: 4,
      rules: [
        { metric: 'a', min: 0, max: 1, applied: 3, failed: 1, notApplied: 1, status: 'partly applied' },
        { metric: 'b', min: 0.2, max: 0.3, applied: 2, failed: 1, notApplied: 2, status: 'partly applied' },
      ],
      measureErrors: 1,
      passQc: { '1': 1, '0': 2, empty: 1 },
      removed: { byRule: { a: 1, b: 1, measure_error: 1 }, total: 2 },
    });
  });

  it('reads thresholds from JSON in the config.yaml shape, and refuses bad ranges', () => {
    const dir = tempDir();
    const good = join(dir, 'qc.json');
    writeFileSync(good, JSON.stringify({ metric_thresholds: { cap2_img2: [0.1, 0.4] } }));
    expect(loadQcConfig(good)).toEqual({ rules: [{ metric: 'cap2_img2', min: 0.1, max: 0.4 }], source: good });
    expect(loadQcConfig()).toBe(SEMITRUTHS_QC);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ rules: { cap2_img2: [0.4, 0.1] } }));
    expect(() => loadQcConfig(bad)).toThrow(/cap2_img2: must be \[min, max\]/);
  });
});

describe('QC gate in measure', () => {
  it('applies the Semi-Truths thresholds to the QC scores the metadata has, and accounts for every rule', async () => {
    // No CLIP model: the scores come from the input metadata (as the released Evalset ships cap2_img2, direct_sim).
    const dir = copyEvalset();
    const meta = readCsv(join(dir, 'metadata.csv'));
    let k = 0;
    const rows = meta.rows.map((r) => {
      if (r.label !== 'fake') return r;
      k++;
      return {
        ...r,
        cap2_img2: k % 4 === 0 ? '0.1' : '0.25', // every 4th fails [0.2083, 0.2971]
        img1_img2: k % 6 === 0 ? '0.99' : '0.9', // every 6th fails [0.8816, 0.9896]
        direct_sim: r.method === 'p2p' ? '' : '0.8115', // the lower bound itself passes; p2p rows: not applied
      };
    });
    writeCsv(join(dir, 'metadata.csv'), [...new Set([...meta.columns, 'cap2_img2', 'img1_img2', 'direct_sim'])], rows); // the bundled set has these columns already

    const result = await measureEvalset(dir);
    const fakes = rows.filter((r) => r.label === 'fake');
    const failsCap = fakes.filter((r) => r.cap2_img2 === '0.1').length;
    const failsImg = fakes.filter((r) => r.img1_img2 === '0.99').length;
    const p2p = fakes.filter((r) => r.method === 'p2p').length;
    expect(result.qc.rules).toEqual([
      { ...SEMITRUTHS_QC.rules[0], applied: 0, failed: 0, notApplied: 48, status: 'not applied' },
      { ...SEMITRUTHS_QC.rules[1], applied: 48, failed: failsCap, notApplied: 0, status: 'applied' },
      { ...SEMITRUTHS_QC.rules[2], applied: 48, failed: failsImg, notApplied: 0, status: 'applied' },
      { ...SEMITRUTHS_QC.rules[3], applied: 48 - p2p, failed: 0, notApplied: p2p, status: 'partly applied' },
    ]);
    const out = readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    const expected = fakes.map((r) => (r.cap2_img2 === '0.1' || r.img1_img2 === '0.99' ? '0' : '1'));
    expect(out.map((r) => r.pass_qc)).toEqual(expected);
    expect(result.qc.passQc).toEqual({ '1': expected.filter((p) => p === '1').length, '0': expected.filter((p) => p === '0').length, empty: 0 });
    // Input QC scores are kept in their columns (no model to recompute them).
    expect(out.map((r) => r.cap2_img2)).toEqual(fakes.map((r) => r.cap2_img2));
    // Bins are computed over the passing rows only.
    expect(result.bins.basis).toMatchObject({ rows: expected.filter((p) => p === '1').length, passQc1: expected.filter((p) => p === '1').length, passQcEmpty: 0 });

    const summary = formatMeasureSummary(result);
    expect(summary).toMatch(/brisque_score_perturb\s+\[0, 70\]\s+not applied \(no values\)/);
    expect(summary).toMatch(new RegExp(`cap2_img2\\s+\\[0.2083, 0.2971\\]\\s+applied to 48, failed ${failsCap}`));
    expect(summary).toContain(`not applied to ${p2p} (no value)`);
  });

  it('applies all four rules to measured BRISQUE and CLIP scores and counts the edits each rule removed', async () => {
    const dir = copyEvalset();
    const metricsDir = writeTinyMetricModels(join(tempDir(), 'metrics'), ['clip']);
    // The tiny CLIP's cosines are not real CLIP's: take ranges from the measured values so that each rule bites.
    await measureEvalset(dir, { metricsDir, noBrisque: false });
    const measured = readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    const range = (metric: string): [number, number] => {
      const v = measured.map((r) => Number(r[metric])).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
      return [v[Math.floor(v.length / 5)], v[v.length - 1 - Math.floor(v.length / 5)]];
    };
    const qc = qcFromThresholds({ brisque_score_perturb: [0, 70], cap2_img2: range('cap2_img2'), img1_img2: range('img1_img2'), direct_sim: range('direct_sim') }, 'test');

    const result = await measureEvalset(dir, { metricsDir, noBrisque: false, qc });
    expect(result.measured).toBe(0); // the same measured rows, gated again
    const rows = readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    const fails = (r: Record<string, string>, rule: QcRule) => r[rule.metric] !== '' && !(Number(r[rule.metric]) >= rule.min && Number(r[rule.metric]) <= rule.max);
    const byRule = Object.fromEntries(qc.rules.map((rule) => [rule.metric, rows.filter((r) => fails(r, rule)).length]));
    const removed = rows.filter((r) => qc.rules.some((rule) => fails(r, rule)));
    expect(result.qc.removed).toEqual({ byRule: { ...byRule, measure_error: 0 }, total: removed.length });
    expect(rows.map((r) => r.pass_qc)).toEqual(rows.map((r) => (removed.includes(r) ? '0' : '1')));
    // Every rule removed something, some edits fail several rules (counted under each), and some edits pass.
    for (const rule of qc.rules) expect(byRule[rule.metric], rule.metric).toBeGreaterThan(0);
    expect(Object.values(byRule).reduce((a, b) => a + b)).toBeGreaterThan(removed.length);
    expect(removed.length).toBeLessThan(rows.length);
    // direct_sim needs both captions: the fixture's p2p rows have no original caption, so it is not applied there.
    expect(result.qc.rules[3].notApplied).toBe(rows.filter((r) => r.direct_sim === '').length);
    expect(formatMeasureSummary(result)).toContain(`removed ${removed.length} edits (by rule, an edit failing several counted under each: brisque_score_perturb ${byRule.brisque_score_perturb}`);
  });

  it('custom rules replace the defaults; an empty rule set leaves pass_qc empty', async () => {
    const dir = copyEvalset();
    const qcFile = join(tempDir(), 'qc.json');
    writeFileSync(qcFile, JSON.stringify({ metric_thresholds: { mse: [0, 0.005] } }));
    const result = await measureEvalset(dir, { qc: loadQcConfig(qcFile) });
    const out = readCsv(join(dir, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    expect(out.map((r) => r.pass_qc)).toEqual(out.map((r) => (Number(r.mse) <= 0.005 ? '1' : '0')));
    expect(result.qc.rules[0]).toMatchObject({ metric: 'mse', applied: 48 });

    const none = copyEvalset();
    await measureEvalset(none, { qc: { rules: [], source: 'none' } });
    expect(new Set(readCsv(join(none, 'metadata.csv')).rows.map((r) => r.pass_qc))).toEqual(new Set(['']));
  });
});

describe('QC thresholds from bench.config.ts', () => {
  it('defaults to the Semi-Truths config.yaml thresholds and validates a user table, naming the metric', () => {
    expect(qcFromThresholds(DEFAULTS.qc, 'defaults').rules).toEqual(SEMITRUTHS_QC.rules);
    expect(qcFromThresholds({ cap2_img2: [0.1, 0.2] }, 'bench.config.ts qc').rules).toEqual([{ metric: 'cap2_img2', min: 0.1, max: 0.2 }]);
    expect(() => qcFromThresholds({ cap2_img2: [0.3, 0.2] }, 'bench.config.ts qc')).toThrow('bench.config.ts qc: cap2_img2: must be [min, max] with min <= max');
  });
});
