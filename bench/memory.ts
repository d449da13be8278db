/**
 * Peak memory of `semibench run --detector all` on a corpus of large and broken images, at default settings.
 *
 *   npx tsx bench/memory.ts [--only big|huge|many|broken|limit] [--keep] [-- extra run flags]
 *
 * The corpus is written to a temp dir: a 16000² PNG, an 8000² PNG, eight 3500² PNGs (one shape, so they batch
 * together), a FIFO, a symlink to /dev/zero, a truncated PNG and JPEG, a 1×1 PNG and four ordinary 512² JPEGs.
 * `--only limit` instead runs eight 4096² images, the largest the default per-image limit admits.
 * The run is a child process under /usr/bin/time -v; its "Maximum resident set size" is the peak RSS printed.
 * The images are smooth gradients (small files, full-size rasters once decoded).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const keep = args.includes('--keep');
const extra = args.includes('--') ? args.slice(args.indexOf('--') + 1) : [];

/** A smooth RGB gradient PNG of any size, built by libvips without a full-size JS buffer. */
async function gradientPng(path: string, width: number, height: number, shade: number): Promise<void> {
  const ramp = sharp({ create: { width, height, channels: 3, background: { r: shade, g: 128, b: 255 - shade } } });
  await ramp.png({ compressionLevel: 1 }).toFile(path);
}

async function buildCorpus(dir: string): Promise<string[][]> {
  const rows: string[][] = [];
  const add = (name: string, label: string) => rows.push([name.replace(/\W/g, '_'), name, 'bench', label]);
  const want = (group: string) => only === undefined || only === group;
  if (want('huge')) {
    await gradientPng(join(dir, 'huge-16000.png'), 16000, 16000, 10);
    add('huge-16000.png', 'fake');
  }
  if (want('big')) {
    await gradientPng(join(dir, 'big-8000.png'), 8000, 8000, 20);
    add('big-8000.png', 'real');
  }
  if (want('many')) {
    for (let i = 0; i < 8; i++) {
      await gradientPng(join(dir, `large-3500-${i}.png`), 3500, 3500, 30 + i);
      add(`large-3500-${i}.png`, i % 2 ? 'fake' : 'real');
    }
  }
  if (only === 'limit') {
    // Worst case the default policy admits: eight images at exactly the per-image pixel limit.
    for (let i = 0; i < 8; i++) {
      await gradientPng(join(dir, `limit-4096-${i}.png`), 4096, 4096, 60 + i);
      add(`limit-4096-${i}.png`, i % 2 ? 'fake' : 'real');
    }
  }
  if (want('broken')) {
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    add('pipe.png', 'fake');
    symlinkSync('/dev/zero', join(dir, 'zero.png'));
    add('zero.png', 'real');
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#808080' } }).png().toBuffer();
    writeFileSync(join(dir, 'truncated.png'), png.subarray(0, png.length >> 1));
    add('truncated.png', 'fake');
    const jpeg = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#408040' } }).jpeg().toBuffer();
    writeFileSync(join(dir, 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    add('truncated.jpg', 'real');
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } }).png().toFile(join(dir, 'tiny-1x1.png'));
    add('tiny-1x1.png', 'fake');
  }
  for (let i = 0; i < 4; i++) {
    await sharp({ create: { width: 512, height: 512, channels: 3, background: { r: 40 * i, g: 90, b: 200 } } }).jpeg().toFile(join(dir, `normal-${i}.jpg`));
    add(`normal-${i}.jpg`, i % 2 ? 'fake' : 'real');
  }
  const csv = [['image_id', 'image_path', 'dataset', 'label'], ...rows].map((r) => r.join(',')).join('\n');
  writeFileSync(join(dir, 'metadata.csv'), `${csv}\n`);
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), 'semibench-memory-'));
try {
  const started = Date.now();
  const rows = await buildCorpus(dir);
  console.log(`corpus: ${rows.length} rows in ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s to build)`);
  const out = join(dir, 'out');
  const cli = resolve('bin/semibench.js');
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, 'run', '--detector', 'all', '--data', dir, '--out', out, ...extra], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1]);
  const wall = /Elapsed \(wall clock\) time.*: (\S+)/.exec(run.stderr)?.[1];
  console.log(`exit ${run.status ?? run.signal}, wall ${wall}, peak RSS ${(peakKb / 1024).toFixed(0)} MiB`);
  const predictions = parse(readFileSync(join(out, 'predictions.csv')), { columns: true }) as Record<string, string>[];
  for (const p of predictions) {
    console.log(`  ${p.detector.padEnd(14)} ${p.sample_id.padEnd(20)} ${p.status.padEnd(5)} ${p.error.slice(0, 110)}`);
  }
  if (run.status !== 0) console.log(run.stderr.split('\n').slice(-30).join('\n'));
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
