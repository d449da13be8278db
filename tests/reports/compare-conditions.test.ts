import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { compareConditions, compareMarkdown, compareRuns } from '../../src/reports/compare.js';
import { runDetectors } from '../../src/runner/run.js';
import { FIXTURE_EVALSET, removeTempDirs, tempDir, testConfig } from '../helpers.js';

afterAll(removeTempDirs);

/** A real run on the bundled eval set: the two built-in detectors, clean and re-saved as JPEG 75. */
let run: string;
const config = testConfig({ conditions: ['jpeg:75'], bootstrap: { resamples: 200, seed: 5 } });
beforeAll(async () => {
  run = (await runDetectors(config)).outDir;
}, 120_000);

/** A run folder holding one condition's rows of `run`, relabelled as the clean run. */
function oneCondition(condition: string): string {
  const [header, ...lines] = readFileSync(join(run, 'predictions.csv'), 'utf8').trimEnd().split('\n');
  const dir = join(tempDir(), 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'predictions.csv'), `${[header, ...lines.filter((l) => l.endsWith(`,${condition}`)).map((l) => l.replace(/,[^,]*$/, ',none'))].join('\n')}\n`);
  return dir;
}

describe('compare two conditions of one run', () => {
  it('pairs each detector with itself under the other condition, and equals compare of two runs holding one condition each', async () => {
    const c = await compareConditions({ run, conditions: ['none', 'jpeg:75'], config, slices: ['dataset'] });
    expect(c.conditions).toEqual(['none', 'jpeg:75']);
    expect(c.pairs).toEqual([['npr-residual', 'npr-residual@jpeg:75'], ['spectral-hf', 'spectral-hf@jpeg:75']]);
    expect(c.rows.length).toBeGreaterThan(0);
    expect(c.rows.every((r) => r.pairing === 'paired' && r.n_a === r.n_b)).toBe(true);
    const auc = c.rows.find((r) => r.detector_a === 'npr-residual' && r.slice === 'all' && r.metric === 'auc')!;
    expect(auc.delta).toBeCloseTo(auc.b! - auc.a!, 12);
    expect(auc.ci_method).toBe('bootstrap');
    expect(auc.delta_lo!).toBeLessThanOrEqual(auc.delta!);
    expect(auc.delta_hi!).toBeGreaterThanOrEqual(auc.delta!);

    // the same numbers as `compare A B` on two folders that hold the clean rows and the JPEG rows
    const runs = await compareRuns({ runA: oneCondition('none'), runB: oneCondition('jpeg:75'), config, dataDir: FIXTURE_EVALSET, slices: ['dataset'] });
    expect(runs.rows.map((r) => ({ ...r, detector_b: `${r.detector_b}@jpeg:75` }))).toEqual(c.rows);

    const md = compareMarkdown(c);
    expect(md).toContain('A: condition `none`');
    expect(md).toContain('B: condition `jpeg:75` (the same images: every difference is paired)');
  });

  it('a condition against itself differs by exactly 0, interval [0, 0]', async () => {
    const c = await compareConditions({ run, conditions: ['jpeg:75', 'jpeg:75'], config, slices: [] });
    for (const r of c.rows.filter((x) => x.a !== null)) expect(r).toMatchObject({ delta: 0, delta_lo: 0, delta_hi: 0, significant: '' });
  });

  it('semibench compare RUN --conditions A,B writes RUN/compare-A-vs-B.csv; a condition not in the run is one line', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    await main(['compare', run, '--conditions', 'none,jpeg:75', '--slices', 'dataset', '--resamples', '50']);
    expect(out.join('\n')).toContain('## npr-residual');
    const rows = parse(readFileSync(join(run, 'compare-none-vs-jpeg_75.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(new Set(rows.map((r) => `${r.detector_a} ${r.detector_b}`))).toEqual(new Set(['npr-residual npr-residual@jpeg:75', 'spectral-hf spectral-hf@jpeg:75']));
    vi.restoreAllMocks();

    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((s: string) => void errors.push(s));
    await main(['compare', run, '--conditions', 'none,webp:80']);
    expect(process.exitCode).toBe(2);
    process.exitCode = 0;
    expect(errors.join('\n')).toContain(`has no predictions under condition 'webp:80' (it has: none, jpeg:75)`);
    vi.restoreAllMocks();
  });
});
