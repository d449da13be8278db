import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { ArchiveEvalsetSource, FullReleaseSource, imageKey, listSamples, openDataSource, sampleContext } from '../../src/loaders/index.js';
import { findArchives, type ArchiveProblems } from '../../src/loaders/archives.js';
import { DAMAGE, makeReleaseFixture, MISSING_ROW, ORPHAN_MEMBER } from '../../tools/make-release-fixture.js';
import { collectSamples, copyEvalset, predictionsWithoutTiming, startCli, tempDir } from '../helpers.js';

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

const evalsetRows = parse(readFileSync('fixtures/evalset/metadata.csv'), { columns: true }) as Record<string, string>[];

describe('the full release read in place', () => {
  it('maps the release metadata onto samples: Evalset ids, one real per img_id sharing the pair id of its edits', async () => {
    const source = openDataSource(release);
    expect(source).toBeInstanceOf(FullReleaseSource);
    expect(openDataSource(extracted)).toBeInstanceOf(FullReleaseSource);
    const got = await collectSamples(source);
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
    const [fromArchives, fromFiles] = await Promise.all([collectSamples(openDataSource(release)), collectSamples(openDataSource(extracted))]);
    expect([...fromFiles.keys()]).toEqual([...fromArchives.keys()]);
    for (const [id, { bytes, sample }] of fromArchives) {
      const file = fromFiles.get(id)!;
      expect(file.sample.meta, id).toEqual(sample.meta);
      if (bytes) expect(file.bytes!.equals(bytes), id).toBe(true);
    }
  });

  it('an LFS stub and a truncated archive are errors naming the file, on the rows it would have held', async () => {
    const source = openDataSource(damaged);
    const got = await collectSamples(source);
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
    const got = await collectSamples(mine);
    expect([...got.keys()]).toEqual(evalsetRows.filter((r) => r.label === 'real' && r.dataset === 'ADE20K').map((r) => r.image_path).sort());
    expect(await mine.count!()).toBe(got.size);
    // The broken archives belong to other groups: this shard never opened them.
    expect(mine.problems).toEqual({ orphanMembers: [], missingRows: [], failedArchives: [] });
  });

  it('masks come from the mask archives (and the extracted mask folders), decoded as the files are', async () => {
    for (const dir of [release, extracted]) {
      const fakes = [...(await collectSamples(openDataSource(dir))).values()].filter((g) => g.sample.meta.method === 'inpainting' && g.bytes);
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
    // The release's columns, mapped onto the Evalset's, give the paper's slices (not only all and dataset).
    const slices = readdirSync(join(reference, 'slices'));
    for (const name of ['method', 'model', 'method_x_model', 'sem_magnitude', 'area_ratio', 'ssim', 'mse', 'post_edit_ratio', 'lpips_paper', 'dreamsim_paper']) expect(slices).toContain(`${name}.csv`);
    expect(readdirSync(join(out, 'slices')).sort()).toEqual(slices.sort());
    for (const file of slices) expect(readFileSync(join(out, 'slices', file), 'utf8'), file).toBe(readFileSync(join(reference, 'slices', file), 'utf8'));
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
    expect(merge.stdout).toContain('1 row without an image, 1 archive member without a row');
    expect(predictionsWithoutTiming(out)).toEqual(predictionsWithoutTiming(reference));
    expect(readFileSync(join(out, 'slices/all.csv'), 'utf8')).toBe(readFileSync(join(reference, 'slices/all.csv'), 'utf8'));
    // What did not match is listed whichever shard found it (the orphan and the missing row are in different groups).
    const problems = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).data.problems;
    expect(problems(out)).toEqual(problems(reference));
  }, 600_000);
});

describe('resuming a run over archives', () => {
  it('a resumed run skips the archive groups it scored (nothing decompressed); a touched archive is read again, an altered one rescored', async () => {
    const { release: data } = makeReleaseFixture(tempDir());
    const out = join(tempDir(), 'run');
    // A bzip2 first on PATH that logs the sha256 of each archive it decodes (given on stdin), then decodes it with the system's.
    const bin = tempDir();
    const log = join(bin, 'decoded.log');
    const real = execFileSync('sh', ['-c', 'command -v bzip2'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'bzip2'), `#!/bin/sh\ntmp=$(mktemp)\ncat > "$tmp"\nsha256sum "$tmp" | cut -c1-64 >> '${log}'\n'${real}' "$@" < "$tmp"\nrc=$?\nrm -f "$tmp"\nexit $rc\n`);
    chmodSync(join(bin, 'bzip2'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}`, SEMIBENCH_BZIP2: 'bzip2' };
    const resume = async (detectors = [DETECTORS[0]]) => {
      writeFileSync(log, '');
      const done = await startCli(['run', '--detector', ...detectors, '--data', data, '--out', out, '--batch-size', '2'], { env }).exit;
      expect(done.code, done.stderr).toBeLessThanOrEqual(1); // 1: the row without an image, when scored in this run
      const archiveOf = new Map(findArchives(data).map((a) => [createHash('sha256').update(readFileSync(join(data, a))).digest('hex'), a]));
      const decoded = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((sha) => archiveOf.get(sha) ?? sha);
      return { decoded: decoded.sort(), stdout: done.stdout, predictions: readFileSync(join(out, 'predictions.csv'), 'utf8') };
    };
    const problems = () => JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).data.problems;
    const first = await resume(DETECTORS);
    expect(first.decoded.length).toBeGreaterThan(20);
    const firstProblems = problems();

    // Nothing changed: no archive is decompressed, the rows are the same bytes, run.json lists the same problems.
    const again = await resume();
    expect(again.decoded).toEqual([]);
    expect(again.stdout).toMatch(new RegExp(`${evalsetRows.length + 1} reused`));
    expect(again.stdout).not.toMatch(/rescored/);
    expect(again.predictions).toBe(first.predictions);
    expect(problems()).toEqual(firstProblems);

    // A touched archive (new mtime, same bytes): its group is read again (both parts), and its rows still reused.
    const group = 'inpainting/ADE20K/StableDiffusion_XL';
    utimesSync(join(data, group, 'ADE20K_StableDiffusion_XL_1.tar.bz2'), new Date(), new Date(Date.now() + 5000));
    const touched = await resume();
    expect(touched.decoded).toEqual([`${group}/ADE20K_StableDiffusion_XL_0.tar.bz2`, `${group}/ADE20K_StableDiffusion_XL_1.tar.bz2`]);
    expect(touched.predictions).toBe(first.predictions);
    expect((await resume()).decoded).toEqual([]); // and recorded again

    // An altered archive (two members' bytes swapped): read again, its two rows rescored with their new image keys.
    const archive = 'original/images/ADE20K_images_0.tar.bz2';
    const unpacked = tempDir();
    execFileSync('tar', ['-C', unpacked, '-xjf', join(data, archive)]);
    const members = readdirSync(join(unpacked, 'ADE20K')).sort();
    expect(members.length).toBe(2);
    const [a, b] = members.map((m) => join(unpacked, 'ADE20K', m));
    renameSync(a, `${a}.swap`);
    renameSync(b, a);
    renameSync(`${a}.swap`, b);
    execFileSync('tar', ['-C', unpacked, '-cjf', join(data, archive), ...members.map((m) => `ADE20K/${m}`)]);
    const altered = await resume();
    expect(altered.decoded).toEqual(['original/images/ADE20K_images_0.tar.bz2', 'original/images/ADE20K_images_1.tar.bz2']);
    expect(altered.stdout).toMatch(/rescored: 2 image changed/);
    const rows = parse(altered.predictions, { columns: true }) as Record<string, string>[];
    for (const m of members) {
      const row = rows.find((r) => r.sample_id === `original/images/ADE20K/${m}`)!;
      expect(row.cache_key).toBe(imageKey(readFileSync(join(unpacked, 'ADE20K', m))));
    }
    const unaltered = (csv: string) => (parse(csv, { columns: true }) as Record<string, string>[]).filter((r) => !(r.sample_id.startsWith('original/images/ADE20K/') && r.detector === DETECTORS[0]));
    expect(unaltered(altered.predictions)).toEqual(unaltered(first.predictions));

    // The archive is as the ledger last recorded it, but the other detector's rows were scored from the old bytes:
    // its pass reads the group again (their cache_key is not the members'), and rescores them.
    const both = await resume(DETECTORS);
    expect(both.decoded).toEqual(['original/images/ADE20K_images_0.tar.bz2', 'original/images/ADE20K_images_1.tar.bz2']);
    expect(both.stdout).toMatch(new RegExp(`${DETECTORS[0]} +ok 0, errors 0, ${evalsetRows.length + 1} reused(?!, rescored)`));
    expect(both.stdout).toMatch(new RegExp(`${DETECTORS[1]} +ok 2, errors 0, ${evalsetRows.length - 1} reused, rescored: 2 image changed`));
    for (const m of members) {
      const key = imageKey(readFileSync(join(unpacked, 'ADE20K', m)));
      const keys = (parse(both.predictions, { columns: true }) as Record<string, string>[]).filter((r) => r.sample_id === `original/images/ADE20K/${m}`).map((r) => r.cache_key);
      expect(keys).toEqual([key, key]);
    }
  }, 600_000);
});
