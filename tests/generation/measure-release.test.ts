import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { METRIC_COLUMNS } from '../../src/generation/columns.js';
import { measure } from '../../src/generation/measure.js';
import { releaseTable } from '../../src/generation/release-table.js';
import { evalsetTable } from '../../src/generation/table.js';
import { DAMAGE, makeReleaseFixture, MISSING_ROW } from '../../tools/make-release-fixture.js';
import { tempDir } from '../helpers.js';
import { measureEvalset, readCsv, writeCsv } from './measure-helpers.js';

const EVALSET = resolve('fixtures/evalset');

/** Metric columns as released, emptied so that every value compared is one measure computed from the images. */
const RELEASED = [...METRIC_COLUMNS, 'localization', 'ratio'] as string[];
function blankMetrics(file: string): void {
  const { columns, rows } = readCsv(file);
  writeCsv(file, columns, rows.map((r) => ({ ...r, ...Object.fromEntries(RELEASED.map((c) => [c, ''])) })));
}

/** The release fixture (archives, and the same extracted) with its released metric values emptied (every metadata CSV). */
function releaseFixture(options: { damaged?: boolean } = {}): { release: string; extracted: string } {
  const made = makeReleaseFixture(tempDir(), options);
  for (const dir of [made.release, made.extracted]) {
    const csvs = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.csv'));
    expect(csvs.length).toBeGreaterThan(5);
    for (const file of csvs) blankMetrics(join(dir, file));
  }
  return made;
}

/** The same edits in Evalset form (the bundled eval set the release fixture is made from), measured. */
async function measuredEvalset(): Promise<Map<string, Record<string, string>>> {
  const dir = tempDir();
  cpSync(EVALSET, dir, { recursive: true });
  blankMetrics(join(dir, 'metadata.csv'));
  await measureEvalset(dir);
  return new Map(readCsv(join(dir, 'metadata.csv')).rows.map((r) => [r.image_path, r]));
}

/** The metric columns of a table: the measured ones and semibench's values beside the released ones. */
function metricColumns(columns: string[]): string[] {
  return columns.filter((c) => (METRIC_COLUMNS as readonly string[]).includes(c) || c === 'localization' || c.endsWith('_measured'));
}

function measureRelease(release: string, out: string, options: { archiveCacheMiB?: number } = {}) {
  return measure({ table: releaseTable(release, out), metricsDir: join(tempDir('semibench-nomodels-'), 'metrics'), noBrisque: true, ...options });
}

describe('semibench measure on the full release read from its archives', () => {
  it('writes OUT/metadata.csv in Evalset form whose metric columns equal a run on the Evalset, whatever the cache size', async () => {
    const { release, extracted } = releaseFixture();
    const want = await measuredEvalset();
    const [small, large] = [join(tempDir(), 'out'), join(tempDir(), 'out')];
    const result = await measureRelease(release, small, { archiveCacheMiB: 0.01 });
    await measureRelease(release, large);
    const { columns, rows } = readCsv(join(small, 'metadata.csv'));
    expect(readFileSync(join(large, 'metadata.csv')).equals(readFileSync(join(small, 'metadata.csv')))).toBe(true);
    const metrics = metricColumns(columns);
    expect(metrics).toEqual(expect.arrayContaining(['post_edit_ratio', 'ssim', 'mse', 'area_ratio', 'cluster_dist', 'localization']));
    const fakes = rows.filter((r) => r.label === 'fake');
    let same = 0;
    for (const row of fakes) {
      if (row.image_path === MISSING_ROW) {
        expect(row.measure_error).toMatch(/^missing_file: edited image \S+: not in inpainting\/ADE20K\/StableDiffusion_XL/);
        continue;
      }
      const evalset = want.get(row.image_path)!;
      expect(metrics.map((c) => row[c]), row.image_path).toEqual(metrics.map((c) => evalset[c]));
      expect(row.measure_error, row.image_path).toBe(evalset.measure_error);
      if (row.mse !== '') same++;
    }
    // Every edit of the Evalset is in the release's table, with its real photo.
    expect(same).toBe([...want.values()].filter((r) => r.label === 'fake' && r.mse !== '').length);
    expect(same).toBeGreaterThan(40);
    expect(rows.filter((r) => r.label === 'real').map((r) => r.image_path).sort()).toEqual([...want.values()].filter((r) => r.label === 'real').map((r) => r.image_path).sort());
    expect(result.pairs).toBe(fakes.length);
    expect(Math.max(...Object.values(result.archives!.passes))).toBeGreaterThan(1);
    expect(result.archives!.failedArchives).toEqual([]);
    // The release extracted where its archives lie (no archives): the same table, but the message of the row no file holds.
    const fromFolders = join(tempDir(), 'out');
    await measureRelease(extracted, fromFolders);
    const folderRows = readCsv(join(fromFolders, 'metadata.csv')).rows;
    expect(folderRows.map((r) => (r.image_path === MISSING_ROW ? { ...r, measure_error: '' } : r))).toEqual(rows.map((r) => (r.image_path === MISSING_ROW ? { ...r, measure_error: '' } : r)));
    expect(folderRows.find((r) => r.image_path === MISSING_ROW)!.measure_error).toMatch(/^missing_file: edited image \S+: /);
    expect(readFileSync(join(fromFolders, 'bins.json'), 'utf8')).toBe(readFileSync(join(small, 'bins.json'), 'utf8'));
    // The release is not written to; a rerun measures nothing and writes the same table.
    const again = await measureRelease(release, large);
    expect([again.measured, again.alreadyMeasured]).toEqual([0, fakes.length]);
    expect(readFileSync(join(large, 'metadata.csv')).equals(readFileSync(join(small, 'metadata.csv')))).toBe(true);
  });

  it('an LFS stub and a truncated archive: the rows they held get one line naming the archive, the others are measured as in the Evalset', async () => {
    const { release } = releaseFixture({ damaged: true });
    const want = await measuredEvalset();
    const out = join(tempDir(), 'out');
    const result = await measureRelease(release, out);
    const { columns, rows } = readCsv(join(out, 'metadata.csv'));
    const metrics = metricColumns(columns);
    const lost: Record<string, number> = { [DAMAGE.stub]: 0, [DAMAGE.truncated]: 0 };
    let same = 0;
    for (const row of rows.filter((r) => r.label === 'fake' && r.image_path !== MISSING_ROW)) {
      const damaged = /^missing_file: (edited|real) image \S+: (\S+): (a Git-LFS pointer|truncated or corrupt)/.exec(row.measure_error);
      if (damaged) {
        expect([DAMAGE.stub, DAMAGE.truncated], row.measure_error).toContain(damaged[2]);
        expect(damaged[1], row.image_path).toBe(damaged[2] === DAMAGE.stub ? 'edited' : 'real');
        expect(row.measure_error).not.toContain('\n');
        expect(row.mse, row.image_path).toBe('');
        lost[damaged[2]]++;
        continue;
      }
      const evalset = want.get(row.image_path)!;
      expect(metrics.map((c) => row[c]), row.image_path).toEqual(metrics.map((c) => evalset[c]));
      if (row.mse !== '') same++;
    }
    expect(lost[DAMAGE.stub]).toBeGreaterThan(0);
    expect(lost[DAMAGE.truncated]).toBeGreaterThan(0);
    expect(same).toBeGreaterThan(20);
    const failed = Object.fromEntries(result.archives!.failedArchives.map((f) => [f.archive, f.rows]));
    expect(failed).toEqual(lost);
    for (const f of result.archives!.failedArchives) expect(f.error).not.toContain('\n');
  });

  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('the CLI: --data RELEASE --out DIR measures into DIR and leaves the release as it was; without --out a one-line hint; --out on an Evalset: refused', async () => {
    const { release } = makeReleaseFixture(tempDir());
    const before = (readdirSync(release, { recursive: true }) as string[]).sort();
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = join(tempDir(), 'measured');
    await main(['measure', '--data', release, '--out', out, '--no-learned', '--no-brisque']);
    expect(process.exitCode ?? 0).toBe(0);
    expect(String(vi.mocked(console.log).mock.calls.at(-1)?.[0])).toMatch(/measure: \d+ rows, 49 pairs/);
    for (const file of ['metadata.csv', 'metadata.orig.csv', 'bins.json', 'measure.json']) expect(existsSync(join(out, file)), file).toBe(true);
    expect((readdirSync(release, { recursive: true }) as string[]).sort()).toEqual(before);
    expect(() => evalsetTable(release)).toThrow(/^No metadata\.csv in .*\. This folder is the full Semi-Truths release, which measure reads into a table of its own: add --out DIR/);
    expect(() => releaseTable(EVALSET, tempDir())).toThrow(/is not the full Semi-Truths release: --out is for it/);
  });
});
