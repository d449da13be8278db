import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { compareMarkdown, compareRuns, SIGNIFICANCE_MIN_N, type CompareRow } from '../../src/reports/compare.js';
import { uniform } from '../../src/util/random.js';
import { tempDir } from '../helpers.js';
import { tinyPredictions, tinyRun, TINY_SLICES } from './tiny-run.js';

/** Run B: every fake of `det` scored 0.99, reals unchanged; `det2` dropped. */
function boostedRun(): string {
  const lines = tinyPredictions()
    .trim()
    .split('\n')
    .filter((l) => !l.includes(',det2,'))
    .map((l) => (l.startsWith('fake/') ? l.replace(/,det,[^,]*,/, ',det,0.99,') : l));
  return `${lines.join('\n')}\n`;
}

function find(rows: CompareRow[], slice: string, value: string, metric: string): CompareRow {
  const r = rows.find((x) => x.slice === slice && x.value === value && x.metric === metric);
  if (!r) throw new Error(`no ${slice}/${value}/${metric}`);
  return r;
}

describe('compare', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports B − A per slice value and metric, paired on the shared source images', async () => {
    const a = tinyRun();
    const b = tinyRun({ predictions: boostedRun() });
    // same eval set for both: B's run folder points at A's data
    const c = await compareRuns({ runA: a.run, runB: b.run, config: a.config, dataDir: a.data, resamples: 200 });
    expect(c.pairs).toEqual([['det', 'det']]);
    const recall = find(c.rows, 'all', 'all', 'recall_fake');
    expect([recall.a, recall.b]).toEqual([4 / 6, 1]);
    expect(recall.delta).toBeCloseTo(1 / 3, 12);
    expect(recall.pairing).toBe('paired');
    expect(recall.shared_images).toBe(4);
    const pauc = find(c.rows, 'method', 'inpainting', 'paired_auc');
    expect(pauc.delta).toBeCloseTo(1 - 12.5 / 16, 12);
    expect(pauc.kind).toBe('fake-only');
    // fake-only slices compare only what they report
    expect(c.rows.filter((r) => r.slice === 'method').map((r) => r.metric)).not.toContain('auc');
    // each interval holds its delta; '*' exactly when it excludes 0 on SIGNIFICANCE_MIN_N rows a side or more
    let small = 0;
    for (const r of c.rows) {
      if (r.delta_lo === null) continue;
      expect(r.delta_lo).toBeLessThanOrEqual(r.delta! + 1e-12);
      expect(r.delta_hi).toBeGreaterThanOrEqual(r.delta! - 1e-12);
      const excludes = r.delta_lo > 0 || r.delta_hi! < 0;
      const enough = Math.min(r.n_a, r.n_b) >= SIGNIFICANCE_MIN_N;
      expect(r.significant).toBe(excludes && enough ? '*' : '');
      if (excludes && !enough) {
        small++;
        expect(r.reason).toBe(`interval excludes 0, but fewer than ${SIGNIFICANCE_MIN_N} rows on a side: not marked significant`);
      }
    }
    expect(small).toBeGreaterThan(0);
    expect(compareMarkdown(c)).toContain('| method | inpainting | paired |');
    expect(compareMarkdown(c)).toContain(`both sides have at least ${SIGNIFICANCE_MIN_N} rows`);
    // B dropped det2: said, not silently skipped
    expect([c.onlyA, c.onlyB]).toEqual([['det2'], []]);
    expect(compareMarkdown(c)).toContain('Not compared (in one run only): det2 (A).');
  });

  it('names both threshold policies when they differ, and the protocol of each side', async () => {
    const a = tinyRun();
    const b = tinyRun({ predictions: boostedRun() });
    writeFileSync(join(a.run, 'run.json'), JSON.stringify({ config: { data: a.data, threshold: '0.5', protocol: 'native' } }));
    writeFileSync(join(b.run, 'run.json'), JSON.stringify({ config: { data: a.data, threshold: 'fpr@0.25', protocol: 'semitruths' } }));
    const c = await compareRuns({ runA: a.run, runB: b.run, config: a.config, resamples: 0 });
    const md = compareMarkdown(c);
    expect([c.a.thresholdPolicy, c.b.thresholdPolicy]).toEqual(['0.5', 'fpr@0.25']);
    expect(md).toContain('The threshold policies differ (A `0.5`, B `fpr@0.25`)');
    expect(md).toMatch(/^A: .* \(protocol `native`; threshold policy `0.5`\)$/m);
    expect(md).toMatch(/^B: .* \(protocol `semitruths`; threshold policy `fpr@0.25`\)$/m);
    expect(md).toContain('Threshold policies A `0.5`, B `fpr@0.25`: A 0.5, B ');
    expect(md).toContain('Protocol: A native, B semitruths.');
  });

  it('an identical run gives zero deltas and nothing marked', async () => {
    const a = tinyRun();
    const c = await compareRuns({ runA: a.run, runB: a.run, config: a.config, resamples: 100 });
    for (const r of c.rows.filter((x) => x.delta !== null)) {
      expect(r.delta).toBe(0);
      expect(r.significant).toBe('');
    }
  });

  it('marks a difference whose interval excludes zero, by bootstrap and by the normal approximation', async () => {
    const root = tempDir();
    const next = uniform(4);
    const meta = ['image_id,image_path,dataset,label'];
    const pa = ['sample_id,detector,score,label,status,error,ms,cache_key'];
    const pb = [...pa];
    for (let i = 0; i < 150; i++) {
      meta.push(`i${i},r${i}.jpg,D,real`, `i${i},f${i}.png,D,fake`);
      const real = next() * 0.5;
      pa.push(`r${i}.jpg,det,${real},0,ok,,1,`, `f${i}.png,det,${next() * 0.6},1,ok,,1,`);
      pb.push(`r${i}.jpg,det,${real},0,ok,,1,`, `f${i}.png,det,${0.4 + next() * 0.6},1,ok,,1,`);
    }
    for (const [dir, preds] of [['a', pa], ['b', pb]] as const) {
      mkdirSync(join(root, dir));
      writeFileSync(join(root, dir, 'predictions.csv'), `${preds.join('\n')}\n`);
    }
    mkdirSync(join(root, 'data'));
    writeFileSync(join(root, 'data', 'metadata.csv'), `${meta.join('\n')}\n`);
    const base = tinyRun().config;
    for (const ciBudget of [Infinity, 0]) {
      const c = await compareRuns({ runA: join(root, 'a'), runB: join(root, 'b'), config: { ...base, slices: [] }, dataDir: join(root, 'data'), resamples: 500, ciBudget });
      const auc = find(c.rows, 'all', 'all', 'auc');
      expect(auc.ci_method).toBe(ciBudget ? 'bootstrap' : 'normal');
      expect(auc.delta!).toBeGreaterThan(0.2);
      expect(auc.significant).toBe('*');
      expect(find(c.rows, 'all', 'all', 'specificity_real').significant).toBe('');
    }
  });

  it('runs on different eval sets are compared as independent samples; one detector each is paired by position', async () => {
    const only = (name: string) => tinyPredictions().split('\n').filter((l) => !l.includes(',det2,')).join('\n').replaceAll(',det,', `,${name},`);
    const a = tinyRun({ predictions: only('det') });
    const b = tinyRun({ predictions: only('other') });
    // B's eval set: the same rows under other image ids, so no source image is shared
    writeFileSync(join(b.data, 'metadata.csv'), readFileSync(join(a.data, 'metadata.csv'), 'utf8').replace(/^([A-D]),/gm, 'Z$1,'));
    writeFileSync(join(a.run, 'run.json'), JSON.stringify({ config: { data: a.data } }));
    writeFileSync(join(b.run, 'run.json'), JSON.stringify({ config: { data: b.data } }));
    const c = await compareRuns({ runA: a.run, runB: b.run, config: { ...a.config, slices: [] }, resamples: 50 });
    expect(c.pairs).toEqual([['det', 'other']]);
    const recall = find(c.rows, 'all', 'all', 'recall_fake');
    expect([recall.pairing, recall.shared_images, recall.delta]).toEqual(['independent', 0, 0]);

    const two = tinyRun();
    await expect(compareRuns({ runA: two.run, runB: b.run, config: two.config, resamples: 0 })).rejects.toThrow(/share no detector/);
  });

  it('semibench compare A B writes compare.csv and prints the marked table', async () => {
    const a = tinyRun();
    const b = tinyRun({ predictions: boostedRun() });
    writeFileSync(join(b.run, 'run.json'), JSON.stringify({ config: { data: a.data } }));
    writeFileSync(join(a.run, 'run.json'), JSON.stringify({ config: { data: a.data } }));
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    await main(['compare', a.run, b.run, '--slices', 'method', '--resamples', '100']);
    expect(out.join('\n')).toContain('# semibench compare: B − A');
    const rows = parse(readFileSync(join(b.run, 'compare.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual(['detector_a', 'detector_b', 'slice', 'value', 'kind', 'metric', 'a', 'b', 'delta', 'delta_lo', 'delta_hi', 'significant', 'ci_method', 'pairing', 'shared_images', 'n_a', 'n_b', 'reason']);
    expect(new Set(rows.map((r) => r.slice))).toEqual(new Set(['all', 'method']));
  });
});
