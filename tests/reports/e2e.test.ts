import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { compareRuns } from '../../src/reports/compare.js';
import { buildReport } from '../../src/reports/report.js';
import { writeRunJson } from '../../src/reports/run-json.js';
import { writeReport } from '../../src/reports/write.js';
import { runDetectors } from '../../src/runner/run.js';
import { tempDir, testConfig } from '../helpers.js';

describe('end to end on the bundled eval set', async () => {
  // the repository's bench.config.ts slices, on the builtin detectors
  const { slices } = await loadConfig(undefined, {});
  const config = testConfig({ slices, bootstrap: { resamples: 200, seed: 1 } });
  const result = await runDetectors(config);
  writeRunJson(config, result);

  it('run, then report with another threshold policy into another folder, without touching a model', async () => {
    const out = tempDir();
    const report = await buildReport({ runDir: config.out, config, threshold: 'fpr@0.1' });
    const { files, summary } = writeReport(report, out);
    expect(files.every((f) => existsSync(f))).toBe(true);
    // one file per slice that applies; the optional ones whose column is absent are skipped, with the reason
    expect(readdirSync(join(out, 'slices')).sort()).toEqual(report.slices.map((s) => `${s.name}.csv`).sort());
    const planned = new Set(report.slices.map((s) => s.name));
    for (const spec of slices) expect(planned.has(spec.name) !== report.plan.skipped.some((s) => s.name === spec.name), spec.name).toBe(true);
    expect(planned).toContain('area_ratio');
    expect(planned).toContain('model_x_dataset');
    expect(planned).toContain('method_x_model'); // the paper's method × editing model table
    const all = parse(readFileSync(join(out, 'slices', 'all.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(all.map((r) => r.detector)).toEqual(['npr-residual', 'spectral-hf']);
    for (const r of all) {
      expect(r.threshold_policy).toBe('fpr@0.1');
      expect(Number(r.threshold)).toBeGreaterThan(0);
      // fixed on the 16 reals: at most one false positive
      expect(Number(r.specificity_real)).toBeGreaterThanOrEqual(15 / 16);
      expect([r.n_real, r.n_fake]).toEqual(['16', '48']);
      expect(r.auc).not.toBe('');
    }
    const method = parse(readFileSync(join(out, 'slices', 'method.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(method.every((r) => r.kind === 'fake-only' && r.auc === '' && r.paired_auc !== '')).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.threshold.policy).toBe('fpr@0.1');
    expect(results.run.detectors.map((d: { name: string; modelSha256: string }) => [d.name, d.modelSha256.length])).toEqual([
      ['npr-residual', 64],
      ['spectral-hf', 64],
    ]);
    expect(results.run.protocol).toBe('native');
    expect(results.slices.find((s: { name: string }) => s.name === 'area_ratio').bins.source).toMatch(/quantiles|category column/);
    expect(results.skippedSlices).toEqual(report.plan.skipped);
    // The bundled set was measured without learned-metric models: those columns exist but are empty.
    expect(results.skippedSlices).toContainEqual({ name: 'lpips', reason: expect.stringMatching(/its column has no values/) });
    expect(existsSync(join(out, 'slices', 'lpips.csv'))).toBe(false);
    // builtins are uncalibrated: the warning travels with thresholded numbers only for fixed/native policies
    expect(results.threshold.detectors['npr-residual'].warning).toBeNull();
    expect(summary).toContain('fpr@0.1 = ');
    // the run's own report is untouched
    expect(existsSync(join(config.out, 'results.json'))).toBe(false);
  });

  it('at 0.5, uncalibrated builtins carry the warning in every row', async () => {
    const report = await buildReport({ runDir: config.out, config, resamples: 0 });
    expect(report.rows.every((r) => r.threshold_note.startsWith('uncalibrated scores'))).toBe(true);
  });

  it('compare of two runs of the same detectors on the same data: paired, all deltas zero', async () => {
    const again = testConfig({ slices, out: join(tempDir(), 'run2') });
    writeRunJson(again, await runDetectors(again));
    const c = await compareRuns({ runA: config.out, runB: again.out, config, resamples: 100 });
    expect(c.pairs).toEqual([
      ['npr-residual', 'npr-residual'],
      ['spectral-hf', 'spectral-hf'],
    ]);
    const defined = c.rows.filter((r) => r.delta !== null);
    expect(defined.length).toBeGreaterThan(100);
    expect(defined.every((r) => r.delta === 0 && r.pairing === 'paired' && r.significant === '')).toBe(true);
  });
});
