import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { ArchiveEvalsetSource, FullReleaseSource, listSamples, openDataSource, readSampleFile, sampleContext, type DataSource, type Sample } from '../../src/loaders/index.js';
import type { ArchiveProblems } from '../../src/loaders/archives.js';
import { DAMAGE, makeReleaseFixture, MISSING_ROW, ORPHAN_MEMBER } from '../../tools/make-release-fixture.js';
import { copyEvalset, predictionsWithoutTiming, startCli, tempDir } from '../helpers.js';

/**
 * The full release's layout (tools/make-release-fixture.ts: real archive names, parts _0/_1, per-model meta
 * CSVs, metadata/edited, both prompt-based layouts, an orphan member, a row without an image), read from its
 * archives and from the same files extracted; --damaged adds a 46-byte LFS stub and a truncated archive.
 */
let release: string;
let extracted: string;
let damaged: string;
beforeAll(() => {
  ({ release, extracted } = makeReleaseFixture(tempDir()));
  ({ release: damaged } = makeReleaseFixture(tempDir(), { damaged: true }));
});

async function collect(source: DataSource): Promise<Map<string, { sample: Sample; bytes?: Buffer; error?: string }>> {
  const out = new Map<string, { sample: Sample; bytes?: Buffer; error?: string }>();
  for await (const sample of source.samples()) {
    expect(out.has(sample.id), sample.id).toBe(false);
    out.set(sample.id, await readSampleFile(sample).then((bytes) => ({ sample, bytes }), (e: Error) => ({ sample, error: e.message })));
  }
  return out;
}

const evalsetRows = parse(readFileSync('fixtures/evalset/metadata.csv'), { columns: true }) as Record<string, string>[];

describe('the full release read in place', () => {
  it('maps the release metadata onto samples: Evalset ids, one real per img_id sharing the pair id of its edits', async () => {
    const source = openDataSource(release);
    expect(source).toBeInstanceOf(FullReleaseSource);
    expect(openDataSource(extracted)).toBeInstanceOf(FullReleaseSource);
    const got = await collect(source);
    // Every image of the bundled eval set, under its Evalset id, with the same bytes, plus the row without one.
    expect([...got.keys()].sort()).toEqual([...evalsetRows.map((r) => r.image_path), MISSING_ROW].sort());
    expect(await source.count!()).toBe(got.size);
    for (const row of evalsetRows) {
      const { sample, bytes } = got.get(row.image_path)!;
      expect(bytes!.equals(readFileSync(join('fixtures/evalset', row.image_path))), row.image_path).toBe(true);
      expect([sample.label, sample.pairId, sample.meta.dataset]).toEqual([row.label === 'real' ? 0 : 1, row.image_id, row.dataset]);
      if (row.label === 'fake') expect([sample.meta.method, sample.meta.model, sample.meta.sem_magnitude, sample.meta.ssim]).toEqual([row.method, row.model, row.sem_magnitude, row.ssim]);
      if (row.method === 'inpainting') expect([sample.meta.mask_id, sample.meta.mask_path, sample.meta.ratio]).toEqual([row.mask_id, row.mask_path, row.area_ratio]);
    }
    expect(got.get(MISSING_ROW)!.error).toMatch(/^not in any of its 2 archives \(ADE20K_StableDiffusion_XL_0\.tar\.bz2 ADE20K_StableDiffusion_XL_1\.tar\.bz2\): /);
    const problems = source.problems as ArchiveProblems;
    expect(problems.orphanMembers).toEqual([{ archive: 'original/images/OpenImages_images_1.tar.bz2', member: ORPHAN_MEMBER }]);
    expect(problems.missingRows.map((m) => [m.id, m.archive])).toEqual([[MISSING_ROW, 'inpainting/ADE20K/StableDiffusion_XL']]);
    expect(problems.failedArchives).toEqual([]);
    // Listing reads no archive and gives the same samples.
    const listed: string[] = [];
    for await (const s of listSamples(source)) listed.push(`${s.id} ${s.label} ${s.pairId} ${s.shardKey}`);
    expect(listed.sort()).toEqual([...got.values()].map(({ sample: s }) => `${s.id} ${s.label} ${s.pairId} ${s.shardKey}`).sort());
  });

  it('the extracted files give the same samples in the same order', async () => {
    const [fromArchives, fromFiles] = await Promise.all([collect(openDataSource(release)), collect(openDataSource(extracted))]);
    expect([...fromFiles.keys()]).toEqual([...fromArchives.keys()]);
    for (const [id, { bytes, sample }] of fromArchives) {
      const file = fromFiles.get(id)!;
      expect(file.sample.meta, id).toEqual(sample.meta);
      if (bytes) expect(file.bytes!.equals(bytes), id).toBe(true);
    }
  });

  it('an LFS stub and a truncated archive are errors naming the file, on the rows it would have held', async () => {
    const source = openDataSource(damaged);
    const got = await collect(source);
    expect(got.size).toBe(evalsetRows.length + 1);
    const stubRows = ['inpainting/OpenImages/instance_001_oi_3a7def_OpenImages_StableDiffusion_XL.png'];
    const truncatedRows = ['original/images/CityScapes/aachen_000002_000019_leftImg8bit.png', 'original/images/CityScapes/aachen_000003_000019_leftImg8bit.png'];
    for (const id of stubRows) {
      expect(got.get(id)!.error).toMatch(/^a Git-LFS pointer \(46 bytes\), not the archive: fetch it .*: /);
      expect(got.get(id)!.error).toContain(resolve(damaged, DAMAGE.stub));
    }
    for (const id of truncatedRows) expect(got.get(id)!.error).toMatch(new RegExp(`^truncated or corrupt \\(.*\\): ${resolve(damaged, DAMAGE.truncated)}:`));
    const failed = [...got].filter(([, g]) => g.error).map(([id]) => id);
    expect(failed.sort()).toEqual([...stubRows, ...truncatedRows, MISSING_ROW].sort());
    const { failedArchives } = source.problems as ArchiveProblems;
    expect(failedArchives.map((f) => [f.archive, f.rows])).toEqual([
      [DAMAGE.stub, stubRows.length],
      [DAMAGE.truncated, truncatedRows.length],
    ]);
    for (const f of failedArchives) expect(f.error).toContain(resolve(damaged, f.archive));
  });

  it('reads Evalset-style column names (image_id, mask_id, model) and names a missing column in one line', async () => {
    const dir = tempDir();
    const meta = join(dir, 'inpainting/ADE20K/StableDiffusion_XL/ADE20K_StableDiffusion_XL_meta.csv');
    execFileSync('mkdir', ['-p', join(dir, 'inpainting/ADE20K/StableDiffusion_XL')]);
    writeFileSync(meta, 'image_id,mask_id,dataset,model\nADE_train_00000001,instance_000_ADE_train_00000001,ADE20K,StableDiffusion_XL\n');
    const rows: string[] = [];
    for await (const s of listSamples(openDataSource(dir))) rows.push(`${s.id} ${s.label} ${s.pairId}`);
    expect(rows).toEqual([
      'inpainting/ADE20K/instance_000_ADE_train_00000001_ADE20K_StableDiffusion_XL.png 1 ADE_train_00000001',
      'original/images/ADE20K/ADE_train_00000001.jpg 0 ADE_train_00000001',
    ]);
    writeFileSync(meta, 'img_id,perturbed_img_id,datset,model\na,b,ADE20K,X\n');
    await expect(openDataSource(dir).count!()).rejects.toThrow(`${meta} is missing the required column 'dataset' (found 'datset': misspelt?)`);
  });

  it('a shard reads only its own archive groups', async () => {
    const source = openDataSource(damaged);
    const mine = source.select!((key) => key === 'original/images/ADE20K');
    const got = await collect(mine);
    expect([...got.keys()]).toEqual(evalsetRows.filter((r) => r.label === 'real' && r.dataset === 'ADE20K').map((r) => r.image_path).sort());
    expect(await mine.count!()).toBe(got.size);
    // The broken archives belong to other groups: this shard never opened them.
    expect(mine.problems).toEqual({ orphanMembers: [], missingRows: [], failedArchives: [] });
  });

  it('masks come from the mask archives (and the extracted mask folders), decoded as the files are', async () => {
    for (const dir of [release, extracted]) {
      const fakes = [...(await collect(openDataSource(dir))).values()].filter((g) => g.sample.meta.method === 'inpainting' && g.bytes);
      expect(fakes.length).toBeGreaterThan(10);
      for (const { sample } of fakes) {
        const mask = await sampleContext(sample).mask!();
        const expected = await decodeImage(readFileSync(join('fixtures/evalset', sample.meta.mask_path)));
        expect(Buffer.from(mask.data).equals(Buffer.from(expected.data)), sample.id).toBe(true);
      }
    }
  });

  it('Evalset rows get their mask from original/masks/{DS}.tar.bz2 when the masks are archived', async () => {
    const dir = copyEvalset();
    execFileSync('tar', ['-C', join(dir, 'original/masks'), '-cjf', join(dir, 'original/masks/ADE20K.tar.bz2'), 'ADE20K']);
    rmSync(join(dir, 'original/masks/ADE20K'), { recursive: true });
    const source = openDataSource(dir) as ArchiveEvalsetSource;
    let checked = 0;
    for await (const sample of source.samples()) {
      if (!sample.meta.mask_path?.startsWith('original/masks/ADE20K/')) continue;
      const mask = await sampleContext(sample).mask!();
      const expected = await decodeImage(readFileSync(join('fixtures/evalset', sample.meta.mask_path)));
      expect(Buffer.from(mask.data).equals(Buffer.from(expected.data)), sample.id).toBe(true);
      checked++;
    }
    expect(checked).toBe(evalsetRows.filter((r) => r.mask_path?.startsWith('original/masks/ADE20K/')).length);
  });
});

const DETECTORS = ['npr-residual', 'spectral-hf'];
const semibench = (args: string[]) => startCli(args).exit;
const run = (data: string, out: string, more: string[] = []) => semibench(['run', '--detector', ...DETECTORS, '--data', data, '--out', out, '--batch-size', '2', ...more]);
/** predictions.csv without `ms`, and without the error text of the row without an image (it names archive or folder). */
const predictionLines = (out: string) => predictionsWithoutTiming(out).map((line) => (line.startsWith(`${MISSING_ROW},`) ? line.replace(/,not in [^,]*,/, ',MISSING,') : line));

describe('semibench run on the full release', () => {
  let reference: string;
  beforeAll(async () => {
    reference = join(tempDir(), 'run');
    const done = await run(release, reference);
    expect(done.code, done.stderr).toBe(1); // the row without an image is an error row
  }, 300_000);

  it('equals a run on the extracted files, and lists in run.json what did not match', async () => {
    const out = join(tempDir(), 'run');
    const done = await run(extracted, out);
    expect(done.code, done.stderr).toBe(1);
    const lines = predictionLines(reference);
    expect(lines.length).toBe(1 + DETECTORS.length * (evalsetRows.length + 1));
    expect(predictionLines(out)).toEqual(lines);
    const problems = JSON.parse(readFileSync(join(reference, 'run.json'), 'utf8')).data.problems;
    expect(problems.orphanMembers).toEqual([{ archive: 'original/images/OpenImages_images_1.tar.bz2', member: ORPHAN_MEMBER }]);
    expect(problems.missingRows.map((m: { id: string }) => m.id)).toEqual([MISSING_ROW]);
    expect(readFileSync(join(out, 'slices/all.csv'), 'utf8')).toBe(readFileSync(join(reference, 'slices/all.csv'), 'utf8'));
  }, 300_000);

  it('3 shards (by archive group) + merge equal one process; a shard rerun after losing rows resumes to the same', async () => {
    const out = join(tempDir(), 'run');
    const shards = await Promise.all(['0/3', '1/3', '2/3'].map((s) => run(release, out, ['--shard', s])));
    for (const s of shards) expect(s.code, s.stderr).toBeLessThanOrEqual(1);
    // Lose the last rows of shard 1 (as a kill would), rerun it: the rest is reused.
    const file = join(out, 'shards/predictions-1-of-3.csv');
    const kept = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, kept.slice(0, Math.ceil(kept.length / 2)).join('\n') + '\n');
    const again = await run(release, out, ['--shard', '1/3']);
    expect(again.code, again.stderr).toBeLessThanOrEqual(1);
    expect(again.stdout).toMatch(/[1-9]\d* reused/);
    const merge = await semibench(['merge', out]);
    expect(merge.code, merge.stderr).toBeLessThanOrEqual(1);
    expect(predictionsWithoutTiming(out)).toEqual(predictionsWithoutTiming(reference));
    expect(readFileSync(join(out, 'slices/all.csv'), 'utf8')).toBe(readFileSync(join(reference, 'slices/all.csv'), 'utf8'));
  }, 600_000);
});
