import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { copyEvalset, tempDir } from '../helpers.js';
import { readCsv } from './measure-helpers.js';

/** Slices on the columns measure writes: its category columns, used by `run` as they are. */
const CONFIG = `export default {
  slices: [
    { name: 'method', column: 'method' },
    { name: 'post_edit_ratio_5bin', column: 'post_edit_ratio', bins: 'quantile5', categoryColumn: 'post_edit_ratio_category' },
    { name: 'mse', column: 'mse', bins: 'quantile3', categoryColumn: 'mse_category3' },
    { name: 'area_ratio_5bin', column: 'area_ratio', bins: 'quantile5', categoryColumn: 'area_ratio_category' },
    { name: 'localization', column: 'localization' },
    { name: 'scene_complexity', column: 'scene_complexity_category' },
  ],
  bootstrap: { resamples: 20, seed: 1 },
};
`;

describe('semibench measure, then semibench run', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('a run on a measured copy of the eval set slices by the new columns', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const data = copyEvalset();
    const work = tempDir();
    await main(['measure', '--data', data, '--metrics-dir', join(work, 'no-models'), '--no-brisque']);
    expect(process.exitCode ?? 0).toBe(0);
    expect(String(vi.mocked(console.log).mock.calls.at(-1)?.[0])).toContain('measure: 64 rows, 48 pairs');

    const config = join(work, 'bench.config.mjs');
    writeFileSync(config, CONFIG);
    const out = join(work, 'run');
    await main(['run', '--config', config, '--data', data, '--out', out, '--detector', 'npr-residual']);
    expect(process.exitCode ?? 0).toBe(0);

    const slice = (name: string) => readCsv(join(out, 'slices', `${name}.csv`)).rows.filter((r) => r.detector === 'npr-residual');
    const counts = (name: string) => Object.fromEntries(slice(name).map((r) => [r.value, Number(r.n_fake)]));
    const measured = readCsv(join(data, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    const tally = (column: string) => measured.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r[column]]: (acc[r[column]] ?? 0) + 1 }), {});

    expect(counts('post_edit_ratio_5bin')).toEqual(tally('post_edit_ratio_category'));
    expect(counts('mse')).toEqual({ small: 12, medium: 24, large: 12 });
    expect(counts('localization')).toEqual(tally('localization'));
    // p2p rows have no mask, hence no area_ratio category.
    const area = counts('area_ratio_5bin');
    expect(Object.keys(area).filter((v) => /^bin[1-5]$/.test(v)).reduce((s, v) => s + area[v], 0)).toBe(32);
    expect(JSON.parse(readFileSync(join(data, 'bins.json'), 'utf8')).columns.area_ratio.values).toBe(32);
  });
});
