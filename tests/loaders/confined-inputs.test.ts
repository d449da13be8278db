import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { evalsetTable, pairsTable } from '../../src/generation/table.js';
import { measure } from '../../src/generation/measure.js';
import { EvalsetSource, FolderSource, openDataSource, readSampleFile, type Sample } from '../../src/loaders/index.js';
import { runDetectors } from '../../src/runner/run.js';
import { DataFileError, readDataFile, readRegularFile, resolveDataPath } from '../../src/util/fs.js';
import { tempDir, testConfig } from '../helpers.js';

const fifos: string[] = [];
const tmp = () => tempDir('semibench-confine-');
function fifo(path: string): string {
  execFileSync('mkfifo', [path]);
  fifos.push(path);
  return path;
}

afterEach(() => {
  // A reader stuck on a FIFO (the defect) is released by a writer that opens and closes it.
  for (const path of fifos.splice(0)) {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting (ENXIO) or already removed
    }
  }
});

async function png(path: string, size = 8, red = 10): Promise<void> {
  await sharp({ create: { width: size, height: size, channels: 3, background: { r: red, g: 200, b: 30 } } }).png().toFile(path);
}

async function collect(source: { samples(): AsyncIterable<Sample> }): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of source.samples()) out.push(s);
  return out;
}

const refused = (promise: Promise<unknown>) => expect(promise).rejects.toBeInstanceOf(DataFileError);

describe('readDataFile: only regular files inside the data folder', () => {
  it('reads a file inside, also through a symlink that stays inside', async () => {
    const root = tmp();
    writeFileSync(join(root, 'a.bin'), 'abc');
    symlinkSync(join(root, 'a.bin'), join(root, 'link.bin'));
    expect((await readDataFile(root, join(root, 'a.bin'))).toString()).toBe('abc');
    expect((await readDataFile(root, join(root, 'link.bin'))).toString()).toBe('abc');
  });

  it('refuses ../ escapes, absolute paths elsewhere and symlinks out, naming the path', async () => {
    const root = tmp();
    const outside = join(tmp(), 'secret.txt');
    writeFileSync(outside, 'secret');
    symlinkSync(outside, join(root, 'out.png'));
    await expect(readDataFile(root, resolveDataPath(root, '../../../../etc/passwd'))).rejects.toThrow(/^path is outside the data folder .*: \/etc\/passwd$/);
    await expect(readDataFile(root, resolveDataPath(root, '/etc/passwd'))).rejects.toThrow(/outside the data folder/);
    await expect(readDataFile(root, join(root, 'out.png'))).rejects.toThrow(/leads outside the data folder .*secret\.txt/);
  });

  it('refuses a FIFO without blocking, a device, a folder and a file over the size limit', async () => {
    const root = tmp();
    const pipe = fifo(join(root, 'pipe.png'));
    symlinkSync('/dev/zero', join(root, 'zero.png'));
    mkdirSync(join(root, 'folder.png'));
    writeFileSync(join(root, 'big.png'), Buffer.alloc(2048));
    await expect(readRegularFile(pipe)).rejects.toThrow(/not a regular file \(a FIFO\)/);
    await expect(readRegularFile('/dev/zero')).rejects.toThrow(/not a regular file \(a character device\)/);
    await refused(readDataFile(root, join(root, 'zero.png')));
    await expect(readDataFile(root, join(root, 'folder.png'))).rejects.toThrow(/not a regular file \(a folder\)/);
    await expect(readDataFile(root, join(root, 'big.png'), 1024)).rejects.toThrow(/over the 0.00 MiB limit|over the .* limit/);
    expect((await readDataFile(root, join(root, 'big.png'), 4096)).length).toBe(2048);
  }, 10_000);

  it('says file not found for a missing file', async () => {
    const root = tmp();
    await expect(readDataFile(root, join(root, 'gone.png'))).rejects.toMatchObject({ kind: 'missing', reason: 'file not found' });
  });
});

describe('loaders', () => {
  it('an Evalset sample keeps an absolute image_path as written and reads it only inside the folder', async () => {
    const root = tmp();
    await png(join(root, 'a.png'));
    writeFileSync(join(root, 'metadata.csv'), `image_id,image_path,dataset,label\na,${join(root, 'a.png')},X,real\nb,/etc/passwd,X,fake\n`);
    const [inside, outside] = await collect(new EvalsetSource(root));
    expect(inside.path).toBe(join(root, 'a.png'));
    expect((await readSampleFile(inside)).length).toBeGreaterThan(0);
    expect(outside.path).toBe('/etc/passwd'); // not root + /etc/passwd: the same rule as measure
    await refused(readSampleFile(outside));
  });

  it('a metadata.csv that is a folder, and --data that is a file, are one-line errors naming the path', () => {
    const root = tmp();
    mkdirSync(join(root, 'metadata.csv'));
    expect(() => openDataSource(root)).toThrow(new RegExp(`${join(root, 'metadata.csv')} is not a file`));
    writeFileSync(join(root, 'file'), '');
    expect(() => openDataSource(join(root, 'file'))).toThrow(/must be a folder/);
    expect(() => evalsetTable(root)).toThrow(/metadata\.csv is not a file/);
  });

  it('a real/ + fake/ folder does not follow a symlinked folder (a loop cannot hang the walk)', async () => {
    const root = tmp();
    mkdirSync(join(root, 'real'));
    mkdirSync(join(root, 'fake'));
    await png(join(root, 'real', 'a.png'));
    symlinkSync(root, join(root, 'fake', 'loop'));
    symlinkSync('/dev/zero', join(root, 'fake', 'zero.png'));
    const samples = await collect(new FolderSource(root));
    expect(samples.map((s) => s.id)).toEqual(['real/a.png', 'fake/zero.png']);
    await refused(readSampleFile(samples[1]));
  });
});

describe('semibench run on paths that leave the data folder or are not files', () => {
  it('gives each such row an error with the reason and scores the rest', async () => {
    const data = tmp();
    const elsewhere = join(tmp(), 'elsewhere.png');
    await png(elsewhere);
    await png(join(data, 'ok.png'));
    symlinkSync('/dev/zero', join(data, 'zero.png'));
    symlinkSync(elsewhere, join(data, 'link-out.png'));
    fifo(join(data, 'pipe.png'));
    const rows: [string, string][] = [
      ['ok.png', ''],
      [join(data, 'ok2.png'), ''],
      ['../../../../etc/passwd', 'path is outside the data folder'],
      ['/etc/passwd', 'path is outside the data folder'],
      ['zero.png', 'path leads outside the data folder'],
      ['link-out.png', 'path leads outside the data folder'],
      ['pipe.png', 'not a regular file (a FIFO)'],
    ];
    await png(join(data, 'ok2.png'));
    writeFileSync(join(data, 'metadata.csv'), `image_id,image_path,dataset,label\n${rows.map(([p], i) => `i${i},${p},X,fake`).join('\n')}\n`);
    const result = await runDetectors(testConfig({ data, detectors: ['npr-residual'] }));
    const written = parse(readFileSync(result.predictionsFile), { columns: true }) as Record<string, string>[];
    expect(written.map((r) => r.sample_id)).toEqual(rows.map(([p]) => p));
    rows.forEach(([, reason], i) => {
      if (reason) {
        expect(written[i]).toMatchObject({ status: 'error', cache_key: '' });
        expect(written[i].error).toContain(reason);
      } else {
        expect(written[i].status).toBe('ok');
      }
    });
  }, 30_000);
});

describe('semibench measure follows the same path rule', () => {
  it('refuses ../, absolute paths outside the CSV folder, a FIFO and /dev/zero per row, and reads absolute paths inside', async () => {
    const root = tmp();
    const outsideDir = tmp();
    await png(join(root, 'real.png'), 32);
    await png(join(root, 'edited.png'), 32, 90);
    await png(join(outsideDir, 'edited.png'), 32, 90);
    const csv = join(root, 'pairs.csv');
    writeFileSync(
      csv,
      [
        'real_path,edited_path',
        `real.png,${join(root, 'edited.png')}`,
        `real.png,${join(outsideDir, 'edited.png')}`,
        'real.png,../../../../etc/passwd',
        'real.png,pipe.png',
        'real.png,zero.png',
      ].join('\n') + '\n',
    );
    fifo(join(root, 'pipe.png'));
    symlinkSync('/dev/zero', join(root, 'zero.png'));
    await measure({ table: pairsTable(csv), metricsDir: join(tmp(), 'metrics') });
    const rows = parse(readFileSync(csv), { columns: true }) as Record<string, string>[];
    expect(rows[0].measure_error).not.toContain('outside');
    expect(rows[0].mse).not.toBe('');
    expect(rows[1].measure_error).toMatch(/^unreadable_image: edited image .*edited\.png: path is outside the data folder/);
    expect(rows[2].measure_error).toMatch(/^unreadable_image: edited image \/etc\/passwd: path is outside the data folder/);
    expect(rows[2].mse).toBe('');
    expect(rows[3].measure_error).toMatch(/^unreadable_image: edited image pipe\.png: not a regular file \(a FIFO\)/);
    expect(rows[4].measure_error).toMatch(/^unreadable_image: edited image zero\.png: path leads outside the data folder .*\/dev\/zero/);
  }, 30_000);
});
