import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArchiveEvalsetSource, availableDecoders, EvalsetSource, openDataSource, readSampleFile, type Sample } from '../../src/loaders/index.js';
import { appendMetadata, copyEvalset, tempDir } from '../helpers.js';

const DATASETS = ['ADE20K', 'CelebAHQ', 'CityScapes', 'OpenImages'];
const STUB = 'p2p/CelebAHQ.tar.bz2';
const TRUNCATED = 'inpainting/CityScapes.tar.bz2';
const CORRUPT = 'inpainting/OpenImages.tar.bz2';
const ORPHAN = 'original/images/OpenImages/oi_orphan.jpg';
const NO_MEMBER = 'original/images/OpenImages/oi_missing.jpg';

/**
 * A release-shaped folder made with the system tar and bzip2 from the bundled eval set, plus `extracted`: the
 * same files unpacked (with the orphan image and the row without a file), to compare against.
 */
function makeRelease(): { release: string; extracted: string } {
  const extracted = copyEvalset();
  appendMetadata(extracted, [['oi_missing', NO_MEMBER, 'OpenImages', '', '', 'real']]);
  copyFileSync(join(extracted, 'original/images/OpenImages/oi_3a5f00.jpg'), join(extracted, ORPHAN));
  const release = join(tempDir(), 'release');
  for (const folder of ['original/images', 'inpainting', 'p2p']) mkdirSync(join(release, folder), { recursive: true });
  copyFileSync(join(extracted, 'metadata.csv'), join(release, 'metadata.csv'));
  const tarBz2 = (archive: string, cwd: string, member: string, level = '-9') => {
    const tar = execFileSync('tar', ['-C', cwd, '-cf', '-', member], { maxBuffer: 1 << 28 });
    writeFileSync(join(release, archive), execFileSync('bzip2', [level, '-c'], { input: tar, maxBuffer: 1 << 28 }));
  };
  for (const ds of DATASETS) {
    // Members as the archives carry them: `ADE20K/x.jpg`, `./x.jpg` (no folder), `inpainting/ADE20K/x.png`.
    if (ds === 'CelebAHQ') tarBz2(`original/images/${ds}.tar.bz2`, join(extracted, 'original/images', ds), '.');
    else tarBz2(`original/images/${ds}.tar.bz2`, join(extracted, 'original/images'), ds);
    if (ds === 'ADE20K') tarBz2(`inpainting/${ds}.tar.bz2`, extracted, `inpainting/${ds}`);
    else tarBz2(`inpainting/${ds}.tar.bz2`, join(extracted, 'inpainting'), ds, ds === 'ADE20K' ? '-9' : '-1');
    tarBz2(`p2p/${ds}.tar.bz2`, join(extracted, 'p2p'), ds);
  }
  // A download cut short: 100 k blocks (-1), so the first members still decode.
  truncateSync(join(release, TRUNCATED), Math.floor(statSync(join(release, TRUNCATED)).size * 0.6));
  // One flipped bit in the middle: a block fails its CRC.
  const corrupt = readFileSync(join(release, CORRUPT));
  corrupt[corrupt.length >> 1] ^= 0x10;
  writeFileSync(join(release, CORRUPT), corrupt);
  // The release holds 46-byte LFS objects in place of some archives.
  writeFileSync(join(release, STUB), 'version https://git-lfs.github.com/spec/v1\noid sha256:'.slice(0, 46));
  return { release, extracted };
}

async function collect(source: { samples(): AsyncIterable<Sample> }): Promise<Map<string, { bytes?: Buffer; error?: string }>> {
  const out = new Map<string, { bytes?: Buffer; error?: string }>();
  for await (const s of source.samples()) {
    expect(out.has(s.id), s.id).toBe(false);
    out.set(s.id, await readSampleFile(s).then((bytes) => ({ bytes }), (e: Error) => ({ error: e.message })));
  }
  return out;
}

let release: string;
let extracted: string;
beforeAll(() => ({ release, extracted } = makeRelease()));

describe('Evalset read from its .tar.bz2 archives', () => {
  it('openDataSource picks the archive loader beside archives, the file loader beside extracted folders', () => {
    expect(openDataSource(release)).toBeInstanceOf(ArchiveEvalsetSource);
    expect(openDataSource(extracted)).toBeInstanceOf(EvalsetSource);
  });

  for (const decoder of availableDecoders()) {
    it(`yields every row once, with the extracted bytes, and names what failed (${decoder} decoder)`, async () => {
      const source = new ArchiveEvalsetSource(release, undefined, decoder);
      const rows = parse(readFileSync(join(release, 'metadata.csv')), { columns: true }) as Record<string, string>[];
      expect(await source.count()).toBe(rows.length);
      const got = await collect(source);
      expect([...got.keys()].sort()).toEqual(rows.map((r) => r.image_path).sort());

      const stubRows = rows.filter((r) => r.image_path.startsWith('p2p/CelebAHQ/')).map((r) => r.image_path);
      const truncatedRows = rows.filter((r) => r.image_path.startsWith('inpainting/CityScapes/')).map((r) => r.image_path);
      const corruptRows = rows.filter((r) => r.image_path.startsWith('inpainting/OpenImages/')).map((r) => r.image_path);
      expect(stubRows.length).toBeGreaterThan(0);
      for (const [id, { bytes, error }] of got) {
        if (stubRows.includes(id)) {
          expect(error).toMatch(/^a Git-LFS pointer \(46 bytes\), not the archive: fetch it .*: /);
          expect(error).toContain(`${resolve(release, STUB)}:`);
        } else if (id === NO_MEMBER) {
          expect(error).toBe(`not in the archive: ${resolve(release, 'original/images/OpenImages.tar.bz2')}:oi_missing.jpg`);
        } else if (error !== undefined) {
          expect([...truncatedRows, ...corruptRows], `${id}: ${error}`).toContain(id);
          expect(error).toMatch(/^truncated or corrupt \(/);
          expect(error).toContain(`${resolve(release, truncatedRows.includes(id) ? TRUNCATED : CORRUPT)}:`);
        } else {
          // never the bytes of a block that failed its CRC
          expect(bytes!.equals(readFileSync(join(extracted, id))), id).toBe(true);
        }
      }
      // The cut and the corrupt archive lost members. How many of the first members come out before the decoder
      // stops depends on its threads and the machine's load (lbzip2 decodes blocks in parallel), so only the loss
      // is asserted, and that every member that did come out is byte-exact (above).
      const truncatedOk = truncatedRows.filter((id) => got.get(id)!.bytes);
      const corruptOk = corruptRows.filter((id) => got.get(id)!.bytes);
      expect(truncatedOk.length).toBeLessThan(truncatedRows.length);
      expect(corruptOk.length).toBeLessThan(corruptRows.length);

      const { orphanMembers, missingRows, failedArchives } = source.problems;
      expect(orphanMembers).toEqual([{ archive: 'original/images/OpenImages.tar.bz2', member: 'OpenImages/oi_orphan.jpg' }]);
      expect(failedArchives.map((f) => [f.archive, f.rows])).toEqual([
        [TRUNCATED, truncatedRows.length - truncatedOk.length],
        [CORRUPT, corruptRows.length - corruptOk.length],
        [STUB, stubRows.length],
      ]);
      expect(failedArchives[1].error).toContain(CORRUPT);
      // What run.json says: the pure-JS decoder's own words were "Cannot read properties of undefined (reading '0')".
      if (decoder === 'js') expect(failedArchives[0].error).toContain('truncated or corrupt (bzip2 (js): compressed file ends unexpectedly)');
      expect(missingRows.map((m) => m.id).sort()).toEqual(
        [
          ...stubRows,
          ...truncatedRows.filter((id) => !truncatedOk.includes(id)),
          ...corruptRows.filter((id) => !corruptOk.includes(id)),
          NO_MEMBER,
        ].sort(),
      );
    });
  }

  it('rows under no archive are read from disk, and an archive with its extracted folder beside it is not read', async () => {
    const dir = copyEvalset();
    execFileSync('tar', ['-C', join(dir, 'p2p'), '-cjf', join(dir, 'p2p/ADE20K.tar.bz2'), 'ADE20K']);
    execFileSync('tar', ['-C', join(dir, 'p2p'), '-cjf', join(dir, 'p2p/OpenImages.tar.bz2'), 'OpenImages']);
    execFileSync('rm', ['-r', join(dir, 'p2p/OpenImages')]);
    const source = openDataSource(dir) as ArchiveEvalsetSource;
    expect(source.archives).toEqual(['p2p/OpenImages.tar.bz2']);
    const got = await collect(source);
    expect(got.size).toBe(64);
    for (const [id, { bytes }] of got) expect(bytes!.equals(readFileSync(join('fixtures/evalset', id))), id).toBe(true);
  });
});

const exec = promisify(execFile);

async function predictions(data: string, runJson?: (doc: { data: { problems?: Record<string, unknown[]> } }, stdout: string) => void): Promise<Map<string, Record<string, string>>> {
  const out = join(tempDir(), 'run');
  // Exit status 1: the run finished with error rows (the row without a file, the broken archives). The default
  // batch size: archive order batches other images together than file order, and scores must not care.
  const args = ['run', '--detector', 'all', '--data', data, '--out', out];
  const { code, stdout } = await exec(process.execPath, [resolve('bin/semibench.js'), ...args]).then(
    (done) => ({ code: 0, stdout: done.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  expect(code).toBe(1);
  const rows = parse(readFileSync(join(out, 'predictions.csv')), { columns: true }) as Record<string, string>[];
  runJson?.(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')), stdout);
  return new Map(rows.map((r) => [`${r.detector}\t${r.sample_id}`, r]));
}

describe('semibench run on the archives', () => {
  it('gives the predictions of the extracted files, and error rows naming the archive for the rest', async () => {
    let problems: Record<string, unknown[]> | undefined;
    let said = '';
    const [fromArchives, fromFiles] = await Promise.all([predictions(release, (doc, stdout) => ((problems = doc.data.problems), (said = stdout))), predictions(extracted)]);
    // run.json lists what the release itself got wrong, and the run says which archives failed and the rows they lost.
    expect(problems?.orphanMembers.length).toBeGreaterThan(0);
    expect(problems?.failedArchives.length).toBe(3);
    expect(said).toMatch(/\n {2}3 archives not read whole \(\d+ rows lost: error rows\):\n/);
    for (const archive of [STUB, TRUNCATED, CORRUPT]) expect(said).toMatch(new RegExp(`\\n {4}\\S+/${archive.replace(/\./g, '\\.')}: .*\\(\\d+ rows?\\)\\n`));
    expect(said).toContain('1 row without an image, 1 archive member without a row');
    expect(said).toContain(`git lfs pull --include '${STUB.split('/').pop()}'`);
    expect([...fromArchives.keys()].sort()).toEqual([...fromFiles.keys()].sort());
    let same = 0;
    for (const [key, row] of fromArchives) {
      const file = fromFiles.get(key)!;
      const pick = (r: Record<string, string>) => [r.sample_id, r.score, r.label, r.status, r.cache_key];
      if (row.status === 'ok' || row.sample_id === NO_MEMBER) {
        expect(pick(row), key).toEqual(pick(file));
        same++;
      } else {
        expect(row.error).toMatch(/^(a Git-LFS pointer|truncated or corrupt).*: \S+(p2p\/CelebAHQ|inpainting\/CityScapes|inpainting\/OpenImages)\.tar\.bz2:/);
        expect(file.status).toBe('ok');
      }
    }
    expect(same).toBeGreaterThan(fromArchives.size / 2);
  }, 300_000); // two whole runs over the release (the archives and the extracted files): over 100 s on a loaded box
});
