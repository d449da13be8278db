import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/reports/csv.js';
import { buildReport } from '../../src/reports/report.js';
import { writeReport } from '../../src/reports/write.js';
import { runDetectors } from '../../src/runner/run.js';
import { UserError } from '../../src/util/errors.js';
import { ensureOutputFolder, fileSystemUserError } from '../../src/util/fs.js';
import { tempDir, testConfig } from '../helpers.js';
import { TINY_SLICES, tinyRun } from '../reports/tiny-run.js';

// Tests run as root, for whom chmod does not make a folder read-only. Write failures come from paths the kernel
// refuses to anyone: a path under a file (ENOTDIR), /proc (ENOENT on mkdir), /sys (EPERM/EACCES), /dev/full (ENOSPC).
const tmp = () => tempDir('semibench-out-');

describe('--out that cannot be written', () => {
  it('a file, or a path under a file, is one line naming it, before any image is read', async () => {
    const file = join(tmp(), 'afile');
    writeFileSync(file, 'x');
    await expect(runDetectors(testConfig({ out: file, detectors: ['npr-residual'] }))).rejects.toThrow(`--out ${file}: ${file} is a file, not a folder.`);
    await expect(runDetectors(testConfig({ out: join(file, 'sub'), detectors: ['npr-residual'] }))).rejects.toThrow(`${file} is a file, not a folder.`);
  });

  it.skipIf(!existsSync('/sys/kernel'))('a folder the kernel refuses (sysfs) is a one-line error and nothing is left', () => {
    expect(() => ensureOutputFolder('/sys/kernel/semibench-out/run')).toThrow(/^Cannot write to --out \/sys\/kernel\/semibench-out\/run: (operation not permitted|permission denied|read-only file system)\.$/);
    expect(existsSync('/sys/kernel/semibench-out')).toBe(false);
  });

  it('the CLI prints one line and exits 2 for an --out under /proc (node\'s recursive mkdir never returns there)', () => {
    const cli = spawnSync(process.execPath, [resolve('bin/semibench.js'), 'run', '--detector', 'npr-residual', '--out', '/proc/semibench-out/run'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.signal).toBeNull(); // not killed by the timeout
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim()).toBe('semibench: Cannot write to --out /proc/semibench-out/run: no such file or folder.');
  }, 70_000);

  it('ENOSPC while writing a file removes the temp file and names the file', () => {
    const dir = tmp();
    const file = join(dir, 'results.json');
    symlinkSync('/dev/full', `${file}.tmp-${process.pid}`); // the write goes to /dev/full: a real ENOSPC
    let error: unknown;
    try {
      writeAtomic(file, 'x'.repeat(10_000));
    } catch (e) {
      error = e;
    }
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(readdirSync(dir)).toEqual([]);
    const message = fileSystemUserError(error);
    expect(message).toBeInstanceOf(UserError);
    expect(message!.message).toBe(`Cannot write ${file}: no space left on device.`);
  });
});

describe('a report write that fails part-way', () => {
  it('leaves the previous report whole, no staging folder and no temp files', async () => {
    const tiny = tinyRun();
    const out = tiny.run;
    writeReport(await buildReport({ runDir: tiny.run, config: tiny.config }), out);
    const before = snapshot(out);
    // A slice name longer than a file name may be: its CSV fails after the earlier slices were written.
    const slices = [...TINY_SLICES.slice(0, 3), { name: 'x'.repeat(300), column: 'dataset' }];
    const report = await buildReport({ runDir: tiny.run, config: { ...tiny.config, slices, bootstrap: { resamples: 50, seed: 1 } } });
    let error: unknown;
    try {
      writeReport(report, out);
    } catch (e) {
      error = e;
    }
    expect((error as NodeJS.ErrnoException).code).toBe('ENAMETOOLONG');
    expect(snapshot(out)).toEqual(before);
  });

  it('a rewrite with fewer slices and no notebook removes the old report files it does not write', async () => {
    const tiny = tinyRun();
    const out = tiny.run;
    writeReport(await buildReport({ runDir: tiny.run, config: tiny.config }), out, { notebook: true });
    expect(existsSync(join(out, 'notebook.md'))).toBe(true);
    const fewer = { ...tiny.config, slices: TINY_SLICES.slice(0, 1) };
    writeReport(await buildReport({ runDir: tiny.run, config: fewer }), out);
    expect(readdirSync(join(out, 'slices')).sort()).toEqual(['all.csv', 'dataset.csv']);
    expect(readdirSync(out).sort()).toEqual(['predictions.csv', 'results.json', 'slices', 'summary.md']);
  });
});

/** Every file under a folder with its content. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string, prefix: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(at, entry.name), `${prefix}${entry.name}/`);
      else files[`${prefix}${entry.name}`] = readFileSync(join(at, entry.name), 'utf8');
    }
  };
  walk(dir, '');
  return files;
}

