import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, type BenchConfig } from '../../src/config/index.js';
import { buildReport } from '../../src/reports/report.js';
import { resultsDocument } from '../../src/reports/results-json.js';
import { robustnessMarkdown, SHORTCUT_RULE } from '../../src/reports/robustness.js';
import { removeTempDirs, tempDir } from '../helpers.js';

afterAll(removeTempDirs);

/**
 * A run whose answer is known by construction: 60 photos P0..P59 and one edit each. Clean scores: real i at
 * 0.8·(i+½)/60, its edit 0.15 above plus a wobble, so the classes overlap (AUC well inside (0.5, 1)).
 * Under format:jpeg:90:
 * - `shifty` scores every edit 0.02 lower, reals unchanged: every image moves the same way, so the AUC can only
 *   fall, in every bootstrap draw of the same images (the paired interval is below 0), yet by less than the
 *   clean AUC's own interval is wide (the old rule, "outside the clean interval", would not flag it);
 * - `steady` scores every image as in the clean run: the difference is 0 in every draw.
 */
function knownRun(): { run: string; config: BenchConfig } {
  const root = tempDir('semibench-shortcut-');
  const data = join(root, 'data');
  const run = join(root, 'run');
  mkdirSync(data, { recursive: true });
  mkdirSync(run, { recursive: true });
  const meta = ['image_id,image_path,dataset,label'];
  const predictions = ['sample_id,detector,score,label,status,error,ms,cache_key,model_sha256,protocol,pipeline_hash,condition'];
  const row = (id: string, detector: string, score: number, label: number, condition: string) =>
    predictions.push(`${id},${detector},${score},${label},ok,,1,k${id.length},m,native,p,${condition}`);
  for (let i = 0; i < 60; i++) {
    const real = `real/P${i}.jpg`;
    const fake = `fake/P${i}.png`;
    meta.push(`P${i},${real},D,real`, `P${i},${fake},D,fake`);
    const r = (0.8 * (i + 0.5)) / 60;
    const f = r + 0.15 + 0.1 * Math.sin(i * 2.3);
    for (const condition of ['none', 'format:jpeg:90']) {
      row(real, 'shifty', r, 0, condition);
      row(fake, 'shifty', condition === 'none' ? f : f - 0.02, 1, condition);
      row(real, 'steady', r, 0, condition);
      row(fake, 'steady', f, 1, condition);
    }
  }
  writeFileSync(join(data, 'metadata.csv'), `${meta.join('\n')}\n`);
  writeFileSync(join(run, 'predictions.csv'), `${predictions.join('\n')}\n`);
  return { run, config: { ...DEFAULTS, data, out: run, modelsDir: join(root, 'models'), manifestsDir: join(root, 'manifests'), slices: [], bootstrap: { resamples: 500, seed: 3 } } };
}

describe('format-shortcut verdict on the paired difference', () => {
  it('flags a small consistent shift the clean interval would hide, and not an unchanged detector', async () => {
    const { run, config } = knownRun();
    const report = await buildReport({ runDir: run, config });
    const verdicts = Object.fromEntries(report.robustness.formatShortcut.map((v) => [v.detector, v]));
    expect(Object.keys(verdicts).sort()).toEqual(['shifty', 'steady']);

    expect(verdicts.shifty.verdict).toBe('format shortcut');
    const auc = verdicts.shifty.checks.find((k) => k.metric === 'auc')!;
    expect(auc).toMatchObject({ condition: 'format:jpeg:90', pairing: 'paired', ci_method: 'bootstrap', moved: true });
    expect(auc.delta!).toBeLessThan(0);
    expect(auc.delta_hi!).toBeLessThan(0); // the paired interval excludes 0 ...
    expect(auc.delta_lo!).toBeLessThanOrEqual(auc.delta!);
    // ... while the equalised AUC lies inside the clean AUC's own 95% interval
    expect(auc.equalised.value!).toBeGreaterThan(auc.clean.lo!);
    expect(auc.equalised.value!).toBeLessThan(auc.clean.hi!);
    expect(auc.clean.value! - auc.equalised.value!).toBeLessThan((auc.clean.hi! - auc.clean.lo!) / 2);

    expect(verdicts.steady.verdict).toBe('no shift beyond the interval');
    for (const k of verdicts.steady.checks) expect(k).toMatchObject({ delta: 0, delta_lo: 0, delta_hi: 0, moved: false, pairing: 'paired' });

    const md = robustnessMarkdown(report.robustness).join('\n');
    expect(md).toContain(SHORTCUT_RULE);
    expect(md).toMatch(/shifty: \*\*format shortcut\*\* \(auc 0\.\d{3} → 0\.\d{3} under format:jpeg:90, paired Δ -0\.\d{3} \[-0\.\d{3}, -0\.\d{3}\]/);
    const doc = resultsDocument(report) as { formatShortcut: { rule: string; detectors: unknown[] } };
    expect(doc.formatShortcut.rule).toBe(SHORTCUT_RULE);
    expect(doc.formatShortcut.detectors).toEqual(report.robustness.formatShortcut);
  });

  it('without intervals (resamples 0) the verdict is undetermined, never a guess', async () => {
    const { run, config } = knownRun();
    const report = await buildReport({ runDir: run, config, resamples: 0 });
    for (const v of report.robustness.formatShortcut) {
      expect(v.verdict).toBe('undetermined');
      for (const k of v.checks) expect(k).toMatchObject({ moved: null, delta_lo: null, ci_method: 'none' });
    }
  });
});
