import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAMAGE, makeEvalsetArchives } from '../../tools/make-evalset-archives.js';
import { tempDir } from '../helpers.js';
import { measureEvalset, readCsv } from './measure-helpers.js';

/** measure.json without what names the folder or the time. */
function summary(dir: string): Record<string, unknown> {
  const { files, wallMs, archives, ...rest } = JSON.parse(readFileSync(join(dir, 'measure.json'), 'utf8'));
  return { ...rest, file: undefined };
}

describe('semibench measure on an Evalset read from its .tar.bz2 archives', () => {
  it('writes the table, bins.json and measure.json of a run on the extracted files, byte for byte, whatever the cache size', async () => {
    const { archived, extracted } = makeEvalsetArchives(tempDir());
    const { archived: second } = makeEvalsetArchives(tempDir());
    const metricsDir = join(tempDir(), 'no-models');
    const fromFiles = await measureEvalset(extracted, { metricsDir });
    // 10 KiB: one original at a time, so every edit archive is read once per original; default: all at once.
    const small = await measureEvalset(archived, { metricsDir, archiveCacheMiB: 0.01 });
    const large = await measureEvalset(second, { metricsDir });
    expect(fromFiles.measured).toBeGreaterThan(40);
    for (const dir of [archived, second]) {
      expect(readFileSync(join(dir, 'metadata.csv')).equals(readFileSync(join(extracted, 'metadata.csv')))).toBe(true);
      expect(readFileSync(join(dir, 'bins.json'), 'utf8')).toBe(readFileSync(join(extracted, 'bins.json'), 'utf8'));
      expect(summary(dir)).toEqual(summary(extracted));
    }
    expect(small.archives!.passes['original/images/ADE20K.tar.bz2']).toBeGreaterThan(1);
    expect(large.archives!.passes).toEqual({
      'original/images/ADE20K.tar.bz2': 1,
      'original/images/CelebAHQ.tar.bz2': 1,
      'original/images/CityScapes.tar.bz2': 1,
      'original/images/OpenImages.tar.bz2': 1,
    });
    expect(large.archives!.failedArchives).toEqual([]);
    // A rerun measures nothing (resume reads no archive for pairs already in the log).
    const again = await measureEvalset(second, { metricsDir });
    expect([again.measured, again.alreadyMeasured]).toEqual([0, large.measured]);
    expect(readFileSync(join(second, 'metadata.csv')).equals(readFileSync(join(extracted, 'metadata.csv')))).toBe(true);
  });

  it('an LFS stub and a truncated archive: the rows they held get one line naming the archive, the others are measured as from files', async () => {
    const { archived, extracted } = makeEvalsetArchives(tempDir(), { damaged: true });
    await measureEvalset(extracted);
    const result = await measureEvalset(archived);
    const got = new Map(readCsv(join(archived, 'metadata.csv')).rows.map((r) => [r.image_path, r]));
    const want = readCsv(join(extracted, 'metadata.csv')).rows;
    const { stub, truncated } = DAMAGE.restructured;
    const lostByStub = want.filter((r) => r.image_path.startsWith('p2p/CelebAHQ/'));
    const lostByCut = want.filter((r) => r.label === 'fake' && r.dataset === 'CityScapes');
    expect(lostByStub.length).toBeGreaterThan(0);
    expect(lostByCut.length).toBeGreaterThan(0);
    const metrics = ['post_edit_ratio', 'ssim', 'mse', 'largest_component_size', 'cc_clusters', 'cluster_dist', 'area_ratio'];
    let same = 0;
    for (const row of want) {
      const mine = got.get(row.image_path)!;
      if (lostByStub.includes(row)) {
        expect(mine.measure_error).toMatch(new RegExp(`^missing_file: edited image ${row.image_path}: ${stub}: a Git-LFS pointer \\(46 bytes\\), not the archive`));
        expect(mine.pass_qc).toBe('0');
      } else if (lostByCut.includes(row)) {
        // The originals archive was cut: each of its pairs whose real image was lost names it.
        if (mine.measure_error) expect(mine.measure_error).toMatch(new RegExp(`^missing_file: real image \\S+: ${truncated}: truncated or corrupt \\(`));
        else expect(metrics.map((c) => mine[c]), row.image_path).toEqual(metrics.map((c) => row[c]));
      } else if (row.label === 'fake') {
        expect(metrics.map((c) => mine[c]), row.image_path).toEqual(metrics.map((c) => row[c]));
        expect(mine.measure_error).toBe(row.measure_error);
        same++;
      }
    }
    expect(same).toBeGreaterThan(20);
    const failed = Object.fromEntries(result.archives!.failedArchives.map((f) => [f.error.slice(f.error.indexOf(archived) + archived.length + 1).split(':')[0], f.rows]));
    expect(failed[stub]).toBe(lostByStub.length);
    expect(failed[truncated]).toBe(lostByCut.filter((r) => got.get(r.image_path)!.measure_error.includes(truncated)).length);
    expect(failed[truncated]).toBeGreaterThan(0);
    expect(result.problems.missing_file).toBe(lostByStub.length + failed[truncated]);
  });

  it('the first Evalset version (semi_truths_10p_{k} parts, metadata.csv beside them): the run on the extracted files, byte for byte; no metadata.csv: a one-line hint', async () => {
    const { archived, extracted } = makeEvalsetArchives(tempDir(), { layout: '10p', metadataBeside: true });
    const metricsDir = join(tempDir(), 'no-models');
    await measureEvalset(extracted, { metricsDir });
    const result = await measureEvalset(archived, { metricsDir, archiveCacheMiB: 0.05 });
    expect(readFileSync(join(archived, 'metadata.csv')).equals(readFileSync(join(extracted, 'metadata.csv')))).toBe(true);
    expect(readFileSync(join(archived, 'bins.json'), 'utf8')).toBe(readFileSync(join(extracted, 'bins.json'), 'utf8'));
    expect(summary(archived)).toEqual(summary(extracted));
    expect(result.archives!.archives).toEqual(['semi_truths_10p_0.tar.bz2', 'semi_truths_10p_1.tar.bz2', 'semi_truths_10p_2.tar.bz2']);
    expect(Object.values(result.archives!.passes)[0]).toBeGreaterThan(1);
    // Its metadata only inside a part: measure says how to put it beside them.
    const release = tempDir();
    mkdirSync(join(release, 'metadata/edited'), { recursive: true });
    expect(() => measureEvalset(release)).toThrow(/^No metadata\.csv in .*\. This folder is the full Semi-Truths release, which measure reads into a table of its own: add --out DIR/);
    const { archived: inside } = makeEvalsetArchives(tempDir(), { layout: '10p' });
    expect(() => measureEvalset(inside)).toThrow(/^No metadata\.csv in .*: measure --data needs DIR\/metadata\.csv\. The first Evalset version keeps it inside a part/);
  });

  it('the first Evalset version with a truncated part: the rows it held name it, the others are measured', async () => {
    const { archived } = makeEvalsetArchives(tempDir(), { layout: '10p', metadataBeside: true, damaged: true });
    const result = await measureEvalset(archived);
    const rows = readCsv(join(archived, 'metadata.csv')).rows.filter((r) => r.label === 'fake');
    const part = DAMAGE['10p'].truncated;
    const lost = rows.filter((r) => r.measure_error);
    expect(lost.length).toBeGreaterThan(0);
    for (const r of lost) {
      expect(r.image_path.startsWith('p2p/'), r.image_path).toBe(true);
      expect(r.measure_error).toMatch(new RegExp(`^missing_file: edited image ${r.image_path}: ${part}: truncated or corrupt \\(`));
    }
    expect(rows.filter((r) => r.image_path.startsWith('inpainting/')).every((r) => r.mse !== '' && !r.measure_error)).toBe(true);
    expect(result.archives!.failedArchives.map((f) => [f.archive, f.rows])).toEqual([[part, lost.length]]);
  });
});
